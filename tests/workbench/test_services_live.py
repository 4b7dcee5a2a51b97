"""workbench.services.live: what both UIs show about runs, from real engine events."""

from __future__ import annotations

from pathlib import Path

from bert_engine.tracking import event_scalars
from bert_engine.training.events import (
    CancelledEvent,
    CheckpointEvent,
    EvalEvent,
    FailedEvent,
    FinishedEvent,
    PausedEvent,
    ResumedEvent,
    StartedEvent,
    StepEvent,
)
from workbench.services import ProgressEvent, RunInfo
from workbench.services.live import (
    LiveRun,
    bar,
    config_rows,
    format_eta,
    probability_rows,
    results_line,
    run_rows,
    scalars,
)


def step(n: int, loss: float, eta: float | None = 10.0) -> StepEvent:
    return StepEvent(
        step=n, total_steps=10, loss=loss, lr=1e-3 * n, grad_norm=0.5 + n,
        tokens_per_s=1234.5, eta_s=eta, metrics={"mlm_accuracy": 0.1 * n},
    )  # fmt: skip


def test_scalars_match_the_engine_names() -> None:
    events = [step(3, 2.5), EvalEvent(step=3, metrics={"loss": 2.0, "accuracy": 0.4})]
    for event in events:
        expected = {k: v for k, v in event_scalars(event).items() if v is not None}
        assert scalars(event) == expected
    assert scalars(PausedEvent(step=1)) == {}


def test_live_run_builds_curves_progress_and_log() -> None:
    live = LiveRun()
    live.apply(ProgressEvent("tokenizer merge", 5, 20))  # the manager's stage name
    assert live.status == "starting"
    assert live.progress() == ("training the tokenizer", 5, 20)
    live.apply(StartedEvent(step=0, total_steps=10))
    for n, loss in [(1, 5.0), (2, 4.0), (3, 3.5)]:
        live.apply(step(n, loss))
    live.apply(EvalEvent(step=3, metrics={"loss": 3.9, "accuracy": 0.2}))
    live.apply(CheckpointEvent(step=3, path="x", is_best=True))
    assert live.series["train/loss"] == ([1, 2, 3], [5.0, 4.0, 3.5])
    assert live.series["validation/loss"] == ([3], [3.9])
    assert live.eval_metrics() == ["validation/loss", "validation/accuracy"]
    live.apply(EvalEvent(step=3, metrics={"perplexity": 49.0, "mlm_loss": 3.9}))
    assert list(live.loss_curves()) == ["train/loss", "validation/loss"]
    assert list(live.metric_curves()) == ["validation/accuracy"]  # no perplexity: other scale
    assert live.progress() == ("steps", 3, 10)
    figures = dict(live.figures(now=live.eta_at))
    assert figures["step"] == "3/10" and figures["loss"] == "3.5" and figures["ETA"] == "10s"
    assert figures["lr"] == "3.00e-03" and figures["tokens/s"] == "1,234"
    # The ETA counts down between steps.
    assert dict(live.figures(now=live.eta_at + 4))["ETA"] == "6s"
    live.apply(PausedEvent(step=3))
    assert live.status == "paused"
    live.apply(ResumedEvent(step=3))
    live.apply(FinishedEvent(step=3, elapsed_s=75))
    assert live.status == "finished" and not live.active
    assert dict(live.figures())["ETA"] == "-"
    assert live.log[0] == "training the tokenizer..."
    assert "step 3: validation accuracy 0.2, loss 3.9" in live.log
    assert "step 3: checkpoint saved (best so far)" in live.log
    assert live.log[-1] == "finished at step 3 in 1m 15s"


def test_a_resumed_run_drops_the_steps_it_redoes() -> None:
    live = LiveRun()
    for n in (1, 2, 3, 4):
        live.apply(step(n, 5.0 - n))
    live.apply(StartedEvent(step=2, total_steps=10, resumed=True))
    live.apply(step(3, 0.5))
    assert live.series["train/loss"] == ([1, 2, 3], [4.0, 3.0, 0.5])
    assert "resumed from a checkpoint at step 2" in live.log[-1]


