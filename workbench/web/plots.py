"""Draw a `services.charts.Chart` in the browser: a Vega-Lite spec for a `gr.Plot`.

Everything about what is drawn (series, smoothing, log scale, sparse markers, step ticks,
notes) comes from the chart model; this module only writes it as Vega-Lite. A `gr.Plot` is
used rather than `gr.LinePlot`, which draws lines only (a series of one point shows
nothing), has no log scale and keeps its first legend when the series change; a plot value
here is a whole new spec each time, so its legend is always the series it holds.

Gradio (6.x) renders the spec with vega-embed as its "altair" plot type and, for the "line"
chart kind, fits the width to the page and applies the panel's theme; no altair package is
needed to build the spec.
"""

from __future__ import annotations

import json
from typing import Any

from gradio.components.plot import AltairPlotData

from workbench.services.charts import Chart

HEIGHT = 300
MIN_WIDTH = 420  # px: two charts side by side need 840 px, else they stack
X_TICKS = 6
FAINT_OPACITY = 0.3


def spec(chart: Chart, height: int = HEIGHT) -> dict[str, Any]:
    """The Vega-Lite spec of `chart`: rows (step, value, series, line, sparse) drawn as
    faint raw lines, solid lines, and a marker at each point of a sparse series."""
    rows = [
        {
            "step": step,
            "value": value,
            "series": s.name,
            "line": "faint" if s.faint else ("smoothed" if s.smoothed else "raw"),
            "sparse": s.sparse,
        }
        for s in chart.series
        for step, value in zip(s.steps, s.values, strict=True)
    ]
    names = chart.names
    x_scale: dict[str, Any] = {"nice": False, "zero": False}
    if chart.x_range is not None:
        x_scale["domain"] = list(chart.x_range)
    y_scale: dict[str, Any] = {"type": "log" if chart.log_scale else "linear", "zero": False}
    if chart.y_range is not None:
        y_scale["domain"] = list(chart.y_range)
    encoding = {
        "x": {
            "field": "step",
            "type": "quantitative",
            "title": "step",
            "scale": x_scale,
            "axis": {"format": "d", "values": chart.x_ticks(X_TICKS)},
        },
        "y": {
            "field": "value",
            "type": "quantitative",
            "title": None,
            "scale": y_scale,
            "axis": {"format": "~g"},
        },
        "color": {
            "field": "series",
            "type": "nominal",
            "title": None,
            # The legend is exactly this chart's series; Gradio swaps in its palette by index.
            "scale": {"domain": names, "range": [f"C{i}" for i in range(len(names))]},
            "legend": {
                "orient": "bottom",
                "direction": "horizontal",
                "columns": 2,
                "labelLimit": 260,
            },
        },
        "tooltip": [
            {"field": "series", "type": "nominal"},
            {"field": "step", "type": "quantitative", "format": "d"},
            {"field": "value", "type": "quantitative", "format": ".4~g"},
        ],
    }

    def layer(test: str, mark: dict[str, Any]) -> dict[str, Any]:
        return {"transform": [{"filter": test}], "mark": mark, "encoding": encoding}

    title: dict[str, Any] = {"text": chart.title}
    if chart.notes:
        title["subtitle"] = chart.notes
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": title,
        "height": height,
        "data": {"values": rows},
        "layer": [
            layer(test, mark)
            for test, mark, wanted in (
                (
                    "datum.line == 'faint'",
                    {"type": "line", "clip": True, "opacity": FAINT_OPACITY},
                    any(s.faint for s in chart.series),
                ),
                ("datum.line != 'faint'", {"type": "line", "clip": True}, True),
                (
                    "datum.sparse",
                    # strokeWidth 0: Gradio's theme strokes marks in its accent colour
                    {"type": "point", "filled": True, "size": 70, "strokeWidth": 0, "clip": True},
                    any(s.sparse for s in chart.series),
                ),
            )
            if wanted
        ],
    }


def plot(chart: Chart, height: int = HEIGHT) -> AltairPlotData:
    """The value of a `gr.Plot` that draws `chart`."""
    return AltairPlotData(plot=json.dumps(spec(chart, height)), chart="line")


def series_of(value: Any) -> dict[str, list[tuple[int, float]]]:
    """{series: [(step, value), ...]} of a plot value as the API returns it (what is drawn
    solid: the smoothed line where smoothing is on), for tests and API callers."""
    data = value.get("plot") if isinstance(value, dict) else value.plot
    out: dict[str, list[tuple[int, float]]] = {}
    for row in json.loads(data)["data"]["values"]:
        if row["line"] != "faint":
            out.setdefault(row["series"], []).append((row["step"], row["value"]))
    return out
