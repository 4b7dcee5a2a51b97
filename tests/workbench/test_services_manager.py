"""RunManager with real tiny pre-trainings: events polled and pushed, pause / resume / stop
with a checkpoint, continuing a stopped run, one training per device, failures reported."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from kit.services import tiny_preset, wait_until

from bert_engine.errors import InputError
from bert_engine.presets import PresetError
from workbench.services import RunBusyError, Services, UnknownRunError

LIMIT = 120.0  # safety limit for a wait, never a timing assertion


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")  # corpus and shard cache shared by the tests


@pytest.fixture()
def services(tmp_path: Path) -> Services:
    services = Services(tmp_path / "ws")
    yield services
    services.close(timeout=LIMIT)


def test_pretraining_runs_to_the_end_and_events_can_be_polled(
    services: Services, data_dir: Path
) -> None:
    manager = services.manager
    run_id = manager.start_pretraining(tiny_preset(data_dir))
    polled: list[Any] = []
    cursor = 0
    while True:
        events, cursor = manager.events_since(run_id, cursor)
        polled.extend(events)
        if not manager.status(run_id).active and not events:
            break
        time.sleep(0.02)  # a UI timer
    status = manager.status(run_id)
    assert status.status == "finished", status.error
    assert (status.step, status.total_steps) == (6, 6)
    kinds = [e.kind for e in polled]
    assert kinds[0] == "progress" and kinds[-1] == "finished"
    assert kinds.count("step") == 6 and kinds.count("eval") == 2
    assert [e.step for e in polled if e.kind == "checkpoint"] == [3, 6]
    assert all(isinstance(e.to_dict()["event"], str) for e in polled)
    # The run is an ordinary run directory in the workspace, like the CLI's.
    run_dir = status.run_dir
    assert run_dir is not None and run_dir.parent == services.workspace.runs_dir
    for name in ("config.toml", "tokenizer.json", "metrics.jsonl", "summary.json"):
        assert (run_dir / name).is_file()
    info = services.runs.list()[0]
    assert (info.run_id, info.status, info.kind, info.step) == (
        run_dir.name,
        "finished",
        "pretrain",
        6,
    )
    assert info.best["validation/loss"] == min(
        services.runs.curves(run_dir.name)["validation/loss"][1]
    )
    assert manager.events_since(run_id, cursor) == ([], cursor)
    # A run that finished all its steps has nothing to continue: said, nothing started.
    with pytest.raises(InputError, match="already finished all its 6 steps"):
        manager.continue_run(run_dir.name)
    assert len(manager.runs()) == 1


def test_pause_resume_stop_writes_a_checkpoint_and_the_run_continues(
    services: Services, data_dir: Path
) -> None:
    manager = services.manager
    pushed: list[Any] = []
    paused = threading.Event()

    def on_event(event: Any) -> None:  # runs on the worker thread, like Textual's post_message
        pushed.append(event)
        if event.kind == "step" and event.step == 2:
            manager.pause(run_id)
        if event.kind == "paused":
            paused.set()

    run_id = manager.start_pretraining(
        tiny_preset(data_dir, pretrain={"max_steps": 500, "checkpoint_every": 100})
    )
    manager.subscribe(run_id, on_event)
    assert paused.wait(LIMIT)
    status = manager.status(run_id)
    assert (status.status, status.step) == ("paused", 2)
    manager.resume(run_id)
    wait_until(lambda: manager.status(run_id).step >= 4, LIMIT)
    final = manager.stop(run_id, wait=True, timeout=LIMIT)
    assert final.status == "stopped" and 4 <= final.step < 500
    kinds = [e.kind for e in pushed]
    assert kinds.index("paused") < kinds.index("resumed") < kinds.index("cancelled")
    # The stop wrote a checkpoint of the step it stopped at.
    checkpoint = [e for e in pushed if e.kind == "cancelled"][0].checkpoint
    assert checkpoint is not None and Path(checkpoint).name == f"step-{final.step:06d}"
    assert (Path(checkpoint) / "model.safetensors").is_file()
    # Push and poll saw the same history.
    assert manager.events_since(run_id, 0)[0] == pushed
    # Continue from the checkpoint: the same directory, starting at the stopped step.
    started = threading.Event()
    again = manager.continue_run(final.run_dir.name)
    manager.subscribe(again, lambda e: e.kind == "started" and started.set())
    assert started.wait(LIMIT)
    history = manager.events_since(again, 0)[0]
    first = [e for e in history if e.kind == "started"][0]
    assert first.resumed and first.step == final.step
    assert manager.status(again).run_dir == final.run_dir
    # Following the continued run replays its recorded history first (its whole curve).
    before = history[: history.index(first)]
    assert [e.step for e in before if e.kind == "step"] == list(range(1, final.step + 1))
    # ... and its fill-mask probes before the stop (the probe table's history).
    from bert_engine.tracking import read_events

    recorded = [e.step for e in read_events(final.run_dir) if e.kind == "probe"]
    assert [e.step for e in before if e.kind == "probe"] == [
        step for step in recorded if step <= final.step
    ]
    # One identity: the folder name, which every call taking a run id also accepts.
    assert manager.status(again).run_name == final.run_dir.name
    assert manager.status(final.run_dir.name).run_id == again
    assert manager.stop(again, wait=True, timeout=LIMIT).status == "stopped"


def test_one_training_per_device(services: Services, data_dir: Path) -> None:
    manager = services.manager
    long = tiny_preset(data_dir, pretrain={"max_steps": 500, "checkpoint_every": 100})
    first = manager.start_pretraining(long)
    wait_until(lambda: manager.status(first).step >= 1, LIMIT)
    with pytest.raises(RunBusyError) as err:
        manager.start_pretraining(long)
    assert manager.status(first).run_name in str(err.value) and "cpu" in str(err.value)
    assert len(manager.runs()) == 1
    stopped = services.close(timeout=LIMIT)  # stop_all: every active run checkpoints
    assert [s.status for s in stopped] == ["stopped"]
    assert list((stopped[0].run_dir / "checkpoints").glob("step-*"))
    second = manager.start_pretraining(long)  # the device is free again
    manager.stop(second, wait=True, timeout=LIMIT)


def test_two_runs_side_by_side_when_allowed(tmp_path: Path, data_dir: Path) -> None:
    services = Services(tmp_path / "ws", max_per_device=2)
    preset = tiny_preset(data_dir, pretrain={"max_steps": 500, "checkpoint_every": 100})
    ids = [services.manager.start_pretraining(preset, name=f"side-{i}") for i in range(2)]
    wait_until(lambda: all(services.manager.status(i).step >= 1 for i in ids), LIMIT)
    statuses = services.close(timeout=LIMIT)
    assert sorted(s.run_id for s in statuses) == sorted(ids)
    assert {s.status for s in statuses} == {"stopped"}
    assert len({s.run_dir for s in statuses}) == 2


def test_failures_are_reported_not_raised(services: Services, data_dir: Path) -> None:
    manager = services.manager
    missing = data_dir / "no-such-corpus.txt"
    # A missing input file is refused before the run starts (the field and the path)...
    with pytest.raises(PresetError, match=r"data\.source: no file at .*no-such-corpus"):
        manager.start_pretraining(
            tiny_preset(data_dir, data={"source": str(missing)}, tokenizer={"source": str(missing)})
        )
    # ...a file that exists but holds no text fails in the run, and is reported.
    empty = data_dir / "empty-corpus.txt"
    empty.write_text("", encoding="utf-8")
    run_id = manager.start_pretraining(
        tiny_preset(data_dir, data={"source": str(empty)}, tokenizer={"source": str(empty)})
    )
    status = manager.wait(run_id, LIMIT)
    assert status.status == "failed"
    assert "empty-corpus" in (status.error or ""), status.error
    assert not (status.error or "").startswith("Data")  # a DataError: its message, no class name
    events, _ = manager.events_since(run_id, 0)
    assert events[-1].kind == "failed" and events[-1].reason == status.error
    with pytest.raises(UnknownRunError, match="no run 'nope'"):
        manager.status("nope")


def test_a_bug_in_a_run_names_its_class_and_is_logged(
    services: Services, data_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    import bert_engine.training.pretrain as pretrain

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("a bug in the workflow")

    monkeypatch.setattr(pretrain, "run_pretraining", broken)
    with caplog.at_level(logging.ERROR, logger="workbench"):
        run_id = services.manager.start_pretraining(tiny_preset(data_dir))
        status = services.manager.wait(run_id, LIMIT)
    # A user error's reason is its own message (above); a bug's names its class, and its
    # traceback is logged for whoever debugs it.
    assert status.status == "failed"
    assert status.error == "ZeroDivisionError: a bug in the workflow"
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ZeroDivisionError]
    assert logged and run_id in logged[0].getMessage()


def test_stop_during_preparation_cancels(services: Services, data_dir: Path) -> None:
    manager = services.manager
    run_id = manager.start_pretraining(tiny_preset(data_dir))
    status = manager.stop(run_id, wait=True, timeout=LIMIT)  # before any training step
    assert status.status == "stopped"
    kinds = [e.kind for e in manager.events_since(run_id, 0)[0]]
    assert kinds[-1] == "cancelled" and "started" not in kinds


def test_quitting_with_a_paused_run_checkpoints_it(services: Services, data_dir: Path) -> None:
    manager = services.manager
    paused = threading.Event()
    run_id = manager.start_pretraining(
        tiny_preset(data_dir, pretrain={"max_steps": 500, "checkpoint_every": 100})
    )

    def pause_at_three(event: Any) -> None:
        if event.kind == "step" and event.step == 3:
            manager.pause(run_id)
        elif event.kind == "paused":
            paused.set()

    manager.subscribe(run_id, pause_at_three)
    assert paused.wait(LIMIT)
    assert manager.status(run_id).status == "paused"
    (status,) = services.close(timeout=LIMIT)
    assert (status.status, status.step) == ("stopped", 3)
    assert (status.run_dir / "checkpoints" / "step-000003" / "model.safetensors").is_file()
    from bert_engine.tracking import read_summary

    assert read_summary(status.run_dir)["status"] == "stopped"


def test_the_history_a_continued_run_replays_holds_its_probes(tmp_path: Path) -> None:
    """What Train replays before a continued run goes live: steps, evaluations and probes of
    the branch kept (an attempt past the checkpoint resumed from is dropped)."""
    from bert_engine.tracking import Tracker, create_run
    from bert_engine.training.events import ProbeEvent, StartedEvent, StepEvent
    from workbench.services.manager import _history

    run = create_run(tmp_path / "runs", "r", {})
    probe = [{"text": "a [MASK] b", "true": "x", "top": [["y", 0.5]], "rank": 3}]
    with Tracker(run, tensorboard=False) as tracker:
        tracker(StartedEvent(step=0, total_steps=9))
        for step in range(1, 7):
            tracker(StepEvent(step=step, total_steps=9, loss=1.0, lr=1e-3))
            if step % 2 == 0:
                tracker(ProbeEvent(step=step, probes=probe))
        tracker(StartedEvent(step=4, total_steps=9, resumed=True))  # back to checkpoint 4
    kinds = [(e.kind, e.step) for e in _history(run) if e.kind in ("step", "probe")]
    assert [s for k, s in kinds if k == "probe"] == [2, 4]
    assert [s for k, s in kinds if k == "step"] == [1, 2, 3, 4]
