"""Paired bootstrap: the same resampled test rows score every model, so differences have intervals too."""

from __future__ import annotations

import numpy as np

from astromlp.reports.scoring import Metric

LEVEL = 0.95


def resample_scores(cases: dict, metrics: dict[str, Metric], n_resamples: int, random_state: int) -> dict:
    """model -> metric -> array of the metric on each resample (rows drawn with replacement, seeded)."""
    n_rows = len(next(iter(cases.values())).y)
    rng = np.random.default_rng(random_state)
    values = {model: {key: np.empty(n_resamples) for key in metrics} for model in cases}
    for r in range(n_resamples):
        rows = rng.integers(0, n_rows, n_rows)
        for model, case in cases.items():
            subset = case.take(rows)
            for key, metric in metrics.items():
                values[model][key][r] = metric.compute(subset)
    return values


def percentile_interval(samples: np.ndarray, level: float = LEVEL) -> list[float] | None:
    """The central `level` percentile interval of the finite samples, or None when there are none."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return None
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return [float(low), float(high)]


def comparison(
    metric: Metric,
    network_point: float,
    baseline_point: float,
    network_samples: np.ndarray,
    baseline_samples: np.ndarray,
) -> dict:
    """The network's advantage over a baseline (positive = network better) with its paired interval."""
    advantage = metric.score(network_point) - metric.score(baseline_point)
    interval = percentile_interval(metric.score(network_samples) - metric.score(baseline_samples))
    return {"advantage": advantage, "interval": interval, "verdict": verdict(interval)}


def verdict(interval: list[float] | None) -> str:
    """'better' or 'worse' when the interval excludes zero, else 'not significant'."""
    if interval is None:
        return "undefined"
    if interval[0] > 0:
        return "better"
    if interval[1] < 0:
        return "worse"
    return "not significant"
