"""Rename a run: its folder (the run's identity) gets the new name. The name is checked as it
is typed; the service refuses a live run, a taken name or an unsafe one, shown in place."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from workbench.services.run_meta import RenameResult, check_run_name
from workbench.services.workspace import WorkspaceError
from workbench.tui.guard import Guarded, guarded


class RunRenameScreen(Guarded, ModalScreen[RenameResult | None]):
    """Dismisses with the `RenameResult`, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, run_id: str, rename: Callable[[str], RenameResult]) -> None:
        super().__init__()
        self.run_id = run_id
        self.rename = rename
        self.asked = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="rename-box", classes="modal-box"):
            yield Label(f"Rename {self.run_id}", classes="modal-title")
            yield Input(self.run_id, placeholder="new run name", id="rename-name")
            yield Static("", id="rename-error", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Rename", id="rename-ok", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="rename-cancel", compact=True)

    @on(Input.Changed, "#rename-name")
    def _name_changed(self, event: Input.Changed) -> None:
        try:
            check_run_name(event.value.strip())
        except WorkspaceError as exc:
            self.query_one("#rename-error", Static).update(str(exc))
        else:
            self.query_one("#rename-error", Static).update("")

    @on(Input.Submitted, "#rename-name")
    @on(Button.Pressed, "#rename-ok")
    def _submit(self) -> None:
        self.asked = self.query_one("#rename-name", Input).value.strip()
        self.write(self.asked)

    @on(Button.Pressed, "#rename-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True)
    @guarded(show="_error")
    def write(self, name: str) -> None:
        result = self.rename(name)
        self.app.call_from_thread(self._done, result)

    def _done(self, result: RenameResult) -> None:
        if self.is_current:
            self.dismiss(result)

    def _error(self, message: str) -> None:
        if not self.is_current or self.query_one("#rename-name", Input).value.strip() != self.asked:
            return
        self.query_one("#rename-error", Static).update(message)
        self.query_one("#rename-name", Input).focus()
