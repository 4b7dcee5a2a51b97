import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from kit.training import RandomTokens, Recorder, TinyLM

from bert_engine.tracking import (
    Tracker,
    compare_runs,
    create_run,
    flatten_config,
    list_runs,
    read_config,
    read_curves,
    read_events,
    read_summary,
    safe_name,
    utc_timestamp,
    write_config,
)
from bert_engine.training import (
    CheckpointManager,
    RunControl,
    Trainer,
    TrainerConfig,
    build_optimizer,
    build_scheduler,
    seed_everything,
)

CONFIG = {"name": "tiny", "model": {"hidden": 16, "dropout": 0.2}, "optim": {"lr": 5e-3}}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("bert-tiny", "bert-tiny"),
        ("my/run", "my-run"),
        ("..\\..\\evil", "evil"),
        ("CON", "CON_"),
        ("com1.txt", "com1_.txt"),
        ("trailing. ", "trailing"),
        ("", "run"),
        ("...", "run"),
        ("bert base ü", "bert-base-ü"),
        ('a<b>c:d"e|f?g*h', "a-b-c-d-e-f-g-h"),
    ],
)
def test_safe_name_examples(raw, expected):
    assert safe_name(raw) == expected


@given(st.text(max_size=80))
def test_safe_name_is_always_a_portable_directory_name(raw):
    name = safe_name(raw)
    assert name and len(name) <= 64
    assert not set(name) & set('/\\:*?"<>|') and name.isprintable()
    assert not name.endswith((".", " ")) and not name.startswith(".")
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}


def test_utc_timestamp_format():
    when = datetime(2026, 11, 25, 19, 30, 12, tzinfo=timezone(timedelta(hours=1)))
    assert utc_timestamp(when) == "20261125T183012Z"


def test_create_run_layout_and_config_round_trip(tmp_path):
    when = datetime(2026, 11, 25, 18, 30, 12, tzinfo=timezone.utc)
    config = {**CONFIG, "unset": None, "data": {"path": tmp_path / "x.txt", "cache": None}}
    run = create_run(tmp_path / "runs", "my run/1", config, when=when)
    assert run.name == "my-run-1-20261125T183012Z"
    assert (run / "checkpoints").is_dir()
    loaded = read_config(run)
    assert loaded["model"] == {"hidden": 16, "dropout": 0.2}
    assert loaded["data"] == {"path": str(tmp_path / "x.txt")}  # None is left out
    assert "unset" not in loaded
    second = create_run(tmp_path / "runs", "my run/1", when=when)
    assert second.name == "my-run-1-20261125T183012Z-2"


def test_unsupported_config_values_are_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"'model\.layer' has type object"):
        write_config(tmp_path, {"model": {"layer": object()}})


def train(
    run_dir,
    *,
    total=8,
    data_seed=1,
    resume=False,
    evaluate=True,
    control=None,
    listeners=(),
    checkpoint_every=4,
):
    seed_everything(0)
    model = TinyLM(dropout=0.1)
    opt = build_optimizer(model, lr=5e-3)
    sched = build_scheduler(opt, total_steps=total, warmup_steps=2)
    tracker = Tracker(run_dir, heartbeat_s=60)
    rec = Recorder()

    def evaluation(m):
        out = m(**RandomTokens(seed=9, n_batches=1).batch(0, 0))
        return {"loss": out.loss, "accuracy": out.metrics["accuracy"]}

    trainer = Trainer(
        model,
        opt,
        RandomTokens(seed=data_seed, n_batches=5),
        TrainerConfig(total_steps=total, eval_every=4, checkpoint_every=checkpoint_every),
        scheduler=sched,
        device="cpu",
        evaluate=evaluation if evaluate else None,
        checkpoints=CheckpointManager(
            run_dir / "checkpoints", keep_last=5, best_metric="validation/loss"
        ),
        control=control,
        listeners=[tracker, rec, *listeners],
    )
    if resume:
        trainer.resume(run_dir / "checkpoints" / "step-000004")
    with tracker:
        result = trainer.run()
    return result, rec


