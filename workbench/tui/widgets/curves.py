"""CurvePlot: a textual-plotext chart of one or more (steps, values) series."""

from __future__ import annotations

from typing import Any

from textual.app import RenderResult
from textual_plotext import PlotextPlot


class CurvePlot(PlotextPlot):
    """Line chart of named series; `show` replaces them all and redraws once."""

    def __init__(self, title: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.title = title
        self.series: dict[str, tuple[list[int], list[float]]] = {}
        self._version = 0  # bumped by every `show`
        self._cache: tuple[Any, RenderResult] | None = None

    def on_mount(self) -> None:
        super().on_mount()
        self._draw()

    def show(
        self, series: dict[str, tuple[list[int], list[float]]], title: str | None = None
    ) -> None:
        # Copies: the lists keep growing while the chart is drawn later.
        self.series = {k: (list(s), list(v)) for k, (s, v) in series.items() if s}
        if title is not None:
            self.title = title
        self._draw()

    @property
    def points(self) -> int:
        """How many points the chart holds (all series)."""
        return sum(len(steps) for steps, _ in self.series.values())

    def render(self) -> RenderResult:
        # Building the chart is the costly part of a repaint; showing the tab again, or a
        # repaint caused by a neighbour, reuses the last build while nothing changed.
        key = (self.size, self._version, self.app.theme, self.theme)
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, super().render())
        return self._cache[1]

    def _draw(self) -> None:
        self._version += 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self.title)
        plt.xlabel("step")
        for label, (steps, values) in self.series.items():
            # plotext draws a single point as nothing; a marker makes it visible.
            marker = "braille" if len(steps) > 1 else "dot"
            plt.plot(steps, values, label=label, marker=marker)
        self.refresh()
