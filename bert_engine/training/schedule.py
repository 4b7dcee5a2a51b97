"""Learning-rate schedules: linear warm-up, then linear or cosine decay (or constant).

The schedule is a small callable object rather than a closure so that `LambdaLR.state_dict()`
saves its settings as plain numbers (LambdaLR stores a callable object's `__dict__`), which
round-trip through `torch.load(weights_only=True)`.
"""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LambdaLR

SCHEDULES = ("linear", "cosine", "constant")


class WarmupDecay:
    """Multiplier of the base learning rate at a given optimizer step.

    Rises linearly from 0 to 1 over `warmup_steps`, then follows `kind` down to
    `min_lr_ratio` at `total_steps` (and stays there if training goes on).

    Under a time budget the Trainer sets `time_fraction` (elapsed / budget) before each
    scheduler step; the decay then follows whichever runs out first, steps or time, so a run
    told "10 minutes" still ends at `min_lr_ratio` (decaying matters most for short runs).
    """

    def __init__(
        self, warmup_steps: int, total_steps: int, kind: str = "linear", min_lr_ratio: float = 0.0
    ) -> None:
        if kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {kind!r}: choose one of {', '.join(SCHEDULES)}")
        if total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {total_steps}")
        if not 0 <= warmup_steps <= total_steps:
            raise ValueError(
                f"warmup_steps must be in [0, total_steps={total_steps}], got {warmup_steps}"
            )
        if not 0.0 <= min_lr_ratio <= 1.0:
            raise ValueError(f"min_lr_ratio must be in [0, 1], got {min_lr_ratio}")
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.kind = kind
        self.min_lr_ratio = min_lr_ratio
        # Plain floats, so they are saved with LambdaLR's state and a resume continues the decay.
        self.time_fraction: float | None = None
        self.warmup_end_fraction: float | None = None  # time fraction when warm-up ended

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            # Step 0 would give lr 0 (a wasted step); start at 1/warmup instead.
            return (step + 1) / self.warmup_steps
        if self.kind == "constant":
            return 1.0
        decay_steps = self.total_steps - self.warmup_steps
        progress = 1.0 if decay_steps == 0 else min(1.0, (step - self.warmup_steps) / decay_steps)
        if self.time_fraction is not None:
            if self.warmup_end_fraction is None:
                self.warmup_end_fraction = min(self.time_fraction, 1.0)
            left = 1.0 - self.warmup_end_fraction
            by_time = 1.0 if left <= 0 else (self.time_fraction - self.warmup_end_fraction) / left
            progress = max(progress, min(1.0, by_time))
        if self.kind == "linear":
            shape = 1.0 - progress
        else:
            shape = 0.5 * (1.0 + math.cos(math.pi * progress))
        return self.min_lr_ratio + (1.0 - self.min_lr_ratio) * shape


def build_scheduler(
    optimizer: torch.optim.Optimizer,
    total_steps: int,
    warmup_steps: int = 0,
    kind: str = "linear",
    min_lr_ratio: float = 0.0,
) -> LambdaLR:
    """A `LambdaLR` stepping once per optimizer step with a `WarmupDecay` multiplier."""
    return LambdaLR(optimizer, WarmupDecay(warmup_steps, total_steps, kind, min_lr_ratio))


def set_time_fraction(scheduler: object, fraction: float) -> None:
    """Tell a scheduler's `WarmupDecay` multipliers how much of a time budget is spent."""
    for schedule in getattr(scheduler, "lr_lambdas", []):
        if isinstance(schedule, WarmupDecay):
            schedule.time_fraction = fraction


def warmup_steps_from_ratio(total_steps: int, ratio: float) -> int:
    """`warmup_ratio` (a fraction of training, as in many presets) to a step count."""
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"warmup ratio must be in [0, 1], got {ratio}")
    return int(round(total_steps * ratio))
