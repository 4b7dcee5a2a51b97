"""Helpers of the Train / Runs / Try pane tests: a generated corpus, tiny presets saved in
the workspace (runs of a few seconds), and waiting on a Pilot for a condition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kit.services import tiny_preset_dict, write_labelled
from kit.tui import wait_for, write_corpus

__all__ = ["confirm_start", "finetune_sections", "tiny_preset", "wait_for"]


def tiny_preset(tmp: Path, name: str = "tiny", **sections: dict[str, Any]) -> Any:
    """The services kit's one-layer BERT, named `name`, on the TUI tests' corpus."""
    from bert_engine.presets import validate_preset

    data = tiny_preset_dict(tmp, corpus=write_corpus(tmp / "corpus.txt"), **sections)
    data["name"] = name
    return validate_preset(data)


def finetune_sections(tmp: Path, init: str) -> dict[str, dict[str, Any]]:
    task = write_labelled(tmp / "task.csv")
    return {
        "finetune": {"init": init, "epochs": 2, "lr": 1e-3, "device": "cpu", "precision": "fp32"},
        "classification": {"train": str(task), "max_seq_len": 32, "batch_size": 16},
    }


async def confirm_start(pilot: Any, overrides: str = "", name: str = "") -> None:
    """In the Train pane's start dialog (a key or a button just opened it): put `name` and
    `overrides` in its boxes and press Start; back once the dialog has closed."""
    from textual.widgets import Input, TextArea

    from workbench.tui.screens.start_run import StartRunScreen

    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, StartRunScreen), what="the dialog opens")
    screen = app.screen
    if overrides:
        screen.query_one("#start-overrides", TextArea).text = overrides
    if name:
        screen.query_one("#start-name", Input).value = name
    await pilot.pause()
    await pilot.click("#start-ok")
    await wait_for(pilot, lambda: app.screen is not screen, what="the start dialog closes")
