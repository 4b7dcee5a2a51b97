"""`offer`: fill a Select so that it never sits on a blank entry once it has choices.

A Select made with `allow_blank=True` (needed while its choices are still loading: Textual
refuses an empty Select otherwise) shows a blank first entry and starts on it. Once choices
arrive, the blank is dropped and a real choice is selected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.widgets import Select


def offer(select: Select[Any], options: Sequence[tuple[str, Any]], value: Any = None) -> None:
    """Set `options` and select `value` when it is one of them, else the first option."""
    # Textual has no public setter for allow_blank; the flag is read by set_options only.
    select._allow_blank = not options
    select.set_options(options)
    if value is not None and any(value == v for _, v in options):
        select.value = value
