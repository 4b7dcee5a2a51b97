"""A guard around one Textual (8.x) race, applied once when the app module is imported.

`OptionList._move_page` (PageUp / PageDown) reads the option-to-line map that the widget only
builds when it lays itself out; paging a list before that (a Select's drop-down pressed
PageDown the moment it opens, as the random-input test does) raises `KeyError`. Paging then
does nothing, as it does for an empty list."""

from __future__ import annotations

from typing import Any

from textual.widgets import OptionList

_original_move_page = OptionList._move_page


def _move_page(self: Any, direction: int) -> None:
    if self._options and self._index_to_line.get(self.highlighted or 0) is None:
        return  # not laid out yet: nothing to page through
    _original_move_page(self, direction)


def apply() -> None:
    OptionList._move_page = _move_page  # type: ignore[method-assign]
