"""Helpers of the Train / Runs / Try pane tests: a generated corpus, tiny presets saved in
the workspace (runs of a few seconds), and waiting on a Pilot for a condition."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kit.services import tiny_preset_dict, write_labelled
from kit.tui import wait_for, write_corpus

__all__ = [
    "confirm_start",
    "finetune_sections",
    "pretrained_and_finetuned",
    "tiny_preset",
    "wait_for",
]


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


def pretrained_and_finetuned(tmp: Path) -> tuple[Path, str, str]:
    """A workspace `tmp`/ws holding a finished tiny pre-training run and a classifier
    fine-tuned from it (trained through the services): (workspace, pre run id, fine-tune id)."""
    from workbench.services import Services

    services = Services(tmp / "ws")
    pre = services.manager.start_pretraining(tiny_preset(tmp), name="pre")
    pre_status = services.manager.wait(pre, 120)
    assert pre_status.status == "finished", pre_status.error
    assert pre_status.run_dir is not None
    ft_preset = tiny_preset(tmp, **finetune_sections(tmp, str(pre_status.run_dir)))
    ft = services.manager.start_finetuning(ft_preset, name="classifier")
    ft_status = services.manager.wait(ft, 120)
    assert ft_status.status == "finished", ft_status.error
    assert ft_status.run_dir is not None
    return tmp / "ws", pre_status.run_dir.name, ft_status.run_dir.name


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
