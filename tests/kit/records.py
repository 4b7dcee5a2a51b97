"""Real CLI trainings in their own processes, for the reliability tests of run records
(device lock, statuses, resume): start one, wait for its steps, kill it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from kit.pretrain import write_preset

REPO = Path(__file__).resolve().parents[2]
LIMIT_S = 240.0  # a safety limit for a loaded machine, not a timing assertion
# One intra-op thread, as in the test process (conftest): tiny models run fastest so.
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


def long_preset(folder: Path, steps: int = 400, every: int = 10) -> Path:
    """A tiny pre-training that lasts long enough to be caught mid-run (milliseconds a step)."""
    return write_preset(folder, steps=steps, eval_every=50, checkpoint_every=every)


def start_cli(*args: str, log: Path) -> subprocess.Popen[bytes]:
    """`bertbench ARGS` in a new process (this tree's code), output into `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "workbench.cli", *args],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=ENV,
        )


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=LIMIT_S,
        env=ENV,
    )


def run_dirs(runs: Path) -> list[Path]:
    return sorted(p for p in runs.iterdir() if p.is_dir() and not p.name.startswith("."))


def step_events(run: Path) -> list[dict]:
    """The `step` events of metrics.jsonl (a line cut by a kill is skipped)."""
    out = []
    path = run / "metrics.jsonl"
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "step":
            out.append(event)
    return out


def wait_for(runs: Path, proc: subprocess.Popen[bytes], step: int, log: Path) -> Path:
    """The run folder of `proc`, once its metrics.jsonl has reached `step`."""
    deadline = time.monotonic() + LIMIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the training ended early:\n{log.read_text(errors='replace')}")
        found = run_dirs(runs) if runs.is_dir() else []
        if found and any(e["step"] >= step for e in step_events(found[-1])):
            return found[-1]
        time.sleep(0.02)
    raise AssertionError("the training did not reach the step before the safety limit")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)
