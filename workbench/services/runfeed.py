"""RunFeed: one run's event history folded into what a UI shows while it trains.

Both UIs follow a run the same way: curves (train and validation loss, validation metrics),
a status line (step/total, loss, lr, grad norm, tokens/s, ETA, or the preparation stage) and
a short log of the notable events. A UI feeds events in — polled with
`RunFeed.follow(manager, run_id)` (the web panel's timer) or pushed one by one through
`apply([event])` (a Textual subscriber) — and draws `loss_rows()`, `metric_rows()`,
`status_text()` and `log`. No UI imports here; everything is plain lists and strings.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workbench.services.manager import RunManager

TERMINAL = ("finished", "failed", "cancelled")
LOG_LINES = 200  # the log keeps the newest lines only: a long run must not grow it forever
MAX_POINTS = 1000  # per series handed to a chart; older points are thinned, not dropped

# A series: parallel lists of steps and values.
Series = tuple[list[int], list[float]]
# Chart rows in long form: (step, value, series name), the shape a line chart with one colour
# per series takes (a DataFrame with columns step, value, series).
Row = tuple[int, float, str]


def parse_overrides(text: str) -> list[str]:
    """`key=value` lines from a text box (blank lines and `#` comments skipped)."""
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, _ = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(
                f"override line {number} ({line!r}) is not key=value; "
                "write e.g. pretrain.max_steps=100, one setting per line"
            )
        out.append(line)
    return out


def format_duration(seconds: float | None) -> str:
    """`0:07`, `12:34`, `1:02:03` — a clock, as progress bars show it."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "?"
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_number(value: float | None, digits: int = 4) -> str:
    """Short and readable: 0.0012 -> 1.2e-03, 3.14159 -> 3.142, 12345.6 -> 12,346."""
    if value is None:
        return "?"
    if value != value:
        return "nan"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude != 0 and magnitude < 0.01:
        return f"{value:.1e}"
    return f"{value:.{digits}g}"


def thin(steps: Sequence[int], values: Sequence[float], max_points: int = MAX_POINTS) -> Series:
    """At most `max_points` evenly spread points, always keeping the first and the last."""
    n = len(steps)
    if n <= max_points or max_points < 2:
        return list(steps), list(values)
    stride = (n - 1) / (max_points - 1)
    picks = sorted({round(i * stride) for i in range(max_points)} | {n - 1})
    return [steps[i] for i in picks], [values[i] for i in picks]


