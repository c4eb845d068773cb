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
    """One metric: `compute(case)` gives a float (NaN where undefined); `better` is a key of BETTER."""

    label: str
    better: str
    compute: Callable[..., float]

    def score(self, value):
        """Larger is better, whatever the metric's direction (used to rank models and compare them)."""
        return BETTER[self.better](value)
