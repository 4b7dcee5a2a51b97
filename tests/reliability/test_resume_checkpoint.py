"""Resuming from a chosen checkpoint: the corrupt-checkpoint advice is a command that works."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from kit.finetune import tiny_config, write_task
from kit.pretrain import write_preset

from bert_engine.tracking import read_events, read_summary
from bert_engine.training import CheckpointError, CheckpointEvent, RunControl
from bert_engine.training.checkpoint import resume_command, resume_point
from workbench.cli import main


def _runs(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "runs").iterdir() if p.is_dir() and p.name[0] != ".")


def _steps(run: Path) -> list[int]:
    return [e.step for e in read_events(run) if e.kind == "step"]


def _corrupt(checkpoint: Path) -> None:
    model = checkpoint / "model.safetensors"
    model.write_bytes(model.read_bytes()[:100])  # truncated, as by a full disk


def _advice(err: str) -> list[str]:
    """The command the error advises, as argv for `main` (without `bertbench`)."""
    assert "Traceback" not in err
    command = err.split("resume from the previous checkpoint instead: ", 1)[1].strip()
    argv = shlex.split(command)
    assert argv[0] == "bertbench"
    return argv[1:]


def test_corrupt_latest_checkpoint_advises_a_command_that_resumes_from_the_earlier_one(
    tmp_path, capsys
):
    preset = write_preset(tmp_path, steps=12, eval_every=4, checkpoint_every=4)
    assert main(["pretrain", str(preset), "--quiet"]) == 0
    (run,) = _runs(tmp_path)
    _corrupt(run / "checkpoints" / "step-000012")
    capsys.readouterr()

    assert main(["pretrain", "--resume", str(run), "--quiet"]) == 2
    argv = _advice(capsys.readouterr().err)
    assert argv[-2:] == ["--checkpoint", "step-000008"]
    assert read_summary(run)["status"] == "failed"  # the failed attempt says why
    assert "truncated" in read_summary(run)["reason"]

    assert main([*argv, "--quiet"]) == 0
    resumed = [e.step for e in read_events(run) if e.kind == "started" and e.resumed]
    assert resumed == [8]
    assert _steps(run) == list(range(1, 13))  # every step once
    assert read_summary(run)["status"] == "finished"
    # The corrupt checkpoint is kept aside, never resumed or pruned by mistake.
    assert (run / "checkpoints" / "abandoned" / "step-000012").is_dir()
    assert (run / "checkpoints" / "latest").read_text().strip() == "step-000012"

    # A checkpoint folder given to --resume directly works too.
    assert main(["pretrain", "--resume", str(run / "checkpoints" / "step-000008"), "--quiet"]) == 0
    resumed = [e.step for e in read_events(run) if e.kind == "started" and e.resumed]
    assert resumed == [8, 8]
    assert _steps(run) == list(range(1, 13))
    assert len(list((run / "checkpoints" / "abandoned").iterdir())) == 2


def test_fine_tuning_resumes_from_the_checkpoint_the_error_names(tmp_path, capsys):
    from bert_engine.training.finetune import (
        ClassificationDataSettings,
        FinetuneSettings,
        finetune,
        read_results,
    )

    task = write_task(tmp_path / "task.csv", n=96)
    control = RunControl()
    seen: list[int] = []

    def stop_after_two_checkpoints(event: object) -> None:
        if isinstance(event, CheckpointEvent):
            seen.append(event.step)
            if len(seen) == 2:
                control.stop()

    run = finetune(
        FinetuneSettings.model_validate(
            dict(epochs=4, lr=1e-2, device="cpu", precision="fp32", seed=0, keep_last=3)
        ),
        data=ClassificationDataSettings.model_validate(
            dict(train=str(task), test_fraction=0.0, validation_fraction=0.15, batch_size=8)
        ),
        runs_dir=tmp_path / "runs",
        model_config=tiny_config(),
        control=control,
        listeners=[stop_after_two_checkpoints],
    )
    first, second = seen[:2]
    _corrupt(run / "checkpoints" / f"step-{second:06d}")
    capsys.readouterr()
    assert main(["finetune", "--resume", str(run), "--quiet"]) == 2
    argv = _advice(capsys.readouterr().err)
    assert argv[0] == "finetune" and argv[-1] == f"step-{first:06d}"
    assert main([*argv, "--quiet"]) == 0
    assert read_results(run)["status"] == "finished"
    resumed = [e.step for e in read_events(run) if e.kind == "started" and e.resumed]
    assert resumed == [first]


def test_resume_point_names_checkpoints_and_explains_mistakes(tmp_path):
    run = tmp_path / "run"
    for step in (4, 8):
        (run / "checkpoints" / f"step-{step:06d}").mkdir(parents=True)
        (run / "checkpoints" / f"step-{step:06d}" / "trainer_state.json").write_text("{}")
    (run / "config.toml").write_text("")
    four = run / "checkpoints" / "step-000004"
    assert resume_point(run) == (run, None)
    assert resume_point(run, "step-4") == (run, four)
    assert resume_point(run, "4") == (run, four)
    assert resume_point(four) == (run, four)
    assert resume_point(four, "step-000004") == (run, four)
    with pytest.raises(CheckpointError, match=r"no checkpoint step-000012 .* step-000004, step-0"):
        resume_point(run, "12")
    with pytest.raises(CheckpointError, match="does not name a checkpoint"):
        resume_point(run, "latest-ish")
    with pytest.raises(CheckpointError, match="give one"):
        resume_point(four, "8")
    assert resume_command(four) == f"bertbench pretrain --resume {run} --checkpoint step-000004"
    (run / "labels.json").write_text("[]")
    assert resume_command(four).startswith("bertbench finetune --resume ")
    assert resume_command(tmp_path / "elsewhere" / "step-000001").endswith("step-000001")


def test_checkpoint_without_resume_is_refused(tmp_path, capsys):
    preset = write_preset(tmp_path)
    assert main(["pretrain", str(preset), "--checkpoint", "step-4"]) == 2
    assert "--resume" in capsys.readouterr().err
