"""The training charts both UIs draw, computed once here: which curves go on which chart,
EMA smoothing, log scale, sparse series (drawn with markers), integer step axes.

A run's curves are `{name: (steps, values)}` (`LiveRun.series` while it trains,
`RunLibrary.curves(run)` once it ended); a UI picks a chart and draws its series as given:

    charts = build_charts(curves, smoothing=0.6, log_scale=True)
    chart = charts["loss"]          # loss, lr, grad_norm, tokens_per_s, metrics
    for s in chart.series:          # ChartSeries: name, steps, values, sparse, faint, smoothed
        ...
    chart.x_range, chart.x_ticks(), chart.y_range, chart.log_scale, chart.notes

Rules (docs/services.md, "Charts"):
- Smoothing is TensorBoard's debiased EMA, for dense training series only: evaluation
  series and sparse ones are never smoothed. A smoothed series comes as two: the raw one,
  `faint` (drawn pale, no legend entry), and the EMA, `smoothed`, under the same name.
- Log scale is for charts of positive values (not the 0..1 metrics): points <= 0 are left
  out and a note says how many; with no positive point at all the chart stays linear.
- A series with fewer than `SPARSE_BELOW` points is `sparse`: a UI draws a marker at each
  point (a line needs two points; one evaluation must still show).
- Steps are integers; `x_ticks` are integers too, and a single step still gets a range.

No torch, engine or UI import here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from workbench.services.runfeed import MAX_POINTS, thin

Series = tuple[list[int], list[float]]
Curves = Mapping[str, tuple[Sequence[int], Sequence[float]]]

# Chart keys and their titles, in the order a picker offers them.
TITLES = {
    "loss": "loss",
    "lr": "learning rate",
    "grad_norm": "grad norm",
    "tokens_per_s": "tokens/s",
    "metrics": "evaluation metrics",
}
CHARTS = tuple(TITLES)
# The charts of training steps, beside which the evaluation metrics get their own chart.
STEP_CHARTS = ("loss", "lr", "grad_norm", "tokens_per_s")
SPARSE_BELOW = 25  # a series with fewer points is drawn with markers
SMOOTHING_MAX = 0.99
# Steps of a smoothing control that cycles (the TUI's key); a slider may take any weight.
SMOOTHING_STEPS = (0.0, 0.6, 0.8, 0.9, 0.95, 0.99)
SPLITS = ("train", "validation", "test")  # legend order; other splits after these


@dataclass(frozen=True)
class ChartSeries:
    name: str  # the legend label, e.g. "validation/loss" (or a run id in a comparison)
    steps: list[int]
    values: list[float]
    sparse: bool = False  # few points: draw a marker at each
    faint: bool = False  # the raw line under a smoothed one: pale, no legend entry
    smoothed: bool = False  # the EMA of the faint series of the same name


@dataclass(frozen=True)
class Chart:
    key: str  # a CHARTS key, or the metric of a comparison
    title: str
    series: list[ChartSeries]
    log_scale: bool = False  # the y axis is logarithmic (as asked, and possible)
    y_range: tuple[float, float] | None = None  # fixed (0..1 metrics), else from the data
    x_range: tuple[int, int] | None = None  # None: no points
    notes: list[str] = field(default_factory=list)  # what was left out, and why

    @property
    def empty(self) -> bool:
        return not any(s.steps for s in self.series)

    @property
    def names(self) -> list[str]:
        """The legend: each series name once, in drawing order."""
        return list(dict.fromkeys(s.name for s in self.series))

    def x_ticks(self, most: int = 6) -> list[int]:
        return integer_ticks(*self.x_range, most=most) if self.x_range else []


# ---------------------------------------------------------------------- computations
def ema(values: Sequence[float], weight: float) -> list[float]:
    """TensorBoard's debiased exponential moving average: s_t = w*s_{t-1} + (1-w)*v_t from
    s_0 = 0, divided by 1 - w**t so the first points are not pulled towards 0. Non-finite
    values pass through unchanged and leave the average alone."""
    check_smoothing(weight)
    out: list[float] = []
    last, count = 0.0, 0
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        count += 1
        last = last * weight + (1 - weight) * value
        out.append(last / (1 - weight**count))
    return out


def check_smoothing(weight: float) -> float:
    if not (isinstance(weight, (int, float)) and 0 <= weight <= SMOOTHING_MAX):
        raise ValueError(
            f"smoothing must be a number from 0 (off) to {SMOOTHING_MAX}, got {weight!r}"
        )
    return float(weight)


def next_smoothing(weight: float) -> float:
    """The next step of `SMOOTHING_STEPS` after `weight` (wrapping to off)."""
    return next((w for w in SMOOTHING_STEPS if w > weight + 1e-9), SMOOTHING_STEPS[0])


def integer_ticks(lo: int, hi: int, most: int = 6) -> list[int]:
    """At most `most` round integer positions in [lo, hi] (steps of 1, 2 or 5 times a power
    of ten): an axis of steps never reads 62.5."""
    if hi < lo:
        lo, hi = hi, lo
    most = max(2, most)
    span = hi - lo
    if span == 0:
        return [lo]
    power = 10 ** max(0, math.floor(math.log10(span / most)))
    for step in (m * power * scale for scale in (1, 10, 100) for m in (1, 2, 5)):
        first = -(-lo // step) * step  # the first multiple of step at or above lo
        if (hi - first) // step + 1 <= most:
            break
    return list(range(first, hi + 1, step))


def step_range(curves: Iterable[tuple[Sequence[int], Sequence[float]]]) -> tuple[int, int] | None:
    """(first, last) step of the curves; one step alone gets a range around it (from 0), so
    one evaluation at step 200 sits at the right edge of 0..200, not in a span of 100..300."""
    steps = [int(s) for points, _ in curves for s in points]
    if not steps:
        return None
    lo, hi = min(steps), max(steps)
    if lo == hi:
        return (0, hi) if hi > 0 else (hi, hi + 1)
    return lo, hi


# ---------------------------------------------------------------------- which curve where
def chart_curves(key: str, curves: Curves) -> list[str]:
    """The names of `curves` drawn on chart `key`, in legend order."""
    if key not in TITLES:
        raise ValueError(f"no chart {key!r}; the charts are: {', '.join(CHARTS)}")
    if key == "loss":
        names = [n for n in curves if n.count("/") == 1 and n.endswith("loss")]
    elif key == "metrics":
        names = [
            n
            for n in curves
            if not n.startswith("train/") and "loss" not in n and "perplexity" not in n
        ]
    else:
        names = [n for n in curves if n == f"train/{key}"]
    return sorted(names, key=_legend_order)


def _legend_order(name: str) -> tuple[int, bool, str]:
    split, _, metric = name.partition("/")
    rank = SPLITS.index(split) if split in SPLITS else len(SPLITS)
    return rank, metric != "loss", metric  # the total loss before its MLM / NSP parts


def available(curves: Curves) -> list[str]:
    """The chart keys that have at least one point."""
    return [k for k in CHARTS if any(len(curves[n][0]) for n in chart_curves(k, curves))]


# ---------------------------------------------------------------------- building charts
def build_chart(
    key: str,
    curves: Curves,
    *,
    smoothing: float = 0.0,
    log_scale: bool = False,
    max_points: int = MAX_POINTS,
    x_range: tuple[int, int] | None = None,
) -> Chart:
    """Chart `key` of one run's curves. `x_range` defaults to the chart's own steps."""
    names = chart_curves(key, curves)
    entries = [(n, curves[n], n.startswith("train/")) for n in names]
    return _chart(
        key,
        TITLES[key],
        entries,
        smoothing=smoothing,
        log_scale=log_scale,
        log_allowed=key != "metrics",
        y_range=(0.0, 1.0) if key == "metrics" else None,
        max_points=max_points,
        x_range=x_range,
    )


def build_charts(
    curves: Curves,
    *,
    smoothing: float = 0.0,
    log_scale: bool = False,
    max_points: int = MAX_POINTS,
) -> dict[str, Chart]:
    """Every chart of one run, on one shared step range (the run's)."""
    shared = step_range(curves.values())
    return {
        key: build_chart(
            key,
            curves,
            smoothing=smoothing,
            log_scale=log_scale,
            max_points=max_points,
            x_range=shared,
        )
        for key in CHARTS
    }


def compare_chart(
    metric: str,
    runs: Mapping[str, tuple[Sequence[int], Sequence[float]]],
    *,
    smoothing: float = 0.0,
    log_scale: bool = False,
    max_points: int = MAX_POINTS,
) -> Chart:
    """One metric of several runs overlaid, a series per run (named by its id)."""
    zero_one = _zero_one(metric)
    entries = [(run, points, metric.startswith("train/")) for run, points in runs.items()]
    return _chart(
        metric,
        metric,
        entries,
        smoothing=smoothing,
        log_scale=log_scale,
        log_allowed=not zero_one,
        y_range=(0.0, 1.0) if zero_one else None,
        max_points=max_points,
        x_range=None,
    )


def _zero_one(metric: str) -> bool:
    """An evaluation metric on a 0..1 scale (accuracy, F1), as the metrics chart holds."""
    return bool(chart_curves("metrics", {metric: ((), ())}))


def _chart(
    key: str,
    title: str,
    entries: list[tuple[str, tuple[Sequence[int], Sequence[float]], bool]],
    *,
    smoothing: float,
    log_scale: bool,
    log_allowed: bool,
    y_range: tuple[float, float] | None,
    max_points: int,
    x_range: tuple[int, int] | None,
) -> Chart:
    check_smoothing(smoothing)
    notes: list[str] = []
    if log_scale and not log_allowed:
        notes.append("log scale is not offered for 0..1 metrics: drawn linear")
        log_scale = False
    cleaned: list[tuple[str, list[int], list[float], bool]] = []
    bad: dict[str, int] = {}  # series -> points left out
    for name, (steps, values), smoothable in entries:
        kept = [
            (int(s), float(v))
            for s, v in zip(steps, values, strict=True)
            if v is not None and math.isfinite(v)
        ]
        if len(kept) < len(steps):
            bad[name] = len(steps) - len(kept)
        cleaned.append((name, [s for s, _ in kept], [v for _, v in kept], smoothable))
    if bad:
        notes.append(f"left out {_counted(bad)} not a number (inf or NaN)")
    if log_scale:
        positive = [
            (n, [(s, v) for s, v in zip(st, va, strict=True) if v > 0]) for n, st, va, _ in cleaned
        ]
        if not any(points for _, points in positive):
            notes.append("log scale needs values above 0, and there are none: drawn linear")
            log_scale = False
        else:
            dropped = {
                n: len(va) - len(p)
                for (n, _, va, _), (_, p) in zip(cleaned, positive, strict=True)
                if len(va) > len(p)
            }
            if dropped:
                notes.append(f"log scale: left out {_counted(dropped)} at or below 0")
            cleaned = [
                (n, [s for s, _ in p], [v for _, v in p], smooth)
                for (n, _, _, smooth), (_, p) in zip(cleaned, positive, strict=True)
            ]
    series: list[ChartSeries] = []
    for name, steps, values, smoothable in cleaned:
        sparse = len(steps) < SPARSE_BELOW
        if smoothing > 0 and smoothable and not sparse:
            smooth = ema(values, smoothing)
            series.append(ChartSeries(name, *thin(steps, values, max_points), faint=True))
            series.append(ChartSeries(name, *thin(steps, smooth, max_points), smoothed=True))
        else:
            series.append(ChartSeries(name, *thin(steps, values, max_points), sparse=sparse))
    return Chart(
        key=key,
        title=title,
        series=series,
        log_scale=log_scale,
        y_range=None if log_scale else y_range,
        x_range=x_range or step_range((s.steps, s.values) for s in series),
        notes=notes,
    )


def _counted(points: Mapping[str, int]) -> str:
    total = sum(points.values())
    return f"{total} point{'s' if total != 1 else ''} ({', '.join(sorted(points))})"


def describe(chart: Chart, smoothing: float) -> str:
    """The chart's settings in a few words, for a subtitle: 'smoothing 0.6 · log scale'."""
    parts = [f"smoothing {smoothing:g}" if smoothing > 0 else "no smoothing"]
    parts.append("log scale" if chart.log_scale else "linear")
    return " · ".join(parts + chart.notes)
