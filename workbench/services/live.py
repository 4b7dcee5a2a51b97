"""What both UIs show about runs, computed once here: a live run's curves and figures built
from its events, the text of an ETA, rows of the runs table, probability bars.

`LiveRun` folds the manager's events (push or poll, in order) into plain Python data:

    live = LiveRun()
    for event in events:                    # from manager.subscribe / events_since
        live.apply(event)
    live.series["train/loss"]               # (steps, values), ready for a chart
    live.progress()                         # (label, done, total) for a progress bar
    live.figures()                          # [("lr", "1.0e-03"), ("ETA", "1m 20s"), ...]

No torch or engine import here (events are read by their attributes), so the TUI can import
this module before its first frame.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.services.run_meta import format_duration, format_start

LOG_LIMIT = 500  # lines kept in a live log; older lines are dropped

# Progress stages the manager reports while it prepares a run, in words.
STAGES = {
    "tokenizer count": "counting words for the tokenizer",
    "tokenizer merge": "training the tokenizer",
    "shards": "building data shards",
}

RUN_COLUMNS = (
    "run",
    "kind",
    "status",
    "step",
    "started",
    "duration",
    "best validation",
    "last train loss",
    "test",
    "tags",
)
ENDED = ("finished", "stopped", "failed")  # a run's final statuses (see docs/tracking.md)


def format_eta(seconds: float | None) -> str:
    """'45s', '3m 05s', '2h 07m'; '-' when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


def format_number(value: float | None) -> str:
    """A metric as short text: 4 significant digits, scientific for tiny or huge values."""
    if value is None:
        return "-"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        return f"{value:.2e}"
    return f"{value:.4g}"


def bar(fraction: float, width: int) -> str:
    """A horizontal bar of `width` cells, eighth-cell precision: '█████▍    '."""
    fraction = min(1.0, max(0.0, fraction if math.isfinite(fraction) else 0.0))
    eighths = round(fraction * width * 8)
    full, rest = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[rest] if rest else ""
    return ("█" * full + partial).ljust(width)


@dataclass
class ProbabilityRow:
    label: str
    probability: float
    bar: str
    percent: str


def probability_rows(pairs: Iterable[tuple[str, float]], width: int = 30) -> list[ProbabilityRow]:
    """(label, probability) pairs, most probable first, as rows with a bar and a percentage."""
    ranked = sorted(pairs, key=lambda kv: -kv[1])
    return [ProbabilityRow(label, p, bar(p, width), f"{100 * p:5.1f}%") for label, p in ranked]


def best_validation(best: dict[str, float | None], metric: str | None = None) -> str:
    """The headline metric of a run for a table cell: the metric the run chose (`metric`,
    e.g. its `finetune.eval_metric`), else accuracy or F1 for a classifier, else the
    validation loss; 'accuracy 0.93'."""
    keys = (
        (metric,) if metric else ("validation/macro_f1", "validation/accuracy", "validation/loss")
    )
    for key in keys:
        if key and best.get(key) is not None:
            return f"{key.split('/', 1)[-1]} {format_number(best[key])}"
    return "-"


def test_scores(test: dict[str, float]) -> str:
    """Final test-split metrics for a table cell: 'accuracy 0.91 · macro_f1 0.9'."""
    shown = [(k.split("/", 1)[-1], v) for k, v in sorted(test.items()) if not k.endswith("loss")]
    return " · ".join(f"{k} {format_number(v)}" for k, v in shown) or "-"


def results_line(run: Any, head: bool = True) -> str:
    """What a run achieved, in one line, from a `RunInfo`: (with `head`) its name and status,
    the best value of the metric it chose and when, and its test scores."""
    parts = [f"{run.run_id}: {run.status}"] if head else []
    if head and run.status == "failed" and getattr(run, "reason", None):
        parts[0] += f" ({run.reason})"
    metric = getattr(run, "eval_metric", None)
    if metric and getattr(run, "best_value", None) is not None:
        at = f" at step {run.best_step}" if getattr(run, "best_step", None) is not None else ""
        parts.append(f"best {metric} {format_number(run.best_value)}{at}")
    test = getattr(run, "test", None) or {}
    if test:
        parts.append(f"test {test_scores(test)}")
    return " · ".join(parts)


