"""The Runs pane."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class RunsPane(Vertical):
    """Placeholder until the pane is built."""

    def compose(self) -> ComposeResult:
        yield Static("Runs: coming soon")
