"""Two CPU processes on gloo, launched with torchrun exactly as a user would."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch
from kit.pretrain import write_preset

from bert_engine.tracking import read_curves, read_events, read_summary

REPO = Path(__file__).resolve().parents[2]


def _torchrun(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            "-m",
            "workbench.cli",
            "pretrain",
            *map(str, args),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=400,
    )


def test_two_processes_train_checkpoint_and_resume_exactly(tmp_path):
    path = write_preset(tmp_path, steps=8, eval_every=4, checkpoint_every=4)
    done = _torchrun(path, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    (run,) = sorted((tmp_path / "runs").iterdir())  # rank 0 alone made the run folder
    events = read_events(run)
    assert [e.kind for e in events].count("started") == 1  # rank 0 alone tracks
    assert read_summary(run)["status"] == "finished"
    steps, losses = read_curves(run)["train/loss"]
    assert steps == list(range(1, 9))
    # The checkpoint holds both ranks' data positions, each its own.
    state = torch.load(run / "checkpoints" / "step-000004" / "data_state.pt", weights_only=True)
    assert state["world_size"] == 2
    ranks = [s["examples"]["rank"] for s in state["ranks"]]
    assert ranks == [0, 1]

    # Resume a copy from step 4 with two processes: steps 5..8 replay exactly.
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    shutil.rmtree(copy / "checkpoints" / "step-000008")
    (copy / "checkpoints" / "latest").unlink()
    done = _torchrun("--resume", copy, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    s2, l2 = read_curves(copy)["train/loss"]
    assert s2 == steps
    for a, b in zip(losses, l2, strict=True):
        assert abs(a - b) <= 1e-6