def run_rows(runs: Sequence[Any]) -> list[tuple[str, ...]]:
    """Rows of the runs table (columns `RUN_COLUMNS`) from `RunLibrary.list()` entries."""
    rows = []
    for r in runs:
        step = f"{r.step}/{r.total_steps}" if r.total_steps else str(r.step)
        rows.append(
            (
                r.run_id,
                r.kind,
                r.status,
                step,
                format_start(getattr(r, "started", None)),
                format_duration(getattr(r, "duration_s", None)),
                best_validation(r.best, getattr(r, "eval_metric", None)),
                format_number(r.last.get("train/loss")),
                test_scores(getattr(r, "test", None) or {}),
                " ".join(getattr(r, "tags", ())),
            )
        )
    return rows


def config_rows(diff: dict[str, dict[str, Any]], runs: Sequence[str]) -> list[tuple[str, ...]]:
    """The settings that differ between runs as rows: (setting, value in run 1, run 2, ...)."""
    return [
        (key, *("-" if values.get(r) is None else str(values.get(r)) for r in runs))
        for key, values in sorted(diff.items())
    ]


def scalars(event: Any) -> dict[str, float]:
    """Curve points an event carries, named as in metrics.jsonl and TensorBoard ('train/loss',
    'validation/accuracy'); mirrors `bert_engine.tracking.event_scalars` without importing the
    engine (and torch) so a UI can use it before its first frame."""
    kind = getattr(event, "kind", None)
    out: dict[str, float] = {}
    if kind == "step":
        for name in ("loss", "lr", "grad_norm", "tokens_per_s", "examples_per_s"):
            value = getattr(event, name, None)
            if value is not None:
                out[f"train/{name}"] = float(value)
        for name, value in (getattr(event, "metrics", None) or {}).items():
            if value is not None:
                out[f"train/{name}"] = float(value)
    elif kind == "eval":
        split = getattr(event, "split", "validation")
        for name, value in (event.metrics or {}).items():
            if value is not None:
                out[f"{split}/{name}"] = float(value)
    return out


def describe(event: Any) -> str | None:
    """One log line for an event; None for the frequent ones (steps, progress ticks)."""
    kind = getattr(event, "kind", "?")
    step = getattr(event, "step", None)
    if kind == "started":
        how = "resumed from a checkpoint" if getattr(event, "resumed", False) else "started"
        return (
            f"{how} at step {step} of {event.total_steps} on {getattr(event, 'device', '?')} "
            f"({getattr(event, 'precision', '?')})"
        )
    if kind == "eval":
        shown = ", ".join(f"{k} {format_number(v)}" for k, v in sorted(event.metrics.items()))
        return f"step {step}: {getattr(event, 'split', 'validation')} {shown}"
    if kind == "checkpoint":
        best = " (best so far)" if getattr(event, "is_best", False) else ""
        return f"step {step}: checkpoint saved{best}"
    if kind in ("paused", "resumed"):
        return f"{kind} at step {step}"
    if kind == "finished":
        return f"finished at step {step} in {format_eta(getattr(event, 'elapsed_s', None))}"
    if kind == "cancelled":
        where = " (checkpoint saved)" if getattr(event, "checkpoint", None) else ""
        return f"stopped at step {step}{where}"
    if kind == "failed":
        return f"FAILED at step {step}: {event.reason}"
    if kind == "message":
        return str(event.text)
    return None


