"""workbench.services.charts: the chart model both UIs draw, on hand-computed series and on
the curves of a real tiny pre-training (MLM + NSP)."""

from __future__ import annotations

import math

import pytest
from kit.services import tiny_preset

from workbench.services import Services
from workbench.services.charts import (
    CHARTS,
    SPARSE_BELOW,
    available,
    build_chart,
    build_charts,
    chart_curves,
    compare_chart,
    ema,
    integer_ticks,
    next_smoothing,
    step_range,
)
from workbench.services.live import LiveRun


def test_ema_is_tensorboards_debiased_average() -> None:
    # By hand, w = 0.5: s1 = 0.5*1 = 0.5 -> 0.5/(1-0.5) = 1; s2 = 0.25 + 1 = 1.25 ->
    # 1.25/(1-0.25) = 5/3; s3 = 0.625 + 1.5 = 2.125 -> 2.125/(1-0.125) = 17/7.
    assert ema([1.0, 2.0, 3.0], 0.5) == pytest.approx([1.0, 5 / 3, 17 / 7])
    assert ema([4.0, 2.0], 0.0) == [4.0, 2.0]  # weight 0: the values themselves
    # A NaN passes through and leaves the average alone: the next point is as without it.
    out = ema([1.0, math.nan, 2.0], 0.5)
    assert math.isnan(out[1]) and out[2] == pytest.approx(5 / 3)
    # The first point is never pulled towards 0 (the bias correction).
    assert ema([10.0], 0.99) == pytest.approx([10.0])
    for bad in (-0.1, 1.0, 2, "0.5"):
        with pytest.raises(ValueError, match="smoothing must be a number from 0"):
            ema([1.0], bad)  # type: ignore[arg-type]


def test_smoothing_steps_cycle() -> None:
    assert next_smoothing(0.0) == 0.6
    assert next_smoothing(0.6) == 0.8
    assert next_smoothing(0.99) == 0.0
    assert next_smoothing(0.7) == 0.8  # a slider's value in between


def test_integer_ticks_and_step_range() -> None:
    ticks = integer_ticks(1, 125)
    assert ticks == [20, 40, 60, 80, 100, 120]
    assert all(isinstance(t, int) for t in ticks)
    assert integer_ticks(1, 3, most=6) == [1, 2, 3]  # never 1.5
    assert integer_ticks(7, 7) == [7]
    # One evaluation at step 200: 0..200, not 100..300.
    assert step_range([([200], [0.5])]) == (0, 200)
    assert step_range([([0], [0.5])]) == (0, 1)
    assert step_range([([3, 9], [1.0, 2.0]), ([12], [1.0])]) == (3, 12)
    assert step_range([]) is None


def curves(n: int = 40) -> dict[str, tuple[list[int], list[float]]]:
    steps = list(range(1, n + 1))
    return {
        "train/loss": (steps, [5.0 / s + 1.0 for s in steps]),
        "train/mlm_loss": (steps, [4.0 / s + 0.5 for s in steps]),
        "train/nsp_loss": (steps, [1.0 / s + 0.5 for s in steps]),
        # A linear decay to 0 at the last step, as the schedule does.
        "train/lr": (steps, [1e-3 * (n - s) / n for s in steps]),
        "train/grad_norm": (steps, [1.0] * n),
        "train/tokens_per_s": (steps, [5000.0] * n),
        "train/mlm_accuracy": (steps, [0.5] * n),
        "validation/loss": ([20, 40], [1.5, 1.2]),
        "validation/mlm_accuracy": ([20, 40], [0.3, 0.4]),
        "validation/perplexity": ([20, 40], [40.0, 30.0]),
    }


def test_which_curve_goes_on_which_chart() -> None:
    data = curves()
    assert chart_curves("loss", data) == [
        "train/loss", "train/mlm_loss", "train/nsp_loss", "validation/loss",
    ]  # fmt: skip
    assert chart_curves("lr", data) == ["train/lr"]
    assert chart_curves("metrics", data) == ["validation/mlm_accuracy"]  # 0..1 evaluations
    assert available(data) == list(CHARTS)
    assert available({"train/loss": ([1], [2.0])}) == ["loss"]
    with pytest.raises(ValueError, match="no chart 'speed'; the charts are: loss, lr"):
        chart_curves("speed", data)


def test_charts_share_integer_steps_and_flag_sparse_series() -> None:
    charts = build_charts(curves())
    assert {c.x_range for c in charts.values()} == {(1, 40)}  # one step axis for the run
    loss = charts["loss"]
    by_name = {s.name: s for s in loss.series}
    assert by_name["validation/loss"].sparse and not by_name["train/loss"].sparse
    assert all(isinstance(s, int) for series in loss.series for s in series.steps)
    assert loss.x_ticks() == [10, 20, 30, 40]
    assert loss.x_ticks(most=8) == [5, 10, 15, 20, 25, 30, 35, 40]
    assert charts["metrics"].y_range == (0.0, 1.0)
    # A run with one evaluation: the point is there, flagged for a marker.
    one = build_chart("metrics", {"validation/accuracy": ([7], [0.5])})
    assert one.series[0].sparse and one.series[0].steps == [7] and one.x_range == (0, 7)
    assert len(curves(SPARSE_BELOW)["train/loss"][0]) == SPARSE_BELOW
    dense = build_chart("loss", curves(SPARSE_BELOW))
    assert not dense.series[0].sparse


