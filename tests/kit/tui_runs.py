"""Helpers of the Train / Runs / Try pane tests: a generated corpus, tiny presets saved in
the workspace (runs of a few seconds), and waiting on a Pilot for a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from kit.services import tiny_preset_dict, write_labelled
from kit.tui import write_corpus


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


async def wait_for(pilot: Pilot[Any], condition: Callable[[], bool], limit: float = 120.0) -> None:
    """Let the app run until `condition` holds (a safety limit, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the safety limit")
        await pilot.pause(0.05)