@dataclass
class RunFeed:
    """What one UI knows of one run; update it with `apply` or `follow`."""

    run_id: str | None = None
    cursor: int = 0  # for manager.events_since
    status: str = "idle"  # idle, starting, preparing, running, paused, stopping, + TERMINAL
    step: int = 0
    total_steps: int | None = None
    loss: float | None = None
    lr: float | None = None
    grad_norm: float | None = None
    tokens_per_s: float | None = None
    eta_s: float | None = None
    elapsed_s: float | None = None
    stage: tuple[str, int, int] | None = None  # preparation: (stage, current, total)
    error: str | None = None
    checkpoint: str | None = None  # the latest checkpoint written
    run_dir: str | None = None
    # series name -> (steps, values); "train" and "validation" loss, validation metrics
    losses: dict[str, Series] = field(default_factory=dict)
    metrics: dict[str, Series] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.status in TERMINAL

    # ------------------------------------------------------------------ updating
    def follow(self, manager: RunManager, run_id: str) -> bool:
        """Fetch the events since the last call; True when the curves got new points.

        Switching to another run id starts over (a fresh feed for that run)."""
        if run_id != self.run_id:
            fresh = RunFeed(run_id=run_id)
            for f in fields(self):
                setattr(self, f.name, getattr(fresh, f.name))
        events, self.cursor = manager.events_since(run_id, self.cursor)
        changed = self.apply(events)
        snapshot = manager.status(run_id)  # also knows "stopping", which has no event
        self.status = snapshot.status
        self.error = snapshot.error or self.error
        if snapshot.run_dir is not None:
            self.run_dir = str(snapshot.run_dir)
        return changed

    def apply(self, events: Iterable[Any]) -> bool:
        """Fold events in order; True when a curve got a new point."""
        changed = False
        for event in events:
            changed = self._apply(event) or changed
        return changed

    def _apply(self, event: Any) -> bool:
        kind = event.kind
        if kind == "progress":
            if self.stage is None or self.stage[0] != event.stage:
                self._log(event, f"preparing: {event.stage}")
            self.status, self.stage = "preparing", (event.stage, event.current, event.total)
            return False
        if kind == "message":
            self._log(event, event.text)
            return False
        if kind == "started":
            self.status, self.stage = "running", None
            self.step, self.total_steps = event.step, event.total_steps
            how = "resumed" if event.resumed else "started"
            self._log(
                event,
                f"{how} at step {event.step} of {event.total_steps} on {event.device} "
                f"({event.precision})",
            )
            return False
        if kind == "step":
            self.step, self.total_steps = event.step, event.total_steps
            self.loss, self.lr, self.grad_norm = event.loss, event.lr, event.grad_norm
            self.tokens_per_s, self.eta_s = event.tokens_per_s, event.eta_s
            self.elapsed_s = event.elapsed_s
            _add(self.losses, "train", event.step, event.loss)
            return True
        if kind == "eval":
            changed = False
            for name, value in event.metrics.items():
                if value is None:
                    continue
                if name == "loss":
                    _add(self.losses, event.split, event.step, value)
                elif "loss" not in name and name != "perplexity":
                    # Accuracies and F1 share a 0..1 scale; perplexity and partial losses
                    # would squash them, so those stay in the log.
                    _add(self.metrics, f"{event.split} {name}", event.step, value)
                changed = True
            shown = ", ".join(f"{k} {format_number(v)}" for k, v in event.metrics.items())
            self._log(event, f"step {event.step} {event.split}: {shown}")
            return changed
        if kind == "checkpoint":
            self.checkpoint = event.path
            best = " (best so far)" if event.is_best else ""
            self._log(event, f"step {event.step} checkpoint {Path(event.path).name}{best}")
            return False
        if kind in ("paused", "resumed"):
            self.status = "paused" if kind == "paused" else "running"
            self._log(event, f"{kind} at step {event.step}")
            return False
        if kind in TERMINAL:
            self.status = kind
            self.step = max(self.step, event.step)
            self.checkpoint = getattr(event, "checkpoint", None) or self.checkpoint
            if kind == "finished":
                took = format_duration(event.elapsed_s) if event.elapsed_s else "?"
                self._log(event, f"finished at step {event.step} ({event.reason}) in {took}")
            elif kind == "failed":
                self.error = event.reason
                self._log(event, f"failed at step {event.step}: {event.reason}")
            else:
                where = Path(event.checkpoint).name if event.checkpoint else "no checkpoint"
                self._log(event, f"stopped at step {event.step}; {where}")
            return False
        return False

    def _log(self, event: Any, text: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(getattr(event, "time", time.time())))
        self.log.append(f"{stamp}  {text}")
        del self.log[:-LOG_LINES]

    # ------------------------------------------------------------------ showing
    def loss_rows(self, max_points: int = MAX_POINTS) -> list[Row]:
        return _rows(self.losses, max_points)

    def metric_rows(self, max_points: int = MAX_POINTS) -> list[Row]:
        return _rows(self.metrics, max_points)

    def status_text(self) -> str:
        """One line: what the run does now and how far it is."""
        if self.run_id is None:
            return "no run selected"
        head = f"{self.run_id}: {self.status}"
        if self.status == "failed":
            return f"{head} at step {self.step}: {self.error or 'unknown error'}"
        if self.status == "preparing" and self.stage is not None:
            stage, current, total = self.stage
            count = f"{current:,}/{total:,}" if total > 0 else f"{current:,}"
            return f"{head} · {stage} {count}"
        parts = [head]
        if self.total_steps:
            share = 100 * self.step / self.total_steps
            parts.append(f"step {self.step:,}/{self.total_steps:,} ({share:.0f}%)")
        else:
            parts.append(f"step {self.step:,}")
        if self.loss is not None:
            parts.append(f"loss {format_number(self.loss)}")
        if self.lr is not None:
            parts.append(f"lr {self.lr:.2e}")
        if self.grad_norm is not None:
            parts.append(f"grad norm {format_number(self.grad_norm, 3)}")
        if self.tokens_per_s is not None:
            parts.append(f"{self.tokens_per_s:,.0f} tokens/s")
        if self.status in ("running", "paused", "stopping") and self.eta_s is not None:
            parts.append(f"ETA {format_duration(self.eta_s)}")
        if self.ended and self.elapsed_s is not None:
            parts.append(f"trained for {format_duration(self.elapsed_s)}")
        if self.status == "cancelled" and self.checkpoint:
            parts.append(f"checkpoint {Path(self.checkpoint).name}")
        return " · ".join(parts)


def _add(series: dict[str, Series], name: str, step: int, value: float) -> None:
    steps, values = series.setdefault(name, ([], []))
    steps.append(int(step))
    values.append(float(value))


def _rows(series: dict[str, Series], max_points: int) -> list[Row]:
    rows: list[Row] = []
    for name, (steps, values) in series.items():
        xs, ys = thin(steps, values, max_points)
        # NaN/inf cannot be drawn (and are not valid JSON): the failed event says why.
        rows.extend((x, y, name) for x, y in zip(xs, ys, strict=True) if math.isfinite(y))
    return rows
