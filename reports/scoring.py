"""A metric is a row: a label, which direction is better, and a function of one model's test rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BETTER = {
    "higher": lambda value: value,
    "lower": lambda value: -value,
    "zero": lambda value: -np.abs(value),
}


@dataclass(frozen=True)
class Metric:
    """One metric: `compute(case)` gives a float (NaN where undefined); `better` is a key of BETTER.

    `resampler(case)`, when given, prepares a function that scores many bootstrap resamples of the case at once
    (see `weighted`); without it each resample is computed one by one.
    """

    label: str
    better: str
    compute: Callable[..., float]
    resampler: Callable[..., Callable[[np.ndarray], np.ndarray]] | None = None

    def score(self, value):
        """Larger is better, whatever the metric's direction (used to rank models and compare them)."""
        return BETTER[self.better](value)

    def scorer(self, case) -> Callable[[np.ndarray], np.ndarray]:
        """A function giving the metric on each resample of `case`, a row of per-row multiplicities."""
        if self.resampler is not None:
            return self.resampler(case)
        rows = np.arange(len(case.y))
        return lambda weights: np.array(
            [self.compute(case.take(np.repeat(rows, drawn.astype(np.int64)))) for drawn in weights]
        )