@dataclass
class LiveRun:
    """A run as the UIs show it while it trains, rebuilt from its events in order."""

    status: str = "starting"  # then running, paused; finished, stopped or failed
    step: int = 0
    total_steps: int | None = None
    loss: float | None = None
    lr: float | None = None
    grad_norm: float | None = None
    tokens_per_s: float | None = None
    eta_s: float | None = None
    eta_at: float | None = None  # when eta_s was measured (time.time())
    stage: str | None = None  # preparation stage while preparing
    stage_current: int = 0
    stage_total: int = 0
    error: str | None = None
    series: dict[str, tuple[list[int], list[float]]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    version: int = 0  # bumped by every event: a UI redraws only when it changed
    log_count: int = 0  # lines ever logged (`log` keeps the last LOG_LIMIT)

    def apply(self, event: Any) -> None:
        kind = getattr(event, "kind", None)
        self.version += 1
        if kind == "progress":
            self.status = "starting"
            if event.stage != self.stage:
                self._log(f"{STAGES.get(event.stage, event.stage)}...")
            self.stage, self.stage_current, self.stage_total = (
                event.stage,
                event.current,
                event.total,
            )
            return
        if kind == "started":
            self.status, self.stage = "running", None
            self.step, self.total_steps = event.step, event.total_steps
            # A run resumed from a checkpoint redoes the steps after it: drop them.
            for steps, values in self.series.values():
                while steps and steps[-1] > event.step:
                    steps.pop()
                    values.pop()
        elif kind == "step":
            self.step, self.total_steps = event.step, event.total_steps
            self.loss, self.lr, self.grad_norm = event.loss, event.lr, event.grad_norm
            self.tokens_per_s = event.tokens_per_s
            self.eta_s, self.eta_at = event.eta_s, getattr(event, "time", time.time())
        elif kind == "paused":
            self.status = "paused"
        elif kind == "resumed":
            self.status = "running"
        elif kind in ("finished", "cancelled", "failed"):
            self.status = "stopped" if kind == "cancelled" else kind
            self.eta_s = None
            # Steps are logged every log_every: the end names the step training reached.
            if isinstance(getattr(event, "step", None), int) and event.step > self.step:
                self.step = event.step
            if kind == "failed":
                self.error = event.reason
        for name, value in scalars(event).items():
            steps, values = self.series.setdefault(name, ([], []))
            steps.append(event.step)
            values.append(value)
        line = describe(event)
        if line is not None:
            self._log(line)

    def _log(self, line: str) -> None:
        self.log.append(line)
        self.log_count += 1
        del self.log[:-LOG_LIMIT]

    def new_log_lines(self, seen: int) -> list[str]:
        """The lines logged after the first `seen` (a UI's count of lines already shown)."""
        fresh = min(self.log_count - seen, len(self.log))
        return self.log[len(self.log) - fresh :] if fresh > 0 else []

    @property
    def active(self) -> bool:
        return self.status not in ENDED

    def progress(self) -> tuple[str, int, int]:
        """(what, done, total) for a progress bar: the preparation stage, else the steps."""
        if self.status == "starting" and self.stage is not None:
            return STAGES.get(self.stage, self.stage), self.stage_current, self.stage_total
        return "steps", self.step, self.total_steps or 0

    def eval_metrics(self) -> list[str]:
        """Names of the evaluation curves ('validation/loss', ...), loss first."""
        names = [n for n in self.series if not n.startswith("train/")]
        return sorted(names, key=lambda n: (not n.endswith("/loss"), n))

    def loss_curves(self) -> dict[str, tuple[list[int], list[float]]]:
        """Train and evaluation losses ("train/loss", "validation/loss"), for one chart."""
        return {
            name: points
            for name, points in self.series.items()
            if name.endswith("/loss") and name.count("/") == 1
        }

    def metric_curves(self) -> dict[str, tuple[list[int], list[float]]]:
        """Evaluation metrics on a 0..1 scale (accuracy, F1), for a second chart: perplexity
        and the partial losses would squash them, so those stay in the log and the figures."""
        return {
            name: points
            for name, points in self.series.items()
            if not name.startswith("train/") and "loss" not in name and "perplexity" not in name
        }

    def figures(self, now: float | None = None) -> list[tuple[str, str]]:
        """(name, value) pairs of the latest numbers; the ETA counts down between steps."""
        eta = self.eta_s
        if eta is not None and self.eta_at is not None and self.status == "running":
            eta = max(0.0, eta - max(0.0, (now or time.time()) - self.eta_at))
        total = f"/{self.total_steps}" if self.total_steps else ""
        return [
            ("status", self.status),
            ("step", f"{self.step}{total}"),
            ("loss", format_number(self.loss)),
            ("lr", "-" if self.lr is None else f"{self.lr:.2e}"),
            ("grad norm", format_number(self.grad_norm)),
            ("tokens/s", "-" if self.tokens_per_s is None else f"{self.tokens_per_s:,.0f}"),
            ("ETA", format_eta(eta) if self.active else "-"),
        ]