def test_tracker_records_every_event_summary_and_tensorboard(tmp_path):
    run = create_run(tmp_path, "tiny", CONFIG)
    result, rec = train(run)
    assert result.status == "finished"
    lines = (run / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["event"] for line in lines] == rec.kinds()
    assert read_events(run) == rec.events

    summary = read_summary(run)
    assert summary["status"] == "finished" and summary["step"] == 8
    assert summary["total_steps"] == 8 and summary["ended"] is not None
    steps = rec.of("step")
    evals = rec.of("eval")
    assert summary["last"]["train/loss"] == steps[-1].loss
    assert summary["last"]["validation/accuracy"] == evals[-1].metrics["accuracy"]
    best_loss = min(evals, key=lambda e: e.metrics["loss"])
    assert summary["best"]["validation/loss"] == {
        "value": best_loss.metrics["loss"],
        "step": best_loss.step,
        "mode": "min",
    }
    assert summary["best"]["validation/accuracy"]["mode"] == "max"
    assert summary["last_checkpoint"].endswith("step-000008")

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    tb_loss = [(s.step, s.value) for s in acc.Scalars("train/loss")]
    assert tb_loss == [(e.step, pytest.approx(e.loss, rel=1e-6)) for e in steps]
    assert {"train/lr", "train/grad_norm", "train/tokens_per_s", "validation/loss"} <= set(
        acc.Tags()["scalars"]
    )


def test_read_curves_tolerates_a_truncated_last_line(tmp_path):
    run = create_run(tmp_path, "tiny", CONFIG)
    _, rec = train(run)
    curves = read_curves(run)
    assert curves["train/loss"] == (
        [e.step for e in rec.of("step")],
        [e.loss for e in rec.of("step")],
    )
    assert curves["validation/accuracy"][0] == [4, 8]
    with open(run / "metrics.jsonl", "a") as fh:
        fh.write('{"event":"step","step":9,"total_steps":9,"loss":0.')  # killed mid-write
    assert read_curves(run) == curves


def test_curves_after_resume_follow_the_resumed_branch(tmp_path):
    run = create_run(tmp_path, "tiny", CONFIG)
    _, first = train(run)
    # Resume from step 4 on different data: steps 5..8 are re-done and must replace the old ones.
    _, second = train(run, resume=True, data_seed=2)
    curves = read_curves(run)
    steps, losses = curves["train/loss"]
    assert steps == list(range(1, 9))
    expected = {e.step: e.loss for e in first.of("step") if e.step <= 4}
    expected.update({e.step: e.loss for e in second.of("step")})
    assert losses == [expected[s] for s in steps]
    assert losses[4:] != [e.loss for e in first.of("step")][4:]
    assert read_summary(run)["status"] == "finished"


def dead_pid():
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_list_runs_reports_statuses_including_interrupted(tmp_path):
    base = datetime(2026, 1, 1, tzinfo=timezone.utc)
    finished = create_run(tmp_path, "done", CONFIG, when=base)
    train(finished, total=4, evaluate=False)

    control = RunControl()
    cancelled = create_run(tmp_path, "stopped", CONFIG, when=base + timedelta(minutes=1))
    train(
        cancelled,
        control=control,
        listeners=[lambda e: control.stop() if e.kind == "step" and e.step == 2 else None],
    )

    def fake(name, minutes, **fields):
        run = create_run(tmp_path, name, when=base + timedelta(minutes=minutes))
        summary = {
            "status": "running",
            "hostname": os.uname().nodename,
            "step": 3,
            "heartbeat": datetime.now(timezone.utc).isoformat(),
            **fields,
        }
        (run / "summary.json").write_text(json.dumps(summary))
        return run

    fake("crashed", 2, pid=dead_pid())
    fake("stale", 3, pid=None, heartbeat="2026-01-01T00:00:00+00:00")
    fake("alive", 4, pid=os.getpid())
    garbage = create_run(tmp_path, "garbage", when=base + timedelta(minutes=5))
    (garbage / "summary.json").write_text("{not json")

    runs = list_runs(tmp_path)
    assert [(r.name, r.status) for r in runs] == [
        ("garbage", "unknown"),
        ("alive", "running"),
        ("stale", "interrupted"),
        ("crashed", "interrupted"),
        ("stopped", "stopped"),
        ("done", "finished"),
    ]
    stopped = runs[4]
    assert stopped.step == 2 and stopped.last_checkpoint.endswith("step-000002")
    assert list_runs(tmp_path / "missing") == []


