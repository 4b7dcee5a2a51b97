"""Statistics for benchmarks/quality.py: one arm's test accuracy over seeds, and the paired
difference of two arms with a 95% bootstrap interval over seeds *and* test examples.

An arm's result is a matrix `correct[seed][example]` (1 when that seed's model got that test
example right). The difference of two arms resamples, B times, the seeds (paired: seed i of
one arm with seed i of the other, as both use seed i's initialisation and order) and the test
examples (the same resampled examples for both), and reads the 2.5% and 97.5% quantiles of the
mean difference. Numpy only: no test reads the shared data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArmSummary:
    mean: float  # mean test accuracy over seeds
    std: float  # its standard deviation over seeds (ddof=1; 0 for one seed)
    per_seed: list[float]


@dataclass(frozen=True)
class Difference:
    mean: float  # mean of a - b over seeds
    low: float  # 95% interval
    high: float

    @property
    def above_zero(self) -> bool:
        return self.low > 0


def summarise(correct: Sequence[Sequence[int]]) -> ArmSummary:
    m = np.asarray(correct, dtype=float)
    per_seed = m.mean(axis=1)
    std = float(per_seed.std(ddof=1)) if len(per_seed) > 1 else 0.0
    return ArmSummary(float(per_seed.mean()), std, [float(x) for x in per_seed])


def paired_difference(
    a: Sequence[Sequence[int]],
    b: Sequence[Sequence[int]],
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> Difference:
    """Mean accuracy of `a` minus `b` with its 95% bootstrap interval (seeds and examples)."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 2 or x.size == 0:
        raise ValueError(f"both arms need the same seeds x examples, got {x.shape} and {y.shape}")
    seeds, examples = x.shape
    rng = np.random.default_rng(seed)
    diffs = np.empty(resamples)
    for i in range(resamples):
        s = rng.integers(0, seeds, seeds)
        e = rng.integers(0, examples, examples)
        diffs[i] = x[np.ix_(s, e)].mean() - y[np.ix_(s, e)].mean()
    low, high = np.quantile(diffs, [0.025, 0.975])
    return Difference(float(x.mean() - y.mean()), float(low), float(high))
