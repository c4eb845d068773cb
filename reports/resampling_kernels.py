"""Numba kernels behind `weighted`: one pass over the rows per bootstrap resample, resamples in parallel.

`weights` is (R, n) uint8 or int32 (`weighted.as_weights`): how often each of the n test rows was drawn in
each of R resamples. Each resample is computed by one thread in a fixed row order, so the results do not
depend on the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from astromlp.nn.kernels.jit import kernel


@kernel(parallel=True)
def row_sums(values, weights):
    """sum_i weights[r, i] * values[i] for each resample r."""
    result = np.empty(weights.shape[0])
    for r in prange(weights.shape[0]):
        total = 0.0
        for i in range(weights.shape[1]):
            total += weights[r, i] * values[i]
        result[r] = total
    return result


@kernel(parallel=True)
def row_squares_about_mean(values, weights):
    """sum_i weights[r, i] * (values[i] - mean_r)^2 with mean_r the resample's own weighted mean (two passes,
    so a resample far from the others' mean loses no precision)."""
    result = np.empty(weights.shape[0])
    for r in prange(weights.shape[0]):
        total = 0.0
        count = 0.0
        for i in range(weights.shape[1]):
            total += weights[r, i] * values[i]
            count += weights[r, i]
        mean = total / count
        spread = 0.0
        for i in range(weights.shape[1]):
            if weights[r, i] > 0:
                d = values[i] - mean
                spread += weights[r, i] * d * d
        result[r] = spread
    return result


@kernel(parallel=True)
def row_bincount(index, weights, size):
    """(R, size): the drawn count of rows holding each index value (rows with index < 0 are left out)."""
    result = np.zeros((weights.shape[0], size))
    for r in prange(weights.shape[0]):
        for i in range(weights.shape[1]):
            if index[i] >= 0:
                result[r, index[i]] += weights[r, i]
    return result


@kernel()
def _order_statistic_pair(ascending, order, drawn, low_rank, high_rank):
    """The low_rank-th and high_rank-th smallest (1-based) drawn values; ascending = values[order]."""
    seen = 0.0
    low = high = np.nan
    for i in range(order.shape[0]):
        seen += drawn[order[i]]
        if np.isnan(low) and seen >= low_rank:
            low = ascending[i]
        if seen >= high_rank:
            high = ascending[i]
            break
    return low, high


@kernel()
def _lerp_quantile(ascending, order, drawn, n, q):
    position = (n - 1.0) * q
    below = np.floor(position)
    low, high = _order_statistic_pair(ascending, order, drawn, below + 1.0, min(below + 2.0, n))
    return low + (position - below) * (high - low)


@kernel(parallel=True)
def row_quantile(ascending, order, weights, q):
    """numpy's linear quantile q of each resample's drawn values; ascending = values[order], sorted."""
    result = np.empty(weights.shape[0])
    for r in prange(weights.shape[0]):
        drawn = weights[r]
        result[r] = _lerp_quantile(ascending, order, drawn, float(drawn.sum()), q)
    return result


@kernel()
def _deviation_statistic(ascending, order, drawn, centre, rank):
    """The rank-th smallest |value - centre| of the drawn values: a merge walk outward from the centre."""
    n_rows = order.shape[0]
    right = np.searchsorted(ascending, centre)
    left = right - 1
    seen = 0.0
    while True:
        take_left = right >= n_rows or (left >= 0 and centre - ascending[left] <= ascending[right] - centre)
        if take_left:
            deviation = centre - ascending[left]
            seen += drawn[order[left]]
            left -= 1
        else:
            deviation = ascending[right] - centre
            seen += drawn[order[right]]
            right += 1
        if seen >= rank:
            return deviation


@kernel(parallel=True)
def row_median_absolute_deviation(ascending, order, weights):
    """median(|x - median(x)|) of each resample's drawn values (numpy's medians)."""
    result = np.empty(weights.shape[0])
    for r in prange(weights.shape[0]):
        drawn = weights[r]
        n = float(drawn.sum())
        centre = _lerp_quantile(ascending, order, drawn, n, 0.5)
        position = (n - 1.0) * 0.5
        below = np.floor(position)
        low = _deviation_statistic(ascending, order, drawn, centre, below + 1.0)
        high = _deviation_statistic(ascending, order, drawn, centre, min(below + 2.0, n))
        result[r] = low + (position - below) * (high - low)
    return result


@kernel(parallel=True)
def row_roc_auc(ascending, order, positive_sorted, weights):
    """Binary ROC AUC of each resample as the Mann-Whitney statistic (tied scores count one half);
    `positive_sorted` is the outcome in the scores' ascending order."""
    result = np.empty(weights.shape[0])
    n_rows = order.shape[0]
    for r in prange(weights.shape[0]):
        drawn = weights[r]
        area = negatives_below = positives = 0.0
        tie_positives = tie_negatives = 0.0
        for i in range(n_rows):
            if positive_sorted[i]:
                tie_positives += drawn[order[i]]
            else:
                tie_negatives += drawn[order[i]]
            if i == n_rows - 1 or ascending[i + 1] != ascending[i]:
                area += tie_positives * (negatives_below + 0.5 * tie_negatives)
                negatives_below += tie_negatives
                positives += tie_positives
                tie_positives = tie_negatives = 0.0
        result[r] = area / (positives * negatives_below) if positives * negatives_below > 0 else np.nan
    return result
