"""Plain tables for the UIs: comparison metrics and preset diffs, curves in long form (one
row per point, the shape a plot with a colour per series takes), and the text segments of a
token highlight. The runs table and config diff rows are in `live.py` (run_rows,
config_rows). No UI imports, no torch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from workbench.services.runs import Comparison
from workbench.services.tokenizers import TokenSpan
from workbench.services.views import token_segments


def curve_points(
    series: Mapping[str, tuple[Sequence[int], Sequence[float]]],
) -> list[dict[str, Any]]:
    """{series name: (steps, values)} -> long-form points {step, value, series}, the shape a
    plot with one colour per series takes (Gradio's LinePlot, a DataFrame). Non-finite values
    (a diverged run) are dropped: a chart cannot place them."""
    import math

    points = []
    for name, (steps, values) in series.items():
        for step, value in zip(steps, values, strict=True):
            if value is not None and math.isfinite(value):
                points.append({"step": int(step), "value": float(value), "series": name})
    return points


def comparison_metrics(comparison: Comparison) -> list[str]:
    """The metrics of a comparison that at least two runs share, losses first."""
    shared = [m for m, runs in comparison.curves.items() if len(runs) >= 2]
    return sorted(shared, key=lambda m: ("loss" not in m, m))


def metric_rows(comparison: Comparison) -> tuple[list[str], list[list[Any]]]:
    """(headers, rows): last and best value of each metric, per run."""
    headers = ["metric", *(f"{run} {what}" for run in comparison.runs for what in ("last", "best"))]
    rows = []
    for metric in sorted(comparison.metrics):
        per_run = comparison.metrics[metric]
        cells = []
        for run in comparison.runs:
            values = per_run.get(run, {})
            cells += [_round(values.get("last")), _round(values.get("best"))]
        rows.append([metric, *cells])
    return headers, rows


def preset_diff_rows(diff: Mapping[str, tuple[Any, Any]]) -> list[list[Any]]:
    """presets.diff output -> rows [setting, value in a, value in b]."""
    return [[key, _cell(a), _cell(b)] for key, (a, b) in sorted(diff.items())]


def highlight_segments(text: str, spans: Sequence[TokenSpan]) -> list[tuple[str, str | None]]:
    """`views.token_segments` as (piece, label) pairs for a highlighted-text widget: each
    token's piece labelled "token · id", text between tokens (spaces) unlabelled."""
    return [
        (
            seg.text,
            None if seg.index is None else f"{spans[seg.index].token} · {spans[seg.index].id}",
        )
        for seg in token_segments(text, spans)
    ]


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)


def _cell(value: Any) -> str:
    """Every value as text, so a table column keeps one type (None shows as a dash)."""
    if value is None:
        return "—"
    if isinstance(value, (list, tuple, dict)):
        return repr(value)
    return str(value)
