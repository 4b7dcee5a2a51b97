"""Fine-tuning with task-adaptive pre-training first, through the service layer both UIs use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kit.services import tiny_preset, wait_until, write_labelled

from workbench.services import Services, WorkspaceError

LIMIT = 180.0


def _preset(tmp: Path, **extra: dict) -> object:
    task = write_labelled(tmp / "task.csv")
    return tiny_preset(
        tmp,
        finetune={"init": "random", "epochs": 1, "lr": 1e-3, "device": "cpu", "precision": "fp32"},
        classification={"train": str(task), "max_seq_len": 32, "batch_size": 16},
        **extra,
    )


def test_adapt_first_then_the_fine_tune_starts_from_the_adapted_run(tmp_path: Path) -> None:
    services = Services(tmp_path / "ws")
    preset = _preset(tmp_path, adapt={"steps": 6, "eval_every": 3, "checkpoint_every": 6})
    adapt_id = services.manager.start_finetuning(preset, adapt=True)
    adapted = services.manager.wait(adapt_id, LIMIT)
    assert adapted.kind == "adapt" and adapted.status == "finished", adapted.error
    assert adapted.run_dir is not None and adapted.run_dir.parent == services.workspace.runs_dir
    wait_until(lambda: services.manager.status(adapt_id).then is not None, LIMIT)
    tuned = services.manager.wait(services.manager.status(adapt_id).then, LIMIT)
    assert tuned.kind == "finetune" and tuned.status == "finished", tuned.error
    init = json.loads((tuned.run_dir / "init.json").read_text())
    assert init["source"].startswith(f"run:{adapted.run_dir}")
    # Both runs are in the workspace's run list, as every other run.
    listed = {info.run_id for info in services.runs.list()}
    assert {adapted.run_dir.name, tuned.run_dir.name} <= listed
    services.close()


def test_adapt_without_an_adapt_section_is_refused_before_anything_starts(tmp_path: Path) -> None:
    services = Services(tmp_path / "ws")
    with pytest.raises(WorkspaceError, match=r"no \[adapt\] section"):
        services.manager.start_finetuning(_preset(tmp_path), adapt=True)
    assert services.manager.runs() == []
    services.close()
