"""Events a training run emits, and the bus that hands them to listeners.

Events are plain dataclasses of numbers, strings and dicts, so the same object can be written
to metrics.jsonl, drawn as a progress bar, sent to a browser as JSON, or posted to a TUI. The
engine only emits; it never knows who listens. A listener is any callable taking one event,
and a listener that raises is logged and skipped — a broken chart must not kill a training run.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

log = logging.getLogger(__name__)


def _now() -> float:
    return time.time()


@dataclass
class Event:
    """Base of every event. `kind` names the event in its dict form (`{"event": kind, ...}`)."""

    kind: ClassVar[str] = "event"

    def to_dict(self) -> dict[str, Any]:
        data = {"event": self.kind}
        data.update(dataclasses.asdict(self))
        return data

    def to_json(self) -> str:
        """One line of strict JSON (NaN / infinity become null, which every reader accepts)."""
        return json.dumps(_finite(self.to_dict()), allow_nan=False, separators=(",", ":"))


@dataclass
class StartedEvent(Event):
    kind: ClassVar[str] = "started"
    step: int
    total_steps: int
    resumed: bool = False
    device: str = "cpu"
    precision: str = "fp32"
    time: float = field(default_factory=_now)


@dataclass
class StepEvent(Event):
    """Progress after an optimizer step; numbers are averaged since the previous StepEvent."""

    kind: ClassVar[str] = "step"
    step: int
    total_steps: int
    loss: float
    lr: float
    grad_norm: float | None = None
    tokens_per_s: float | None = None
    examples_per_s: float | None = None
    elapsed_s: float = 0.0
    eta_s: float | None = None
    epoch: int = 0
    metrics: dict[str, float] = field(default_factory=dict)
    time: float = field(default_factory=_now)


@dataclass
class EvalEvent(Event):
    kind: ClassVar[str] = "eval"
    step: int
    metrics: dict[str, float]
    split: str = "validation"
    time: float = field(default_factory=_now)


@dataclass
class ProbeEvent(Event):
    """Fill-mask probes at an evaluation: per probe sentence its text (one [MASK]), the true
    word when known, the top predictions as [token, probability] pairs (most probable first)
    and the true word's rank among all tokens (1 = top; None without a true word)."""

    kind: ClassVar[str] = "probe"
    step: int
    probes: list[dict[str, Any]]
    time: float = field(default_factory=_now)


@dataclass
class CheckpointEvent(Event):
    kind: ClassVar[str] = "checkpoint"
    step: int
    path: str
    is_best: bool = False
    time: float = field(default_factory=_now)


@dataclass
class PausedEvent(Event):
    kind: ClassVar[str] = "paused"
    step: int
    time: float = field(default_factory=_now)


@dataclass
class ResumedEvent(Event):
    """The run continues after a pause (not to be confused with resuming from a checkpoint)."""

    kind: ClassVar[str] = "resumed"
    step: int
    time: float = field(default_factory=_now)


@dataclass
class FinishedEvent(Event):
    kind: ClassVar[str] = "finished"
    step: int
    elapsed_s: float = 0.0
    # "completed" (reached total_steps), "data_exhausted" (a one-shot iterator ran dry),
    # "early_stopped" (the Trainer's early stopping saw no improvement for `patience` evals) or
    # "time_budget" (TrainerConfig.time_budget_s was spent before total_steps).
    reason: str = "completed"
    checkpoint: str | None = None
    time: float = field(default_factory=_now)


@dataclass
class FailedEvent(Event):
    kind: ClassVar[str] = "failed"
    step: int
    reason: str
    # The last good checkpoint, from which the run can be resumed (None if there is none).
    checkpoint: str | None = None
    time: float = field(default_factory=_now)


@dataclass
class CancelledEvent(Event):
    kind: ClassVar[str] = "cancelled"
    step: int
    checkpoint: str | None = None
    time: float = field(default_factory=_now)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.kind: cls
    for cls in (
        StartedEvent,
        StepEvent,
        EvalEvent,
        ProbeEvent,
        CheckpointEvent,
        PausedEvent,
        ResumedEvent,
        FinishedEvent,
        FailedEvent,
        CancelledEvent,
    )
}
TERMINAL_EVENTS = ("finished", "failed", "cancelled")


def event_from_dict(data: dict[str, Any]) -> Event:
    """Rebuild an event from `to_dict()` output (e.g. a line of metrics.jsonl).

    Unknown keys are ignored, so files written by a newer version still load.
    """
    kind = data.get("event")
    cls = EVENT_TYPES.get(kind)  # type: ignore[arg-type]
    if cls is None:
        raise ValueError(f"unknown event kind {kind!r}; expected one of {', '.join(EVENT_TYPES)}")
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in data.items() if k in names}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ValueError(f"malformed {kind!r} event {data!r}: {exc}") from exc


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


Listener = Callable[[Event], Any]


class EventBus:
    """Fans each event out to every listener, isolating the run from listener failures."""

    def __init__(self, listeners: Iterable[Listener] = ()) -> None:
        self.listeners: list[Listener] = list(listeners)
        # How often each listener raised; the first failure is logged with its traceback,
        # later ones briefly, so a listener broken on every step does not flood the log.
        self.failures: dict[int, int] = {}

    def add(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def remove(self, listener: Listener) -> None:
        self.listeners.remove(listener)

    def emit(self, event: Event) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception as exc:  # noqa: BLE001 - isolation is the point
                count = self.failures.get(id(listener), 0) + 1
                self.failures[id(listener)] = count
                if count == 1:
                    log.exception("event listener %r failed on %r event", listener, event.kind)
                else:
                    log.warning(
                        "event listener %r failed again on %r event (%d failures): %s",
                        listener,
                        event.kind,
                        count,
                        exc,
                    )

    __call__ = emit
