"""Early stopping: end a run after `patience` evaluations without improvement of one metric.

The Trainer consults it after every evaluation (`Trainer(early_stopping=...)`) and then ends
the run as `finished` with `reason="early_stopped"`; its counters are saved in checkpoints so a
resumed run stops where the uninterrupted one would have.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class EarlyStopping:
    """Counts evaluations without improvement of `metric` (lower is better for names containing
    "loss", higher otherwise, unless `mode` says). `patience=None` never stops."""

    def __init__(self, metric: str, patience: int | None, mode: str | None = None) -> None:
        if patience is not None and patience < 1:
            raise ValueError(f"patience must be a positive number of evaluations, got {patience}")
        mode = mode or ("min" if "loss" in metric else "max")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.metric, self.patience, self.mode = metric, patience, mode
        self.best: float | None = None
        self.bad = 0  # evaluations since the last improvement

    def update(self, value: float) -> bool:
        """Records one evaluation; True when training should stop."""
        better = self.best is None or (
            value < self.best if self.mode == "min" else value > self.best
        )
        if better:
            self.best, self.bad = value, 0
        else:
            self.bad += 1
        return self.patience is not None and self.bad >= self.patience

    def state_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "best": self.best, "bad": self.bad}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        best = state.get("best")
        self.best = None if best is None else float(best)
        self.bad = int(state.get("bad", 0))
