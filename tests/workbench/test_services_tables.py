"""The UI tables: long-form curves, comparison and preset diff rows, token highlights."""

from __future__ import annotations

import math
from pathlib import Path

from kit.services import sentences

from workbench.services import Comparison, Services
from workbench.services.tables import (
    comparison_metrics,
    curve_points,
    highlight_segments,
    metric_rows,
    preset_diff_rows,
)


def test_curve_points_are_long_form_and_skip_non_finite_values() -> None:
    points = curve_points({"a": ([1, 2, 3], [3.0, math.nan, 1.0]), "b": ([1], [2.5])})
    assert points == [
        {"step": 1, "value": 3.0, "series": "a"},
        {"step": 3, "value": 1.0, "series": "a"},
        {"step": 1, "value": 2.5, "series": "b"},
    ]


def test_comparison_rows() -> None:
    comparison = Comparison(
        runs=["a", "b"],
        curves={
            "validation/loss": {"a": ([1], [2.0]), "b": ([1], [3.0])},
            "train/lr": {"a": ([1], [0.1]), "b": ([1], [0.2])},
            "validation/accuracy": {"a": ([1], [0.5])},
        },
        config_diff={"pretrain.lr": {"a": 0.001, "b": None}, "model.size": {"a": "t", "b": "s"}},
        metrics={"validation/loss": {"a": {"last": 2.0, "best": 1.5}, "b": {"last": 3.0}}},
    )
    # Shared metrics only, losses first.
    assert comparison_metrics(comparison) == ["validation/loss", "train/lr"]
    headers, rows = metric_rows(comparison)
    assert headers == ["metric", "a last", "a best", "b last", "b best"]
    assert rows == [["validation/loss", 2.0, 1.5, 3.0, None]]
    assert preset_diff_rows({"x.y": ([1, 2], None)}) == [["x.y", "[1, 2]", "—"]]


def test_highlight_segments_cover_the_text_once(tmp_path: Path) -> None:
    services = Services(tmp_path / "ws")
    for kind in ("wordpiece", "bpe"):
        job = services.tokenizers.train(
            kind, sentences(200), kind=kind, vocab_size=300, min_frequency=1
        )
        assert job.wait() == "finished", job.error
        text = "The farmer   paints a wooden  zebra!"
        spans = services.tokenizers.encode(kind, text)
        segments = highlight_segments(text, spans)
        # Unlabelled gaps + labelled pieces, specials left out, give back the exact input.
        specials = {s.token for s in spans if s.special}
        rebuilt = "".join(
            piece for piece, label in segments if label is None or piece not in specials
        )
        assert rebuilt == text
        labelled = [label for _, label in segments if label is not None]
        assert labelled[0] == f"{spans[0].token} · {spans[0].id}"
        assert len(labelled) == len(spans)  # no token lost (none overlaps in this text)
