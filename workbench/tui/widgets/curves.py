"""CurvePlot: a textual-plotext chart that draws one `services.charts.Chart` as given.

What goes on the chart (series, smoothing, log scale, sparse markers, step ticks) is decided
by the chart model; this widget only maps it onto plotext: faint raw lines in gray without a
legend entry, a marker at each point of a sparse series, integer step ticks."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import RenderResult
from textual.binding import Binding
from textual_plotext import PlotextPlot

from workbench.services.charts import Chart
from workbench.tui.guard import report

# One colour per legend name; the raw line under a smoothed one is gray.
PALETTE = ("blue+", "green+", "red+", "cyan+", "magenta+", "yellow", "orange", "blue")
FAINT = "gray"
MARKER = "●"  # a sparse series' points (plotext draws a one-point line as nothing)
# The chart keys (v s l) share one footer entry, so a pane's keys fit in 80 columns.
CHART_KEYS = Binding.Group("charts")


def controls_text(chart: Chart, smoothing: float, position: str = "") -> str:
    """The chart keys and their state, for the chart's border: 'v 1/4 · s 0.6 · l log'."""
    parts = [f"v {position}" if position else ""]
    parts.append(f"s {smoothing:g}" if smoothing else "s off")
    parts.append("l log" if chart.log_scale else "l linear")
    return " · ".join(p for p in (*parts, *chart.notes) if p)


class CurvePlot(PlotextPlot):
    """A chart of named series; `show_chart` replaces them all and redraws once."""

    def __init__(self, title: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.chart: Chart | None = None  # what is drawn
        self._version = 0  # bumped by every `show_chart`
        self._cache: tuple[Any, RenderResult] | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self._draw()

    def on_resize(self) -> None:
        self._draw()  # the number of step ticks follows the width

    def show_chart(self, chart: Chart, subtitle: str = "") -> None:
        if chart == self.chart and subtitle == self.border_subtitle:
            return  # the same picture: no rebuild
        self.chart = chart
        self.title = chart.title
        self.border_subtitle = subtitle
        self._draw()

    @property
    def series(self) -> dict[str, tuple[list[int], list[float]]]:
        """The legend's series as drawn (the smoothed line where smoothing is on)."""
        if self.chart is None:
            return {}
        return {s.name: (s.steps, s.values) for s in self.chart.series if not s.faint}

    @property
    def points(self) -> int:
        """How many points the chart holds (all series, faint ones too)."""
        return sum(len(s.steps) for s in self.chart.series) if self.chart else 0

    def render(self) -> RenderResult:
        # Building the chart is the costly part of a repaint; showing the tab again, or a
        # repaint caused by a neighbour, reuses the last build while nothing changed.
        key = (self.size, self._version, self.app.theme, self.theme)
        if self._cache is None or self._cache[0] != key:
            # plotext's build turns the data it holds into log10 in place: a second build
            # of the same data (a new size or theme) would take the log of the logs (a
            # wrong picture, or a crash on values <= 0). Each build gets the data afresh.
            try:
                self._populate()
                self._cache = (key, super().render())
            except Exception as exc:  # a repaint that raises would close the app
                self._cache = (key, Text("this chart could not be drawn (see the error log)"))
                self.call_later(report, self, exc, f"drawing the chart {self.title!r}")
        return self._cache[1]

    def _draw(self) -> None:
        self._version += 1
        # The title goes on the border and the x axis is always steps: two more rows of
        # chart where the terminal is small.
        self.border_title = self.title
        self.refresh()

    def _populate(self) -> None:
        """Hand plotext the chart's series, scale, ranges and ticks."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        chart = self.chart
        if chart is None or chart.empty:
            return
        colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(chart.names)}
        for s in chart.series:
            if not s.steps:
                continue
            colour = FAINT if s.faint else colours[s.name]
            label = None if s.faint else s.name
            if len(s.steps) > 1:
                plt.plot(s.steps, s.values, label=label, marker="braille", color=colour)
                label = None  # one legend entry per series
            if s.sparse:
                plt.scatter(s.steps, s.values, label=label, marker=MARKER, color=colour)
        if chart.log_scale:
            plt.yscale("log")
        if chart.y_range is not None:
            plt.ylim(*chart.y_range)
        if chart.x_range is not None:
            plt.xlim(*chart.x_range)
            ticks = chart.x_ticks(most=max(2, self.size.width // 10 or 6))
            plt.xticks(ticks, [str(t) for t in ticks])
