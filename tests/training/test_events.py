import json
import logging

import pytest

from bert_engine.training import EventBus, event_from_dict
from bert_engine.training.events import (
    EVENT_TYPES,
    CancelledEvent,
    CheckpointEvent,
    EvalEvent,
    FailedEvent,
    FinishedEvent,
    PausedEvent,
    ProbeEvent,
    ResumedEvent,
    StartedEvent,
    StepEvent,
)

SAMPLES = [
    StartedEvent(step=0, total_steps=10, resumed=False, device="cpu"),
    StepEvent(
        step=3,
        total_steps=10,
        loss=2.5,
        lr=1e-4,
        grad_norm=0.7,
        tokens_per_s=1200.0,
        examples_per_s=30.0,
        elapsed_s=4.2,
        eta_s=9.8,
        metrics={"mlm_accuracy": 0.12},
    ),
    EvalEvent(step=5, metrics={"loss": 2.1, "accuracy": 0.4}, split="validation"),
    ProbeEvent(
        step=5,
        probes=[{"text": "the [MASK] flows", "answer": "river", "top": [["sea", 0.4]], "rank": 3}],
    ),
    CheckpointEvent(step=5, path="runs/x/checkpoints/step-000005", is_best=True),
    PausedEvent(step=6),
    ResumedEvent(step=6),
    FinishedEvent(step=10, elapsed_s=12.0, checkpoint="c"),
    FailedEvent(step=7, reason="loss is nan at step 8", checkpoint=None),
    CancelledEvent(step=4, checkpoint="c4"),
]


def test_every_event_kind_has_a_sample():
    assert {e.kind for e in SAMPLES} == set(EVENT_TYPES)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.kind)
def test_round_trip_through_json(event):
    line = event.to_json()
    data = json.loads(line)
    assert data["event"] == event.kind
    assert event_from_dict(data) == event


def test_non_finite_numbers_become_null_in_json():
    event = StepEvent(step=1, total_steps=2, loss=float("nan"), lr=0.1, grad_norm=float("inf"))
    data = json.loads(event.to_json())  # strict JSON: would fail on a bare NaN token
    assert data["loss"] is None and data["grad_norm"] is None


def test_unknown_and_malformed_dicts_are_clear_errors():
    with pytest.raises(ValueError, match="unknown event kind 'explosion'"):
        event_from_dict({"event": "explosion"})
    with pytest.raises(ValueError, match="malformed 'step' event"):
        event_from_dict({"event": "step", "step": 1})
    # Extra keys (from a newer writer) are ignored.
    assert event_from_dict({"event": "paused", "step": 2, "time": 1.0, "new": 1}).step == 2


def test_bus_isolates_failing_listeners(caplog):
    got = []

    def broken(event):
        raise ValueError("boom")

    bus = EventBus([broken, got.append])
    with caplog.at_level(logging.WARNING):
        for event in SAMPLES[:3]:
            bus.emit(event)
    assert got == SAMPLES[:3]
    assert bus.failures[id(broken)] == 3
    records = [r for r in caplog.records if r.name == "bert_engine.training.events"]
    assert len(records) == 3 and all("boom" in r.getMessage() or r.exc_info for r in records)
    # The first failure carries the traceback; repeats are one line each.
    assert records[0].exc_info is not None and records[1].exc_info is None
