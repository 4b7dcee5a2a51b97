"""The charts of the Train and Runs panes over a real finished tiny run: switch charts,
smoothing and log scale by key, and check that what plotext holds is the chart model's."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from kit.tui_runs import tiny_preset, wait_for
from textual.widgets import Select, TabbedContent
from textual.widgets._footer import FooterKey

from workbench.services import charts
from workbench.tui.app import BertbenchApp
from workbench.tui.panes.runs import RunsPane
from workbench.tui.panes.train import TrainPane
from workbench.tui.widgets.curves import CurvePlot

STEPS = 30  # more than charts.SPARSE_BELOW: the train curves are dense, so they smooth


def drawn(plot: CurvePlot) -> list[tuple[str | None, list[Any], list[Any]]]:
    """(legend label, xs, ys) of every line and scatter plotext holds for the widget."""
    plot.render()  # the widget hands plotext its chart when it builds a picture
    monitor = plot.plt._active.monitor
    return list(zip(monitor.label, monitor.x, monitor.y, strict=True))


def expected(chart: charts.Chart) -> list[tuple[str | None, list[Any], list[Any]]]:
    """What the widget should hand plotext for `chart`: a line for two points or more, a
    scatter of markers for a sparse series, one legend label per series, none when faint."""
    out = []
    for s in chart.series:
        label = None if s.faint else s.name
        if len(s.steps) > 1:
            out.append((label, s.steps, s.values))
            label = None
        if s.sparse:
            out.append((label, s.steps, s.values))
    return out


def assert_shows(plot: CurvePlot, chart: charts.Chart) -> None:
    assert plot.chart == chart
    held, wanted = drawn(plot), expected(chart)
    # A second picture of the same chart (another size or theme) holds the same data.
    plot._cache = None
    assert drawn(plot) == held
    assert [(label, xs) for label, xs, _ in held] == [(label, xs) for label, xs, _ in wanted]
    for (_, _, ys), (_, _, values) in zip(held, wanted, strict=True):
        # plotext keeps log10 of the values on a log axis
        assert ys == pytest.approx([math.log10(v) for v in values] if chart.log_scale else values)
    monitor = plot.plt._active.monitor
    assert all(isinstance(t, int) for t in monitor.xticks[0])  # integer step ticks
    assert monitor.yscale[0] == ("log" if chart.log_scale else "linear")


@pytest.mark.asyncio
async def test_train_and_runs_charts_of_a_finished_run(tmp_path: Path) -> None:
    app = BertbenchApp(root=tmp_path / "ws")
    preset = tiny_preset(tmp_path, pretrain={"max_steps": STEPS, "eval_every": 10})
    manager = app.services.manager
    run_id = manager.start_pretraining(preset, name="tiny")
    status = manager.wait(run_id, 120)
    assert status.status == "finished", status.error
    async with app.run_test(size=(120, 40)) as pilot:
        app.query_one(TabbedContent).active = "train"
        pane = app.query_one(TrainPane)
        pane.follow(run_id)  # the history of the finished run is replayed
        await wait_for(pilot, lambda: not pane.live.active)
        await wait_for(pilot, lambda: pane._drawn == pane.live.version)
        upper = pane.query_one("#train-loss", CurvePlot)
        lower = pane.query_one("#train-eval", CurvePlot)
        model = charts.build_charts(pane.live.series)
        assert_shows(upper, model["loss"])
        assert upper.chart.names == [
            "train/loss", "train/mlm_loss", "train/nsp_loss",
            "validation/loss", "validation/mlm_loss", "validation/nsp_loss",
        ]  # fmt: skip
        assert upper.series["train/loss"][0] == list(range(1, STEPS + 1))
        # The evaluations (steps 10, 20, 30) are drawn with markers, on 0..1.
        assert_shows(lower, model["metrics"])
        assert lower.display and lower.series["validation/mlm_accuracy"][0] == [10, 20, 30]
        assert all(s.sparse for s in lower.chart.series)
        assert lower.plt._active.monitor.ylim[0] == [0.0, 1.0]
        pane.query_one("#train-pretrain").focus()
        await pilot.pause()
        # The keys are in the footer (one group: v s l, "charts").
        footer = {key.key: key.tooltip for key in app.query(FooterKey)}
        assert {"v": "Chart", "s": "Smooth", "l": "Log y"}.items() <= footer.items()

        await pilot.press("v")  # the next chart: learning rate
        assert pane.chart == "lr"
        assert_shows(upper, charts.build_charts(pane.live.series)["lr"])
        assert upper.border_title == "learning rate"
        await pilot.press("l")  # log scale
        log = charts.build_charts(pane.live.series, log_scale=True)
        assert_shows(upper, log["lr"])
        assert upper.chart.log_scale and "l log" in str(upper.border_subtitle)
        assert_shows(lower, log["metrics"])  # 0..1 metrics stay linear, and say so
        assert "not offered" in str(lower.border_subtitle)
        await pilot.press("v", "v", "v", "s")  # back to the loss, smoothing 0.6
        assert (pane.chart, pane.smoothing) == ("loss", 0.6)
        smooth = charts.build_charts(pane.live.series, smoothing=0.6, log_scale=True)
        assert_shows(upper, smooth["loss"])
        train = [s for s in upper.chart.series if s.name == "train/loss"]
        assert [(s.faint, s.smoothed) for s in train] == [(True, False), (False, True)]
        assert "s 0.6" in str(upper.border_subtitle)
        await pilot.press("l")
        assert_shows(upper, charts.build_charts(pane.live.series, smoothing=0.6)["loss"])

        # The Runs pane draws the same charts of the run from its folder.
        app.query_one(TabbedContent).active = "runs"
        runs = app.query_one(RunsPane)
        plot = runs.query_one("#runs-plot", CurvePlot)
        await wait_for(pilot, lambda: plot.chart is not None and not plot.chart.empty)
        curves = app.services.runs.curves(status.run_dir)
        assert_shows(plot, charts.build_chart("loss", curves))
        select = runs.query_one("#runs-metric", Select)
        assert runs.chart_keys == list(charts.CHARTS) and select.value == "loss"
        runs.query_one("#runs-table").focus()
        await pilot.press("v", "s")
        await wait_for(pilot, lambda: plot.chart.key == "lr")
        assert_shows(plot, charts.build_chart("lr", curves, smoothing=0.6))
        select.value = "metrics"
        await wait_for(pilot, lambda: plot.chart.key == "metrics")
        assert_shows(plot, charts.build_chart("metrics", curves, smoothing=0.6))
