"""Judging redshift PDFs on the test split: every model's PDF metrics with paired bootstrap intervals (the same
resampled objects for every model, as the point metrics), the point metrics of each PDF's mode and median, and
whether the network beats each baseline on CRPS and PIT calibration beyond the interval.

The bootstrap resamples per-object values (PIT, CRPS, CDE terms, interval hits), never the PDFs themselves.
"""

from __future__ import annotations

import numpy as np

from astromlp.nn.density import point_estimates
from astromlp.reports import photoz
from astromlp.reports.bootstrap import percentile_interval, verdict
from astromlp.reports.pdf_metrics import COVERAGE, per_object, summarise
from astromlp.reports.regression import ValuedCase

#: The metrics the headline compares the network with the baselines on: key -> (label, better direction).
COMPARED = {"crps": ("CRPS", "lower"), "pit_ks": ("PIT KS", "lower")}
_MEANS = {"crps": "crps", "cde_loss": "cde", **{f"coverage_{n}": f"coverage_{n}" for n in COVERAGE}}
_POINTS = {"sigma_nmad": photoz.sigma_nmad, "bias": photoz.bias, "outlier_fraction": photoz.outlier_fraction}


def _ks_statistics(pit: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """KS statistic against uniform of ``pit[rows]`` for each row of the (resamples, n) index matrix."""
    x = np.sort(pit[rows], axis=1)
    n = rows.shape[1]
    upper = np.arange(1, n + 1) / n - x
    lower = x - np.arange(n) / n
    return np.maximum(upper.max(axis=1), lower.max(axis=1))


def _resampled(values: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    out = {key: values[name][rows].mean(axis=1) for key, name in _MEANS.items()}
    out["pit_ks"] = _ks_statistics(values["pit"], rows)
    return out


def judge_pdfs(y_true: np.ndarray, probabilities: dict[str, np.ndarray], edges: np.ndarray, network: str,
               n_bootstrap: int = 200, random_state: int = 0, block: int = 50) -> dict:
    """model -> {metrics, intervals, points}; plus comparisons (network vs each baseline on COMPARED)."""
    rng = np.random.default_rng(random_state)
    values = {name: per_object(prob, edges, y_true) for name, prob in probabilities.items()}
    samples: dict[str, dict[str, list]] = {name: {} for name in probabilities}
    for start in range(0, n_bootstrap, block):
        rows = rng.integers(0, len(y_true), (min(block, n_bootstrap - start), len(y_true)))
        for name in probabilities:
            for key, draw in _resampled(values[name], rows).items():
                samples[name].setdefault(key, []).append(draw)
    samples = {name: {key: np.concatenate(parts) for key, parts in by_key.items()} for name, by_key in samples.items()}
    result = {"models": {}, "comparisons": {}, "n_bootstrap": n_bootstrap, "random_state": random_state}
    for name, prob in probabilities.items():
        estimates = point_estimates(prob, edges)
        result["models"][name] = {
            "metrics": summarise(values[name]),
            "intervals": {key: percentile_interval(draws) for key, draws in samples[name].items()},
            "points": {which: {key: float(f(ValuedCase(y_true, estimates[which]))) for key, f in _POINTS.items()}
                       for which in ("mode", "median")}}
    for name in probabilities:
        if name == network:
            continue
        result["comparisons"][name] = {
            key: _comparison(result["models"][network]["metrics"][key], result["models"][name]["metrics"][key],
                             samples[network][key], samples[name][key])
            for key in COMPARED}
    return result


def _comparison(network: float, baseline: float, network_draws: np.ndarray, baseline_draws: np.ndarray) -> dict:
    """The network's advantage (baseline - network: positive is better, both metrics being lower-better)."""
    interval = percentile_interval(baseline_draws - network_draws)
    return {"advantage": baseline - network, "interval": interval, "verdict": verdict(interval)}


def headline(result: dict, network: str) -> list[str]:
    """One sentence per baseline: does the network beat it on CRPS and PIT calibration beyond the interval."""
    lines = []
    for baseline, by_key in result["comparisons"].items():
        parts = [f"{COMPARED[key][0]} {_said(by_key[key]['verdict'])} ({by_key[key]['advantage']:+.4g}, 95 % "
                 f"interval {_shown(by_key[key]['interval'])})" for key in COMPARED]
        lines.append(f"{network} against {baseline}: " + "; ".join(parts) + ".")
    return lines


def _said(word: str) -> str:
    return {"better": "better beyond the bootstrap interval", "worse": "worse beyond the bootstrap interval"
            }.get(word, "not distinguishable")


def _shown(interval: list[float] | None) -> str:
    return "undefined" if interval is None else f"[{interval[0]:+.4g}, {interval[1]:+.4g}]"