def test_heartbeat_keeps_a_paused_run_alive(tmp_path):
    from bert_engine.training import PausedEvent, StartedEvent

    run = create_run(tmp_path, "live")
    tracker = Tracker(run, tensorboard=False, heartbeat_s=0.05)
    tracker(StartedEvent(step=0, total_steps=10))
    tracker(PausedEvent(step=0))
    first = read_summary(run)["heartbeat"]
    deadline = time.monotonic() + 10
    while read_summary(run).get("heartbeat") == first and time.monotonic() < deadline:
        time.sleep(0.02)
    summary = read_summary(run)
    assert summary["heartbeat"] != first and summary["paused"] is True
    tracker.close()
    [record] = list_runs(tmp_path)
    assert record.status == "paused"  # this process is alive and the heartbeat is fresh


def test_compare_runs(tmp_path):
    a = create_run(tmp_path, "a", CONFIG)
    other = {
        "name": "tiny",
        "model": {"hidden": 32, "dropout": 0.2},
        "optim": {"lr": 5e-3},
        "seed": 3,
    }
    b = create_run(tmp_path, "b", other)
    train(a, total=4)
    train(b, total=8)
    cmp = compare_runs(a, b)
    assert cmp.config_diff == {"model.hidden": (16, 32), "seed": (None, 3)}
    sa, sb = read_summary(a), read_summary(b)
    row = cmp.metrics["validation/loss"]
    assert row["a_last"] == sa["last"]["validation/loss"]
    assert row["b_last"] == sb["last"]["validation/loss"]
    assert row["a_best"] == sa["best"]["validation/loss"]["value"]
    assert cmp.metrics["train/lr"]["a_best"] is None  # no 'best' for a learning rate
    with pytest.raises(FileNotFoundError, match="does not exist"):
        compare_runs(a, tmp_path / "nope")


def test_flatten_config():
    assert flatten_config({"a": {"b": {"c": 1}, "d": [1, 2]}, "e": "x"}) == {
        "a.b.c": 1,
        "a.d": [1, 2],
        "e": "x",
    }


def test_non_finite_values_never_reach_the_files(tmp_path):
    from bert_engine.training import StartedEvent, StepEvent

    with Tracker(tmp_path, tensorboard=False) as tracker:
        tracker(StartedEvent(step=0, total_steps=2))
        tracker(StepEvent(step=1, total_steps=2, loss=float("nan"), lr=0.1, grad_norm=float("inf")))
    for line in (tmp_path / "metrics.jsonl").read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"bare {c} in metrics.jsonl"))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "train/loss" not in summary["last"]
    assert torch.isfinite(torch.tensor(summary["last"]["train/lr"]))


def test_an_evaluation_after_the_end_reaches_tensorboard(tmp_path):
    # A fine-tuning run evaluates its best model on the test split after `finished`.
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from bert_engine.training import EvalEvent, FinishedEvent, StartedEvent

    run = create_run(tmp_path, "late", CONFIG)
    with Tracker(run, heartbeat_s=60) as tracker:
        tracker(StartedEvent(step=0, total_steps=3))
        tracker(EvalEvent(step=3, metrics={"accuracy": 0.5}, split="validation"))
        tracker(FinishedEvent(step=3))
        tracker(EvalEvent(step=2, metrics={"accuracy": 0.75, "loss": 0.4}, split="test"))
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    assert [(s.step, s.value) for s in acc.Scalars("test/accuracy")] == [(2, 0.75)]
    assert [(s.step, s.value) for s in acc.Scalars("validation/accuracy")] == [(3, 0.5)]
    assert [e.kind for e in read_events(run)] == ["started", "eval", "finished", "eval"]


def test_an_evaluation_after_the_end_keeps_the_runs_step(tmp_path):
    """A fine-tune evaluates its best checkpoint (step 3) on the test split after finishing at
    step 9: the run's step stays 9, the test metric is recorded at step 3."""
    from bert_engine.training import EvalEvent, FinishedEvent, StartedEvent, StepEvent

    run = create_run(tmp_path, "ft", CONFIG)
    with Tracker(run, tensorboard=False) as tracker:
        tracker(StartedEvent(step=0, total_steps=9))
        for step in range(1, 10):
            tracker(StepEvent(step=step, total_steps=9, loss=1.0 / step, lr=1e-3))
        tracker(FinishedEvent(step=9))
        tracker(EvalEvent(step=3, split="test", metrics={"accuracy": 0.75}))
    summary = read_summary(run)
    assert summary["step"] == 9 and summary["status"] == "finished"
    assert summary["last"]["test/accuracy"] == 0.75
