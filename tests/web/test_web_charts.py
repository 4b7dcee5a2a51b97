"""The web panel's charts through its API, against the chart model on real tiny runs: the
series of each chart, smoothing, log scale, markers for sparse series, integer steps, and a
fresh series set for every selection (Compare of new runs, one run after another)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kit.web import RUN_LIMIT, WebPanel, plot_spec, points
from kit.web_train import dropdown_value, timer_stopped

from workbench.services import charts
from workbench.web import plots


def drawn(plot: Any) -> list[tuple[str, str, int, float, bool]]:
    return [(p["series"], p["line"], p["step"], p["value"], p["sparse"]) for p in points(plot)]


def model_rows(chart: charts.Chart) -> list[tuple[str, str, int, float, bool]]:
    """The rows a plot of `chart` must hold, from the chart model itself."""
    return [
        (s.name, "faint" if s.faint else ("smoothed" if s.smoothed else "raw"), st, v, s.sparse)
        for s in chart.series
        for st, v in zip(s.steps, s.values, strict=True)
    ]


def assert_same(plot: Any, chart: charts.Chart) -> None:
    got, want = drawn(plot), model_rows(chart)
    assert [r[:3] for r in got] == [r[:3] for r in want]
    assert [r[3] for r in got] == pytest.approx([r[3] for r in want])  # JSON rounding
    assert [r[4] for r in got] == [r[4] for r in want]
    assert all(isinstance(r[2], int) for r in got)  # integer steps
    spec = plot_spec(plot)
    layer = spec["layer"][0]["encoding"]
    marks = [(layer["mark"]["type"], layer["mark"].get("opacity")) for layer in spec["layer"]]
    faint = [("line", plots.FAINT_OPACITY)] if any(s.faint for s in chart.series) else []
    sparse = [("point", None)] if any(s.sparse for s in chart.series) else []
    assert marks == [*faint, ("line", None), *sparse]  # markers exactly where sparse
    assert layer["x"]["axis"]["format"] == "d"
    assert layer["x"]["axis"]["values"] == chart.x_ticks(6)
    assert all(isinstance(t, int) for t in layer["x"]["axis"]["values"])
    assert layer["color"]["scale"]["domain"] == chart.names  # the legend: these series only
    assert layer["y"]["scale"]["type"] == ("log" if chart.log_scale else "linear")


def test_one_run_charts_match_the_model(web: WebPanel, finished_runs: list[str]) -> None:
    run = finished_runs[0]
    curves = web.services.runs.curves(run)
    client = web.client
    loss = client.predict(run, "loss", 0, False, api_name="/runs_curves")[1]
    assert_same(loss, charts.build_chart("loss", curves))
    names = {p["series"] for p in points(loss)}
    assert {"train/mlm_loss", "train/nsp_loss", "validation/loss"} <= names  # MLM/NSP parts
    # Evaluations are sparse: drawn with markers (the point layer draws sparse rows).
    assert all(p["sparse"] for p in points(loss) if p["series"] == "validation/loss")
    assert [layer["mark"]["type"] for layer in plot_spec(loss)["layer"]] == ["line", "point"]
    for key in ("lr", "grad_norm", "tokens_per_s", "metrics"):
        plot = client.predict(run, key, 0, False, api_name="/runs_curves")[1]
        assert_same(plot, charts.build_chart(key, curves))
    smooth = client.predict(run, "lr", 0.6, True, api_name="/runs_curves")[1]
    assert_same(smooth, charts.build_chart("lr", curves, smoothing=0.6, log_scale=True))
    metrics = client.predict(run, "metrics", 0, True, api_name="/runs_curves")[1]
    assert plot_spec(metrics)["title"]["subtitle"] == [
        "log scale is not offered for 0..1 metrics: drawn linear"
    ]
    with pytest.raises(Exception, match="greater than maximum value 0.99"):  # the slider
        client.predict(run, "loss", 5, False, api_name="/runs_curves")[1]


def test_one_run_after_another_shows_only_the_new_runs_series(
    web: WebPanel, finished_runs: list[str]
) -> None:
    a, b = finished_runs
    for run in (a, b, a):
        plot = web.client.predict(run, "loss", 0, False, api_name="/runs_curves")[1]
        steps, values = web.services.runs.curves(run)["train/loss"]
        train = [(p["step"], p["value"]) for p in points(plot) if p["series"] == "train/loss"]
        assert [s for s, _ in train] == steps and [v for _, v in train] == pytest.approx(values)


def test_compare_shows_exactly_the_runs_selected(web: WebPanel, finished_runs: list[str]) -> None:
    manager = web.services.manager
    extra = manager.start_pretraining("tiny", ["pretrain.lr=0.002"], name="tiny-c")
    status = manager.wait(extra, RUN_LIMIT)
    assert status.status == "finished" and status.run_dir is not None
    c = status.run_dir.name
    a, b = finished_runs
    for selection in ([a, b], [a, c], [c, b, a]):
        _, plot, *_ = web.client.predict(
            selection, "train/loss", 0, False, api_name="/runs_compare"
        )
        comparison = web.services.runs.compare(selection)
        assert {p["series"] for p in points(plot)} == set(selection)  # on the first call
        assert_same(plot, charts.compare_chart("train/loss", comparison.curves["train/loss"]))
    _, plot, *_ = web.client.predict([a, b], "train/loss", 0.9, True, api_name="/runs_compare")
    comparison = web.services.runs.compare([a, b])
    chart = charts.compare_chart(
        "train/loss", comparison.curves["train/loss"], smoothing=0.9, log_scale=True
    )
    assert_same(plot, chart)


def test_train_tab_charts_of_a_single_evaluation_run(web: WebPanel) -> None:
    """A run evaluated once: its metrics chart holds one point, flagged for a marker; the
    chart controls redraw from the run followed."""
    client = web.client
    out = client.predict(
        "tiny",
        "pre-training",
        "one-eval",
        "pretrain.max_steps=30\npretrain.eval_every=30\npretrain.checkpoint_every=30",
        "loss",
        0,
        False,
        api_name="/train_start",
    )
    run_id = str(dropdown_value(out[0]))
    deadline = time.monotonic() + RUN_LIMIT
    while not timer_stopped(out := tuple(client.predict(run_id, api_name="/train_poll"))):
        assert time.monotonic() < deadline, out[3]
        time.sleep(0.2)
    run_dir = web.services.manager.status(run_id).run_dir
    assert run_dir is not None
    model = charts.build_charts(web.services.runs.curves(run_dir))
    loss, metrics = client.predict("loss", 0, False, api_name="/train_chart")
    assert_same(loss, model["loss"])
    assert_same(metrics, model["metrics"])
    (accuracy,) = [p for p in points(metrics) if p["series"] == "validation/mlm_accuracy"]
    assert accuracy["step"] == 30 and accuracy["sparse"]
    assert plot_spec(metrics)["layer"][0]["encoding"]["x"]["scale"]["domain"] == [1, 30]
    # Train curves of 30 points are dense: smoothing draws the raw one faint under the EMA.
    lr, _ = client.predict("lr", 0.6, True, api_name="/train_chart")
    options = {"smoothing": 0.6, "log_scale": True}
    assert_same(lr, charts.build_charts(web.services.runs.curves(run_dir), **options)["lr"])
    assert {p["line"] for p in points(lr)} == {"faint", "smoothed"}
