"""The one error family of bertbench: every engine and workbench error derives from
`BertbenchError`.

An interface catches `BertbenchError` and shows its message (each says what, where and how to
fix it), never a traceback; any other exception is a bug, logged with its traceback. The
classes themselves live with the code that raises them (`PresetError` in `bert_engine.presets`,
`DataError` in `bert_engine.data.errors`, ...) and keep their builtin bases (`ValueError`,
`FileNotFoundError`, ...) so older `except ValueError` callers still work.

Imports nothing, so any module (torch-free ones included) can use it.
"""

from __future__ import annotations


class BertbenchError(Exception):
    """Bad input or an unusable file: the message says what, where and how to fix it."""

    # No slots of its own: its instances are laid out like Exception's, which lets `adopt`
    # give a class created elsewhere this base.
    __slots__ = ()


class InputError(BertbenchError, ValueError):
    """Bad input that no more specific class covers: an argument (an empty text, `top_k`
    below 1) or a file's content (a run's damaged `config.toml`)."""


def adopt(error_type: type[BaseException]) -> None:
    """Make an error class defined elsewhere (the native module's `FormatError`, ...) a
    `BertbenchError`, for `except` clauses and `isinstance` alike.

    The native module's classes are created by PyO3 with builtin bases only; until they are
    created with this base, putting it first among their bases is what makes them part of
    the family (their builtin bases stay, so `except ValueError` still catches them)."""
    if issubclass(error_type, BertbenchError):
        return
    bases = tuple(b for b in error_type.__bases__ if b is not Exception)  # implied by ours
    error_type.__bases__ = (BertbenchError, *bases)