def test_a_stop_between_logged_steps_shows_the_step_reached() -> None:
    live = LiveRun()
    live.apply(StartedEvent(step=0, total_steps=10))
    live.apply(step(4, 1.0))  # steps logged every 4
    live.apply(CancelledEvent(step=6, checkpoint="checkpoints/step-000006"))
    assert live.status == "stopped" and live.step == 6
    assert live.progress() == ("steps", 6, 10)


def test_failure_keeps_the_reason() -> None:
    live = LiveRun()
    live.apply(FailedEvent(step=2, reason="loss is NaN; lower the learning rate"))
    assert live.status == "failed" and live.error == "loss is NaN; lower the learning rate"
    assert live.log[-1] == "FAILED at step 2: loss is NaN; lower the learning rate"


def test_formatting_helpers() -> None:
    assert [format_eta(s) for s in (None, 5.4, 185, 7620)] == ["-", "5s", "3m 05s", "2h 07m"]
    assert bar(0.0, 4) == "    " and bar(1.0, 4) == "████" and bar(0.5, 4) == "██  "
    assert bar(1 / 16, 2) == "▏ " and bar(7.0, 3) == "███"
    rows = probability_rows([("spam", 0.25), ("ham", 0.75)], width=8)
    assert [(r.label, r.bar, r.percent) for r in rows] == [
        ("ham", "██████  ", " 75.0%"),
        ("spam", "██      ", " 25.0%"),
    ]
    assert config_rows({"pretrain.lr": {"a": 0.1, "b": None}}, ["a", "b"]) == [
        ("pretrain.lr", "0.1", "-")
    ]


def test_run_rows() -> None:
    info = RunInfo(
        run_id="tiny-1", path=Path("x"), name="tiny", kind="finetune", status="finished",
        step=6, total_steps=6, best={"validation/accuracy": 0.875, "validation/loss": 0.3},
        last={"train/loss": 0.25}, managed_id=None,
    )  # fmt: skip
    assert run_rows([info]) == [
        ("tiny-1", "finetune", "finished", "6/6", "-", "-", "accuracy 0.875", "0.25", "-", "")
    ]
    # The metric the run chose, not the first one found; test scores in their own column.
    chose = RunInfo(
        run_id="cls-1", path=Path("x"), name="cls", kind="finetune", status="finished",
        step=6, total_steps=6, best={"validation/macro_f1": 0.5, "validation/accuracy": 0.75},
        last={"train/loss": 0.25}, managed_id=None, eval_metric="validation/accuracy",
        best_value=0.75, best_step=4, test={"test/accuracy": 0.7, "test/loss": 0.9},
        started=1767225600.0, duration_s=125.0, tags=("base", "sweep"),
    )  # fmt: skip
    assert run_rows([chose])[0][4:] == (
        "2026-01-01 00:00", "2m 05s", "accuracy 0.75", "0.25", "accuracy 0.7", "base sweep"
    )  # fmt: skip
    assert results_line(chose) == (
        "cls-1: finished · best validation/accuracy 0.75 at step 4 · test accuracy 0.7"
    )


def test_the_log_keeps_its_last_lines_and_counts_all() -> None:
    from workbench.services import MessageEvent
    from workbench.services.live import LOG_LIMIT

    live = LiveRun()
    for i in range(LOG_LIMIT + 5):
        live.apply(MessageEvent(f"line {i}"))
    assert len(live.log) == LOG_LIMIT and live.log_count == LOG_LIMIT + 5
    assert live.new_log_lines(LOG_LIMIT + 3) == [f"line {LOG_LIMIT + 3}", f"line {LOG_LIMIT + 4}"]
    assert live.new_log_lines(0) == live.log  # older lines are gone
    assert live.new_log_lines(live.log_count) == []
