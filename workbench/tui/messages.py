"""Every custom Textual message of the app, in one place.

Panes talk to each other only through these (posted to the app, which forwards them), so a
pane never reaches into another pane's widgets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.message import Message


class PresetChosen(Message):
    """The user picked a preset to train with (Presets pane -> Train pane)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class RunEvent(Message):
    """An event of a run the manager trains; posted from the training thread."""

    def __init__(self, run_id: str, event: Any) -> None:
        super().__init__()
        self.run_id = run_id
        self.event = event


class RunStarted(Message):
    """A run was started or continued (Train or Runs pane); the Train pane follows it. With
    `show` (a Continue from the Runs pane) the app switches to the Train tab too."""

    def __init__(self, run_id: str, show: bool = False) -> None:
        super().__init__()
        self.run_id = run_id
        self.show = show


class UseInPreset(Message):
    """Put a tokenizer, run or data file (`kind`) into the preset being edited (Tokenizer or
    Runs pane -> Presets pane)."""

    def __init__(self, kind: str, path: Path, name: str) -> None:
        super().__init__()
        self.kind = kind  # tokenizer, run or file
        self.path = path
        self.name = name


class RunsChanged(Message):
    """Runs on disk changed (a run ended, an export was written): lists should refresh."""
