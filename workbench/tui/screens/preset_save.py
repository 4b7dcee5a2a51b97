"""Save as: ask for a preset name; the workspace checks it and the error shows in place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from workbench.tui.guard import Guarded, guarded


class SaveAsScreen(Guarded, ModalScreen[Path | None]):
    """Dismisses with the saved file, or None when cancelled. `save(name)` writes the preset
    and raises with a message (bad name, name taken) that is shown under the name box."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, suggestion: str, save: Callable[[str], Path]) -> None:
        super().__init__()
        self.suggestion = suggestion
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="save-box", classes="modal-box"):
            yield Label("Save as a workspace preset", classes="modal-title")
            yield Input(self.suggestion, placeholder="preset name", id="save-name")
            yield Static("", id="save-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Save", id="save-ok", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="save-cancel", compact=True)

    @on(Input.Submitted, "#save-name")
    @on(Button.Pressed, "#save-ok")
    def _submit(self) -> None:
        self.write(self.query_one("#save-name", Input).value.strip())

    @on(Button.Pressed, "#save-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True)
    @guarded(show="_error")  # a bad or taken name: say so here, keep the dialog open
    def write(self, name: str) -> None:
        path = self.save(name)
        self.app.call_from_thread(self._saved, path)

    def _saved(self, path: Path) -> None:
        # Escape (or a second Enter's save) may have closed the dialog while this one wrote.
        if self.is_current:
            self.dismiss(path)

    def _error(self, message: str) -> None:
        self.query_one("#save-error", Static).update(message)
        self.query_one("#save-name", Input).focus()