def test_smoothing_keeps_the_raw_series_and_spares_evaluations() -> None:
    data = curves()
    chart = build_chart("loss", data, smoothing=0.6)
    kinds = [(s.name, s.faint, s.smoothed) for s in chart.series]
    assert kinds[:2] == [("train/loss", True, False), ("train/loss", False, True)]
    raw, smooth = chart.series[0], chart.series[1]
    assert raw.values == data["train/loss"][1]  # the raw one stays, drawn faint
    assert smooth.values == pytest.approx(ema(data["train/loss"][1], 0.6))
    assert smooth.steps == raw.steps
    validation = [s for s in chart.series if s.name == "validation/loss"]
    assert len(validation) == 1 and validation[0].values == [1.5, 1.2]  # never smoothed
    assert not validation[0].smoothed and not validation[0].faint
    assert chart.names == [
        "train/loss", "train/mlm_loss", "train/nsp_loss", "validation/loss",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="smoothing must be"):
        build_chart("loss", data, smoothing=1.5)


def test_log_scale_leaves_out_points_at_or_below_zero_and_says_so() -> None:
    data = curves()
    lr = build_chart("lr", data, log_scale=True)
    assert lr.log_scale
    assert lr.series[0].steps == list(range(1, 40))  # the last step's lr is 0
    assert lr.notes == ["log scale: left out 1 point (train/lr) at or below 0"]
    assert build_chart("loss", data, log_scale=True).notes == []
    # No positive value at all: linear, with a note.
    flat = build_chart("grad_norm", {"train/grad_norm": ([1, 2], [0.0, -1.0])}, log_scale=True)
    assert not flat.log_scale and flat.series[0].values == [0.0, -1.0]
    assert "needs values above 0" in flat.notes[0]
    # 0..1 metrics are not offered on a log scale.
    metrics = build_chart("metrics", data, log_scale=True)
    assert not metrics.log_scale and metrics.y_range == (0.0, 1.0)
    assert "not offered for 0..1 metrics" in metrics.notes[0]


def test_non_finite_points_are_left_out_with_a_note() -> None:
    chart = build_chart("loss", {"train/loss": ([1, 2, 3], [2.0, math.inf, 1.0])})
    assert chart.series[0].steps == [1, 3]
    assert chart.notes == ["left out 1 point (train/loss) not a number (inf or NaN)"]


def test_compare_chart_has_one_series_per_run() -> None:
    runs = {"a": ([1, 2, 3], [3.0, 2.0, 1.0]), "b": ([2, 4], [2.5, 1.5])}
    chart = compare_chart("validation/loss", runs, smoothing=0.9)
    assert chart.names == ["a", "b"] and chart.x_range == (1, 4)
    assert all(not s.smoothed for s in chart.series)  # evaluation curves: never smoothed
    accuracy = compare_chart("validation/accuracy", runs, log_scale=True)
    assert accuracy.y_range == (0.0, 1.0) and not accuracy.log_scale


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Services, str, LiveRun]:
    """A real tiny MLM + NSP pre-training: (services, run folder name, its LiveRun)."""
    tmp = tmp_path_factory.mktemp("charts")
    services = Services(tmp / "ws")
    manager = services.manager
    run_id = manager.start_pretraining(tiny_preset(tmp, pretrain={"max_steps": 6}))
    status = manager.wait(run_id, 120)
    assert status.status == "finished", status.error
    events, _ = manager.events_since(run_id, 0)
    live = LiveRun()
    for event in events:
        live.apply(event)
    assert status.run_dir is not None
    return services, status.run_dir.name, live


def test_mlm_and_nsp_parts_of_a_real_run(tiny_run: tuple[Services, str, LiveRun]) -> None:
    services, run, live = tiny_run
    finished = build_charts(services.runs.curves(run))
    loss = finished["loss"]
    assert loss.names == [
        "train/loss", "train/mlm_loss", "train/nsp_loss",
        "validation/loss", "validation/mlm_loss", "validation/nsp_loss",
    ]  # fmt: skip
    parts = {s.name: s for s in loss.series}
    # The total is the sum of its parts, step by step.
    for total, mlm, nsp in (("train/loss", "train/mlm_loss", "train/nsp_loss"),) + (
        ("validation/loss", "validation/mlm_loss", "validation/nsp_loss"),
    ):
        assert parts[total].steps == parts[mlm].steps == parts[nsp].steps
        summed = [a + b for a, b in zip(parts[mlm].values, parts[nsp].values, strict=True)]
        assert parts[total].values == pytest.approx(summed, rel=1e-4)
    assert parts["train/loss"].steps == list(range(1, 7))
    assert parts["validation/loss"].steps == [3, 6] and parts["validation/loss"].sparse
    assert [k for k, c in finished.items() if not c.empty] == list(CHARTS)
    assert all(v > 0 for v in finished["tokens_per_s"].series[0].values)
    # The live view of the run (its events) draws the same charts as the finished run.
    assert build_charts(live.series) == finished
