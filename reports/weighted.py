"""Metrics of many bootstrap resamples at once.

A resample of n rows drawn with replacement is a row of multiplicities (how often each test row was drawn), so
a block of resamples is an (R, n) weight matrix and each metric becomes a few weighted sums over it instead of R
calls into scikit-learn; the loops over rows are Numba kernels (`resampling_kernels`). Every function here
equals its scikit-learn / numpy metric on the expanded rows (tested).
"""

from __future__ import annotations

import numpy as np

from astromlp.reports import resampling_kernels as kernels


def as_weights(counts) -> np.ndarray:
    """Multiplicities in the layout the kernels read: C-contiguous, one byte each when they fit (a row drawn
    more than 255 times in a resample is practically impossible), so the kernels' reads at random rows stay in
    cache; int32 otherwise."""
    rows = [np.asarray(row) for row in counts]
    small = all(row.size == 0 or (row.min() >= 0 and row.max() <= np.iinfo(np.uint8).max) for row in rows)
    return np.array(rows, dtype=np.uint8 if small else np.int32).reshape(len(rows), -1)


def _floats(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


def weighted_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The sum of `values` on each resample."""
    return kernels.row_sums(_floats(values), weights)


def weighted_squares_about_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The sum of squared deviations from each resample's own mean."""
    return kernels.row_squares_about_mean(_floats(values), weights)


def weighted_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The mean of `values` on each resample (every resample has all n rows)."""
    return weighted_sum(values, weights) / weights.shape[1]


class Sorted:
    """One array sorted once, so that every resample's quantiles and ranks are a walk instead of a sort."""

    def __init__(self, values: np.ndarray):
        values = _floats(values)
        self.order = np.argsort(values, kind="stable")
        self.ascending = np.ascontiguousarray(values[self.order])

    def quantile(self, weights: np.ndarray, q: float) -> np.ndarray:
        """numpy's linear quantile q of each resample."""
        return kernels.row_quantile(self.ascending, self.order, weights, q)

    def median_absolute_deviation(self, weights: np.ndarray) -> np.ndarray:
        """numpy's median(|x - median(x)|) of each resample."""
        return kernels.row_median_absolute_deviation(self.ascending, self.order, weights)

    def roc_auc(self, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Binary ROC AUC of these scores against `positive` on each resample; NaN without both classes."""
        positive_sorted = np.ascontiguousarray(np.asarray(positive, bool)[self.order])
        return kernels.row_roc_auc(self.ascending, self.order, positive_sorted, weights)


def confusion_counts(truth: np.ndarray, predicted: np.ndarray, n_classes: int, weights: np.ndarray) -> np.ndarray:
    """(R, K, K) confusion matrices, rows true class, columns predicted class."""
    code = np.ascontiguousarray(truth * n_classes + predicted, np.int64)
    return kernels.row_bincount(code, weights, n_classes * n_classes).reshape(len(weights), n_classes, n_classes)


def accuracy(confusion: np.ndarray) -> np.ndarray:
    return np.trace(confusion, axis1=1, axis2=2) / confusion.sum(axis=(1, 2))


def completeness(confusion: np.ndarray) -> np.ndarray:
    """(R, K) recall of each class: hits over true members; NaN for a class without members."""
    support = confusion.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, np.diagonal(confusion, axis1=1, axis2=2) / support, np.nan)


def purity(confusion: np.ndarray) -> np.ndarray:
    """(R, K) precision of each class: hits over rows labelled as it; NaN for a class never predicted."""
    predicted = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(predicted > 0, np.diagonal(confusion, axis1=1, axis2=2) / predicted, np.nan)


def balanced_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Mean recall over the classes present in the resample's truth (scikit-learn drops the absent ones)."""
    with np.errstate(invalid="ignore"):
        return np.nanmean(completeness(confusion), axis=1)


def f1(confusion: np.ndarray) -> np.ndarray:
    """(R, K) F1 = 2 TP / (2 TP + FP + FN) of each class; NaN for a class neither present nor predicted."""
    hits = np.diagonal(confusion, axis1=1, axis2=2)
    denominator = confusion.sum(axis=2) + confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, 2 * hits / denominator, np.nan)


def macro_f1(confusion: np.ndarray) -> np.ndarray:
    """Unweighted mean over all classes of F1, 0 where undefined (scikit-learn's zero_division=0)."""
    return np.nan_to_num(f1(confusion)).mean(axis=1)


def log_loss_rows(truth: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Each row's cross-entropy with scikit-learn's clipping of probabilities to [eps, 1 - eps]."""
    eps = np.finfo(proba.dtype).eps
    return -np.log(np.clip(proba[np.arange(len(truth)), truth], eps, 1 - eps))
