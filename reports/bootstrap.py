"""Paired bootstrap: the same resampled test rows score every model, so differences have intervals too."""

from __future__ import annotations

import numpy as np

from astromlp.reports import weighted
from astromlp.reports.scoring import Metric

LEVEL = 0.95
BLOCK_CELLS = 8_000_000  # resamples are scored in blocks of about this many (resample, row) weights


def resample_scores(cases: dict, metrics: dict[str, Metric], n_resamples: int, random_state: int) -> dict:
    """model -> metric -> array of the metric on each resample (rows drawn with replacement, seeded)."""
    n_rows = len(next(iter(cases.values())).y)
    rng = np.random.default_rng(random_state)
    block = max(1, BLOCK_CELLS // max(n_rows, 1))
    scorers = {model: {key: metric.scorer(case) for key, metric in metrics.items()} for model, case in cases.items()}
    values = {model: {key: [] for key in metrics} for model in cases}
    for start in range(0, n_resamples, block):
        weights = weighted.as_weights(
            [np.bincount(rng.integers(0, n_rows, n_rows), minlength=n_rows)
             for _ in range(min(block, n_resamples - start))]
        )
        for model, by_key in scorers.items():
            for key, scorer in by_key.items():
                values[model][key].append(scorer(weights))
    return {model: {key: np.concatenate([np.empty(0), *parts]) for key, parts in by_key.items()}
            for model, by_key in values.items()}


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
