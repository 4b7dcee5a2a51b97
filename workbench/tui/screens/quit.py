"""Asked when quitting with runs still training: stop them (each checkpoints) or go back."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from workbench.services import RunStatus
from workbench.tui.guard import Guarded


class QuitScreen(Guarded, ModalScreen[bool]):
    """Dismisses with True (stop the runs, then quit) or False (go back, keep training)."""

    BINDINGS = [
        Binding("escape", "back", "Go back"),
        Binding("s", "stop", "Stop runs and quit"),
    ]

    def __init__(self, active: Sequence[RunStatus]) -> None:
        super().__init__()
        self.active = list(active)

    def compose(self) -> ComposeResult:
        runs = "\n".join(
            f"  • {r.run_name} ({r.status}, step {r.step}"
            + (f"/{r.total_steps}" if r.total_steps else "")
            + ")"
            for r in self.active
        )
        count = len(self.active)
        with Vertical(id="quit-box"):
            title = f"{count} run{'s are' if count != 1 else ' is'} still training"
            yield Label(title, id="quit-title")
            yield Static(runs, id="quit-runs")
            yield Static(
                "Stop: each run writes a checkpoint, then the app closes; continue it later "
                "from the Runs pane (or `bertbench pretrain --resume RUN`).\n"
                "Go back: the runs keep training.",
                id="quit-help",
            )
            with Horizontal(id="quit-buttons"):
                yield Button("Stop runs and quit (s)", id="quit-stop", variant="error")
                yield Button("Go back (Esc)", id="quit-back", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#quit-back", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "quit-stop")

    def action_back(self) -> None:
        self.dismiss(False)

    def action_stop(self) -> None:
        self.dismiss(True)
