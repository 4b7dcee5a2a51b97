"""Notes and tags of one run: tags as words (spaces or commas between), notes as free text.
The service checks both (services/run_meta.py); its message shows in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from workbench.services.run_meta import RunMeta
from workbench.tui.guard import Guarded, guarded


class RunNotesScreen(Guarded, ModalScreen[RunMeta | None]):
    """Dismisses with the stored `RunMeta`, or None when cancelled. `save(tags, notes)` stores
    them and raises with a message (a bad tag, notes too long) shown under the boxes."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save", priority=True),
    ]

    def __init__(self, run_id: str, meta: RunMeta, save: Callable[[str, str], RunMeta]) -> None:
        super().__init__()
        self.run_id = run_id
        self.meta = meta
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="notes-box", classes="modal-box"):
            yield Label(f"Notes and tags of {self.run_id}", classes="modal-title")
            yield Label("Tags (words; spaces or commas between)")
            yield Input(
                " ".join(self.meta.tags),
                placeholder="tags: short words, e.g. baseline lr-sweep",
                id="notes-tags",
            )
            yield Label("Notes (any text)")
            yield TextArea(self.meta.notes, id="notes-text", soft_wrap=True)
            yield Static("", id="notes-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Save (ctrl+s)", id="notes-ok", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="notes-cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#notes-tags", Input).focus()

    @on(Input.Submitted, "#notes-tags")
    def _tags_entered(self) -> None:
        self.query_one("#notes-text", TextArea).focus()

    @on(Button.Pressed, "#notes-ok")
    def action_save(self) -> None:
        tags = self.query_one("#notes-tags", Input).value
        self.write(tags, self.query_one("#notes-text", TextArea).text)

    @on(Button.Pressed, "#notes-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True)
    @guarded(show="_error")
    def write(self, tags: str, notes: str) -> None:
        meta = self.save(tags, notes)
        self.app.call_from_thread(self._saved, meta)

    def _saved(self, meta: Any) -> None:
        if self.is_current:
            self.dismiss(meta)

    def _error(self, message: str) -> None:
        if self.is_current:
            self.query_one("#notes-error", Static).update(message)
