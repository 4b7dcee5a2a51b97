"""BertbenchApp: the workbench in the terminal, one tab per pane."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Header, TabbedContent, TabPane

from workbench.services import Services, default_root
from workbench.tui.messages import PresetChosen, RunEvent, RunsChanged, RunStarted
from workbench.tui.screens.playground import TryPane
from workbench.tui.screens.presets import PresetsPane
from workbench.tui.screens.runs import RunsPane
from workbench.tui.screens.tokenizer import TokenizerPane
from workbench.tui.screens.train import TrainPane

TABS = (
    ("presets", "Presets", PresetsPane),
    ("tokenizer", "Tokenizer", TokenizerPane),
    ("train", "Train", TrainPane),
    ("runs", "Runs", RunsPane),
    ("try", "Try", TryPane),
)


class BertbenchApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "bertbench"
    BINDINGS = [
        *(
            Binding(str(i), f"show_tab('{tab_id}')", title, show=False)
            for i, (tab_id, title, _) in enumerate(TABS, start=1)
        ),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, root: str | Path | None = None, services: Services | None = None) -> None:
        super().__init__()
        self.services = services or Services(root or default_root())

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="presets"):
            for tab_id, title, pane in TABS:
                with TabPane(title, id=tab_id):
                    yield pane(id=f"{tab_id}-pane")
        yield Footer()

    def action_show_tab(self, tab_id: str) -> None:
        self.query_one(TabbedContent).active = tab_id

    # Cross-pane messages: the app forwards them to the panes that care.
    def on_preset_chosen(self, message: PresetChosen) -> None:
        self.query_one(TrainPane).post_message(PresetChosen(message.name))

    def on_run_started(self, message: RunStarted) -> None:
        self.query_one(TrainPane).post_message(RunStarted(message.run_id))

    def on_run_event(self, message: RunEvent) -> None:
        self.query_one(TrainPane).post_message(RunEvent(message.run_id, message.event))

    def on_runs_changed(self, message: RunsChanged) -> None:
        for pane in (self.query_one(RunsPane), self.query_one(TryPane)):
            pane.post_message(RunsChanged())
