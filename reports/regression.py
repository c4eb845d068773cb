"""Regression metrics from scikit-learn, on one model's true and predicted values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    median_absolute_error,
    r2_score,
    root_mean_squared_error,
)

from astromlp.reports.scoring import Metric


@dataclass(frozen=True)
class ValuedCase:
    """One regressor on a set of rows: true and predicted values."""

    y: np.ndarray
    predicted: np.ndarray

    def take(self, rows) -> ValuedCase:
        return ValuedCase(self.y[rows], self.predicted[rows])


def r2(case: ValuedCase) -> float:
    """R^2; NaN when the rows' true values are all equal (undefined)."""
    if len(case.y) < 2 or np.all(case.y == case.y[0]):
        return float("nan")
    return r2_score(case.y, case.predicted)


def mape(case: ValuedCase) -> float:
    """Mean absolute percentage error, as a fraction; NaN where a true value is 0 (undefined)."""
    if np.any(case.y == 0):
        return float("nan")
    return mean_absolute_percentage_error(case.y, case.predicted)


METRICS: dict[str, Metric] = {
    "rmse": Metric("RMSE", "lower", lambda c: root_mean_squared_error(c.y, c.predicted)),
    "mae": Metric("MAE", "lower", lambda c: mean_absolute_error(c.y, c.predicted)),
    "r2": Metric("R²", "higher", r2),
    "median_ae": Metric("median absolute error", "lower", lambda c: median_absolute_error(c.y, c.predicted)),
    "mape": Metric("MAPE (fraction)", "lower", mape),
    "median_residual": Metric(
        "median residual (predicted − true)", "zero", lambda c: float(np.median(c.predicted - c.y))
    ),
}
HEADLINE = ["rmse", "mae", "r2", "median_ae"]
BIN_METRICS = {name: METRICS[name] for name in ("median_residual", "mae", "rmse")}
