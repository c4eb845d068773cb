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

from astromlp.reports import weighted
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


def r2_resampler(case: ValuedCase):
    """`r2` on resamples: NaN where every drawn true value is the same."""
    squared_residuals = (case.y - case.predicted) ** 2
    true_values = weighted.Sorted(case.y)

    def score(weights: np.ndarray) -> np.ndarray:
        constant = true_values.quantile(weights, 0.0) == true_values.quantile(weights, 1.0)
        total = weighted.weighted_squares_about_mean(case.y, weights)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(constant, np.nan, 1.0 - weighted.weighted_sum(squared_residuals, weights) / total)

    return score


def mean_of(function):
    """A resampler for the mean over rows of function(case)."""

    def resampler(case: ValuedCase):
        values = function(case)
        return lambda weights: weighted.weighted_mean(values, weights)

    return resampler


def _absolute_errors(case: ValuedCase) -> np.ndarray:
    return np.abs(case.predicted - case.y)


def _rmse_resampler(case: ValuedCase):
    squared = _absolute_errors(case) ** 2
    return lambda weights: np.sqrt(weighted.weighted_mean(squared, weights))


def median_of(function):
    """A resampler for the median over rows of function(case)."""

    def resampler(case):
        values = weighted.Sorted(function(case))
        return lambda weights: values.quantile(weights, 0.5)

    return resampler


METRICS: dict[str, Metric] = {
    "rmse": Metric("RMSE", "lower", lambda c: root_mean_squared_error(c.y, c.predicted), _rmse_resampler),
    "mae": Metric("MAE", "lower", lambda c: mean_absolute_error(c.y, c.predicted), mean_of(_absolute_errors)),
    "r2": Metric("R²", "higher", r2, r2_resampler),
    "median_ae": Metric(
        "median absolute error",
        "lower",
        lambda c: median_absolute_error(c.y, c.predicted),
        median_of(_absolute_errors),
    ),
    "mape": Metric("MAPE (fraction)", "lower", mape),
    "median_residual": Metric(
        "median residual (predicted − true)", "zero", lambda c: float(np.median(c.predicted - c.y))
    ),
}
HEADLINE = ["rmse", "mae", "r2", "median_ae"]
BIN_METRICS = {name: METRICS[name] for name in ("median_residual", "mae", "rmse")}
