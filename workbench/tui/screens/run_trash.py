"""Asked before a run goes to the trash: says that nothing is deleted, and where it goes."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class RunTrashScreen(ModalScreen[bool]):
    """Dismisses with True (move it) or False (keep it)."""

    BINDINGS = [Binding("escape", "back", "Keep it"), Binding("y", "move", "Move to trash")]

    def __init__(self, run_id: str, trash_dir: Path) -> None:
        super().__init__()
        self.run_id = run_id
        self.trash_dir = trash_dir

    def compose(self) -> ComposeResult:
        with Vertical(id="trash-box", classes="modal-box"):
            yield Label(f"Move {self.run_id} to the trash?", classes="modal-title")
            yield Static(
                f"Nothing is deleted: the run's folder moves to {self.trash_dir}/. Restore it "
                "with z in Runs (the last one moved), in the web panel's Runs tab (Trash), or "
                "by moving the folder back into runs/.",
                id="trash-help",
            )
            with Horizontal(classes="modal-buttons"):
                yield Button("Move to trash (y)", id="trash-ok", variant="error", compact=True)
                yield Button("Keep it (Esc)", id="trash-cancel", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#trash-cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "trash-ok")

    def action_back(self) -> None:
        self.dismiss(False)

    def action_move(self) -> None:
        self.dismiss(True)
