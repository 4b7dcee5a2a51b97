"""Diff two presets side by side: the settings that differ, one row each.

The table always fits the screen: long values wrap onto more lines (`WrapTable`), so both
presets' columns stay visible at any width."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select, Static

from workbench.services import PresetEntry
from workbench.services.form import value_text
from workbench.tui.guard import Guarded, guarded
from workbench.tui.widgets.wrap_table import WrapTable


class DiffScreen(Guarded, ModalScreen[None]):
    """`left` (its edited form when `edited` is given) against any other preset."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, entries: list[PresetEntry], left: PresetEntry, edited: Any = None) -> None:
        super().__init__()
        self.entries = entries
        self.left = left
        self.edited = edited

    def compose(self) -> ComposeResult:
        others = [(f"{e.name} · {e.origin}", i) for i, e in enumerate(self.entries)]
        first_other = next(i for i, e in enumerate(self.entries) if e is not self.left)
        title = self.left.name + (" (edited)" if self.edited is not None else "")
        with Vertical(id="diff-box", classes="modal-box"):
            with Horizontal(id="diff-pick"):
                yield Label(f"{title}  vs ", classes="modal-title")
                yield Select(
                    others, value=first_other, allow_blank=False, id="diff-other", compact=True
                )
            yield Static("", id="diff-summary", markup=False)
            yield WrapTable(id="diff-table")
            with Horizontal(classes="modal-buttons"):
                yield Button("Close (Esc)", id="diff-close", compact=True)

    def on_mount(self) -> None:
        self.query_one(WrapTable).show(["setting", self.left.name, "other"], [])
        self.compare(self.query_one("#diff-other", Select).value)

    @on(Select.Changed, "#diff-other")
    def _other(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self.compare(event.value)

    @work(thread=True, exclusive=True)
    @guarded("cannot compare", show="_failed")
    def compare(self, index: Any) -> None:
        other = self.entries[int(index)]
        presets = self.services.presets
        left = self.edited or presets.load(self.left.path)
        rows = presets.diff(left, presets.load(other.path))
        self.app.call_from_thread(self._show, other, rows)

    def _failed(self, text: str) -> None:
        self.query_one(WrapTable).show(["setting", self.left.name, "other"], [])
        self.query_one("#diff-summary", Static).update(text)

    def _show(self, other: PresetEntry, rows: dict[str, tuple[Any, Any]]) -> None:
        self.query_one(WrapTable).show(
            ["setting", self.left.name, other.name],
            [(key, _cell(a), _cell(b)) for key, (a, b) in rows.items()],
        )
        summary = (
            f"{len(rows)} setting{'s differ' if len(rows) != 1 else ' differs'}"
            if rows
            else "the two presets are the same"
        )
        self.query_one("#diff-summary", Static).update(summary)

    @on(Button.Pressed, "#diff-close")
    def action_close(self) -> None:
        self.dismiss(None)


def _cell(value: Any) -> str:
    # Whole: a long value wraps in the table rather than losing its end.
    return value_text(value) if value is not None else "—"
