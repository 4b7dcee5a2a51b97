"""Run folders written by the real tracker from fixed events: the same names, curves and
figures on every machine (fixed dates, no timings), for snapshot and layout tests."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["events", "write_run"]


def events(total: int, lr: float, start: float = 0.0) -> list[Any]:
    """A fixed, plausible finished run: decaying loss, evaluations every 10 steps; a step a
    second from `start` (POSIX time), so its start time and duration are fixed too."""
    from bert_engine.training.events import (
        CheckpointEvent,
        EvalEvent,
        FinishedEvent,
        StartedEvent,
        StepEvent,
    )  # fmt: skip

    out: list[Any] = [StartedEvent(step=0, total_steps=total, time=start)]
    for step in range(1, total + 1):
        loss = 2.0 + 3.0 * math.exp(-step * lr * 40) + 0.1 * math.sin(step)
        out.append(
            StepEvent(
                step=step, total_steps=total, loss=loss, lr=lr, grad_norm=1.0 / step + 0.5,
                tokens_per_s=5120.0, eta_s=(total - step) * 0.5, time=start + step,
            )
        )  # fmt: skip
        if step % 10 == 0:
            out.append(EvalEvent(step=step, metrics={"loss": loss + 0.2, "accuracy": step / 100}))
            out.append(CheckpointEvent(step=step, path=f"checkpoints/step-{step}"))
    out.append(FinishedEvent(step=total, elapsed_s=30, time=start + total + 5))
    return out


def write_run(root: Path, name: str, day: int, lr: float, total: int = 40) -> Path:
    """`root`/runs/<name>-202601<day>T000000Z, a finished pre-training run of `total` steps."""
    from bert_engine.tracking import Tracker, create_run

    config = {"model": {"hidden_size": 32}, "pretrain": {"lr": lr, "max_steps": total}}
    when = datetime(2026, 1, day, tzinfo=timezone.utc)
    run_dir = create_run(root / "runs", name, config, when=when)
    with Tracker(run_dir, tensorboard=False) as tracker:
        for event in events(total, lr, when.timestamp() + 3600):
            tracker(event)
    return run_dir
