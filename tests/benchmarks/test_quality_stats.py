"""The bootstrap of benchmarks/quality.py on constructed arms whose answer is known."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

# Loaded by file: putting benchmarks/ on sys.path would let its tokenizers.py script shadow
# HuggingFace's `tokenizers` package for every later test.
_FILE = Path(__file__).resolve().parents[2] / "benchmarks" / "quality_stats.py"
_SPEC = importlib.util.spec_from_file_location("quality_stats", _FILE)
assert _SPEC is not None and _SPEC.loader is not None
quality_stats = importlib.util.module_from_spec(_SPEC)
sys.modules["quality_stats"] = quality_stats  # its dataclasses look themselves up there
_SPEC.loader.exec_module(quality_stats)
paired_difference, summarise = quality_stats.paired_difference, quality_stats.summarise


def _arm(accuracy: float, seeds: int = 5, examples: int = 1000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.random((seeds, examples)) < accuracy).astype(int)


def test_summary_is_the_mean_and_spread_over_seeds() -> None:
    arm = [[1, 1, 0, 0], [1, 1, 1, 0]]
    s = summarise(arm)
    assert s.per_seed == [0.5, 0.75] and s.mean == pytest.approx(0.625)
    assert s.std == pytest.approx(np.std([0.5, 0.75], ddof=1))
    assert summarise([[1, 0]]).std == 0.0


def test_a_real_gap_has_an_interval_above_zero_and_no_gap_straddles_it() -> None:
    better, worse = _arm(0.80, seed=1), _arm(0.74, seed=2)
    gap = paired_difference(better, worse)
    assert gap.mean == pytest.approx(better.mean() - worse.mean())
    assert gap.above_zero and gap.low < gap.mean < gap.high
    same = paired_difference(_arm(0.75, seed=3), _arm(0.75, seed=4))
    assert same.low < 0 < same.high and not same.above_zero


def test_a_small_test_set_widens_the_interval() -> None:
    wide = paired_difference(_arm(0.78, examples=100, seed=5), _arm(0.75, examples=100, seed=6))
    narrow = paired_difference(_arm(0.78, seed=5), _arm(0.75, seed=6))
    assert wide.high - wide.low > narrow.high - narrow.low


def test_mismatched_arms_are_refused() -> None:
    with pytest.raises(ValueError, match="same seeds x examples"):
        paired_difference([[1, 0]], [[1, 0, 1]])
