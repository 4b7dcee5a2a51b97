"""RunFeed (what a UI shows of a training run) and the playground views, fed with the
engine's own event objects and the run library's result types."""

from __future__ import annotations

import math

import pytest

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
from workbench.services import Classification, FillMaskOutput, MaskFill, ProgressEvent
from workbench.services.runfeed import (
    LOG_LINES,
    RunFeed,
    format_duration,
    format_number,
    parse_overrides,
    thin,
)
from workbench.services.tryout import (
    filled_chips,
    label_scores,
    mask_rows,
    mask_scores,
    token_chips,
)


def step(n: int, loss: float, total: int = 10) -> StepEvent:
    return StepEvent(
        step=n, total_steps=total, loss=loss, lr=1e-3 / n, grad_norm=0.5 * n,
        tokens_per_s=1234.5, elapsed_s=2.0 * n, eta_s=2.0 * (total - n),
    )  # fmt: skip


def test_overrides_are_key_value_lines() -> None:
    text = "# tiny\npretrain.max_steps=5\n\n  model.num_layers = 2  \n"
    assert parse_overrides(text) == ["pretrain.max_steps=5", "model.num_layers = 2"]
    assert parse_overrides("") == []
    with pytest.raises(ValueError, match=r"line 3 \('max_steps 5'\) is not key=value"):
        parse_overrides("a.b=1\n\nmax_steps 5\n")
    with pytest.raises(ValueError, match="line 1"):
        parse_overrides("=5")


def test_durations_and_numbers_read_like_a_clock_and_short() -> None:
    assert [format_duration(s) for s in (0, 7.4, 754, 3723)] == ["0:00", "0:07", "12:34", "1:02:03"]
    assert format_duration(None) == format_duration(math.nan) == format_duration(-1) == "?"
    assert [format_number(v) for v in (3.14159, 0.0012, 12345.6, None)] == [
        "3.142", "1.2e-03", "12,346", "?",
    ]  # fmt: skip


def test_thinning_keeps_the_ends_and_spreads_evenly() -> None:
    steps = list(range(1, 101))
    values = [float(s * s) for s in steps]
    xs, ys = thin(steps, values, 10)
    assert len(xs) == 10 and xs[0] == 1 and xs[-1] == 100 and xs == sorted(xs)
    assert ys == [float(x * x) for x in xs]
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert max(gaps) - min(gaps) <= 1
    assert thin(steps[:5], values[:5], 10) == (steps[:5], values[:5])


def test_a_run_folds_into_curves_status_and_log() -> None:
    feed = RunFeed(run_id="pretrain-1")
    assert feed.status_text() == "pretrain-1: idle · step 0"
    changed = feed.apply(
        [
            ProgressEvent("tokenizer count", 60, 0),
            ProgressEvent("tokenizer merge", 10, 100),
            ProgressEvent("tokenizer merge", 90, 100),
            ProgressEvent("shards", 5, 10),
        ]
    )
    assert not changed and feed.status == "preparing"
    assert feed.status_text() == "pretrain-1: preparing · shards 5/10"
    assert [line.split("  ", 1)[1] for line in feed.log] == [
        "preparing: tokenizer count",
        "preparing: tokenizer merge",
        "preparing: shards",
    ]  # fmt: skip one line per stage, not per progress tick

    assert not feed.apply([StartedEvent(step=0, total_steps=10)])
    assert feed.apply([step(1, 5.0), step(2, 4.0)])
    text = feed.status_text()
    assert text.startswith("pretrain-1: running · step 2/10 (20%) · loss 4 · lr 5.00e-04")
    assert "grad norm 1 · 1,234 tokens/s · ETA 0:16" in text

    metrics = {"loss": 4.5, "accuracy": 0.25, "perplexity": 90.0, "mlm_loss": 4.4}
    assert feed.apply([EvalEvent(step=2, metrics=metrics)])
    assert feed.losses == {"train": ([1, 2], [5.0, 4.0]), "validation": ([2], [4.5])}
    # Perplexity and partial losses stay out of the 0..1 chart (they are in the log).
    assert feed.metrics == {"validation accuracy": ([2], [0.25])}
    assert "perplexity 90" in feed.log[-1]
    assert feed.loss_rows() == [(1, 5.0, "train"), (2, 4.0, "train"), (2, 4.5, "validation")]
    assert feed.metric_rows() == [(2, 0.25, "validation accuracy")]

    feed.apply([PausedEvent(step=2)])
    assert feed.status_text().startswith("pretrain-1: paused · step 2/10")
    feed.apply([ResumedEvent(step=2), step(3, 3.5)])
    path = "/ws/runs/tiny/checkpoints/step-000003"
    feed.apply([CheckpointEvent(step=3, path=path), CancelledEvent(step=3, checkpoint=path)])
    assert feed.ended and feed.status == "cancelled"
    text = feed.status_text()
    assert text.startswith("pretrain-1: cancelled · step 3/10") and "ETA" not in text
    assert text.endswith("trained for 0:06 · checkpoint step-000003")
    assert feed.log[-1].endswith("stopped at step 3; step-000003")


def test_failures_and_nan_losses() -> None:
    feed = RunFeed(run_id="pretrain-2")
    feed.apply([StartedEvent(step=0, total_steps=10), step(1, 5.0), step(2, math.nan)])
    assert feed.loss_rows() == [(1, 5.0, "train")]  # a NaN cannot be drawn
    feed.apply([FailedEvent(step=2, reason="loss is NaN at step 2")])
    assert feed.ended
    assert feed.status_text() == "pretrain-2: failed at step 2: loss is NaN at step 2"
    done = RunFeed(run_id="x")
    done.apply([StartedEvent(step=0, total_steps=2), step(2, 1.0, 2), FinishedEvent(step=2)])
    assert done.status == "finished" and "finished at step 2 (completed)" in done.log[-1]


def test_the_log_is_bounded() -> None:
    feed = RunFeed(run_id="r")
    feed.apply(ProgressEvent(f"stage {i}", i, 0) for i in range(LOG_LINES + 50))
    assert len(feed.log) == LOG_LINES and feed.log[-1].endswith(f"stage {LOG_LINES + 49}")


def test_playground_views() -> None:
    result = Classification(
        "food", [("food", 0.7), ("animals", 0.3)], ["[CLS]", "so", "##up", "[SEP]"]
    )
    assert list(label_scores(result).items()) == [("food", 0.7), ("animals", 0.3)]
    assert token_chips(result.tokens) == [
        ("[CLS]", "special"), ("so", "word"), ("##up", "piece"), ("[SEP]", "special"),
    ]  # fmt: skip
    out = FillMaskOutput(
        ["[CLS]", "the", "[MASK]", "sees", "[MASK]", "[SEP]"],
        [
            MaskFill(2, [("cat", 0.5), ("dog", 0.25)]),
            MaskFill(4, [("ball", 0.6), ("hat", 0.1)]),
        ],
    )
    assert mask_rows(out) == [
        (1, 1, "cat", 0.5), (1, 2, "dog", 0.25), (2, 1, "ball", 0.6), (2, 2, "hat", 0.1),
    ]  # fmt: skip
    assert mask_scores(out) == [{"cat": 0.5, "dog": 0.25}, {"ball": 0.6, "hat": 0.1}]
    assert filled_chips(out) == [
        ("[CLS]", "special"), ("the", "word"), ("cat", "mask 1"), ("sees", "word"),
        ("ball", "mask 2"), ("[SEP]", "special"),
    ]  # fmt: skip
    assert token_chips(out.tokens, "[MASK]")[2] == ("[MASK]", "mask")
