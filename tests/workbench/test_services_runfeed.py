"""RunFeed (what a UI shows of a training run) and the playground views, fed with the
engine's own event objects and the run library's result types."""

from __future__ import annotations

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
from workbench.services.runfeed import RunFeed, parse_overrides, thin
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


def test_thinning_keeps_the_ends_and_spreads_evenly() -> None:
    steps = list(range(1, 101))
    values = [float(s * s) for s in steps]
    xs, ys = thin(steps, values, 10)
    assert len(xs) == 10 and xs[0] == 1 and xs[-1] == 100 and xs == sorted(xs)
    assert ys == [float(x * x) for x in xs]
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert max(gaps) - min(gaps) <= 1
    assert thin(steps[:5], values[:5], 10) == (steps[:5], values[:5])


def test_a_run_folds_into_two_charts_and_a_status_line() -> None:
    feed = RunFeed(run_id="pretrain-1")
    changed = feed.apply(
        [
            ProgressEvent("tokenizer count", 60, 0),
            ProgressEvent("tokenizer merge", 90, 100),
            ProgressEvent("shards", 5, 10),
        ]
    )
    assert not changed and feed.status == "starting" and not feed.ended
    assert feed.status_text() == "pretrain-1: starting · building data shards 5/10"

    assert not feed.apply([StartedEvent(step=0, total_steps=10)])
    assert feed.apply([step(1, 5.0), step(2, 4.0)])
    text = feed.status_text()
    assert text.startswith("pretrain-1: running · step 2/10 · loss 4 · lr 5.00e-04")
    assert "grad norm 1 · tokens/s 1,234 · ETA" in text

    metrics = {"loss": 4.5, "accuracy": 0.25, "perplexity": 90.0, "mlm_loss": 4.4}
    assert feed.apply([EvalEvent(step=2, metrics=metrics)])
    assert feed.loss_series() == {
        "train/loss": ([1, 2], [5.0, 4.0]),
        "validation/loss": ([2], [4.5]),
    }
    # Perplexity and partial losses stay out of the 0..1 chart (they are in the log).
    assert feed.metric_series() == {"validation/accuracy": ([2], [0.25])}
    assert "perplexity 90" in feed.live.log[-1]

    feed.apply([PausedEvent(step=2)])
    assert feed.status_text().startswith("pretrain-1: paused · step 2/10")
    feed.apply([ResumedEvent(step=2), step(3, 3.5)])
    path = "/ws/runs/tiny/checkpoints/step-000003"
    feed.apply([CheckpointEvent(step=3, path=path), CancelledEvent(step=3, checkpoint=path)])
    assert feed.ended and feed.status == "stopped" and feed.checkpoint == path
    text = feed.status_text()
    assert text.startswith("pretrain-1: stopped · step 3/10") and "ETA" not in text
    assert text.endswith(" · checkpoint step-000003")
    # Polling again with another run id starts over.


def test_failures_say_why_and_long_curves_are_thinned() -> None:
    feed = RunFeed(run_id="pretrain-2")
    feed.apply([StartedEvent(step=0, total_steps=5000)])
    feed.apply(step(n, 10.0 / n, 5000) for n in range(1, 3001))
    steps, values = feed.loss_series(max_points=50)["train/loss"]
    assert len(steps) == 50 and steps[0] == 1 and steps[-1] == 3000
    assert values == [10.0 / s for s in steps]
    feed.apply([FailedEvent(step=3000, reason="loss is NaN at step 3000")])
    assert feed.ended
    assert feed.status_text() == "pretrain-2: failed at step 3000: loss is NaN at step 3000"
    done = RunFeed(run_id="x")
    done.apply([StartedEvent(step=0, total_steps=2), step(2, 1.0, 2), FinishedEvent(step=2)])
    assert done.status == "finished" and "ETA" not in done.status_text()


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
        ("[CLS]", "special"), ("the", "word"), ("cat", "guess"), ("sees", "word"),
        ("ball", "guess"), ("[SEP]", "special"),
    ]  # fmt: skip
    assert token_chips(out.tokens, "[MASK]")[2] == ("[MASK]", "mask")
