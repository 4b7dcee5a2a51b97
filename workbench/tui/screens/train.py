"""The Train pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class TrainPane(Vertical):
    """Placeholder until the pane is built."""

    def compose(self) -> ComposeResult:
        yield Static("Train: coming soon")
