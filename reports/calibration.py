"""Calibration per class: one-vs-rest reliability bins (predicted probability against observed frequency, with
counts), the expected calibration error and the Brier score of each class and of the top label, with paired
bootstrap intervals on the same resamples as the headline metrics."""

from __future__ import annotations

from functools import partial

import numpy as np

from astromlp.reports import bootstrap
from astromlp.reports.classification import CALIBRATION_BINS
from astromlp.reports.scoring import Metric

TOP_LABEL = "top label"


def reliability_bins(outcome: np.ndarray, p: np.ndarray, n_bins: int = CALIBRATION_BINS) -> dict[str, np.ndarray]:
    """Per bin ((m-1)/M, m/M] of `p`: the count, mean predicted probability and observed frequency of `outcome`."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.digitize(p, edges[1:-1], right=True)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"edges": edges, "count": count, "predicted": np.bincount(which, p, n_bins) / count,
                "observed": np.bincount(which, outcome.astype(float), n_bins) / count}


def ece_on_weights(outcome: np.ndarray, p: np.ndarray, weights: np.ndarray, n_bins: int = CALIBRATION_BINS):
    """ECE = sum over bins |sum of w (outcome - p) in the bin| / sum of w, for each row of weights (resamples)."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.digitize(p, edges[1:-1], right=True)
    gap = outcome.astype(float) - p
    w = np.asarray(weights, dtype=float)
    total = sum(np.abs(w[:, which == b] @ gap[which == b]) for b in range(n_bins))
    return total / w.sum(axis=1)


def _columns(case, k: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(outcome, probability) of class k one-vs-rest, or of the top label (correct, confidence) for None."""
    if k is None:
        return (case.proba.argmax(axis=1) == case.y), case.proba.max(axis=1)
    return case.y == k, case.proba[:, k]


def _ece(case, k):
    outcome, p = _columns(case, k)
    return float(ece_on_weights(outcome, p, np.ones((1, len(p))))[0])


def _brier(case, k):
    outcome, p = _columns(case, k)
    return float(np.mean((p - outcome) ** 2))


def _ece_resampler(case, k):
    outcome, p = _columns(case, k)
    return lambda weights: ece_on_weights(outcome, p, weights)


def _brier_resampler(case, k):
    outcome, p = _columns(case, k)
    squares = (p - outcome) ** 2
    return lambda weights: np.asarray(weights, float) @ squares / weights.shape[1]


def calibration_metrics(classes: list[str]) -> dict[str, Metric]:
    """ECE and Brier score of every class (one-vs-rest) and of the top label, as resamplable metrics."""
    metrics = {}
    for k, label in [*enumerate(classes), (None, TOP_LABEL)]:
        metrics[f"ece:{label}"] = Metric(f"ECE {label}", "lower", partial(_ece, k=k), partial(_ece_resampler, k=k))
        metrics[f"brier:{label}"] = Metric(f"Brier {label}", "lower", partial(_brier, k=k),
                                           partial(_brier_resampler, k=k))
    return metrics


def calibration_table(cases: dict, classes: list[str], n_bootstrap: int, random_state: int) -> dict | None:
    """The report's calibration table (rows: each class and the top label; per model ECE and Brier with
    intervals) and each model's per-class reliability bins; None when no model has probabilities."""
    cases = {name: case for name, case in cases.items() if case.proba is not None}
    if not cases:
        return None
    metrics = calibration_metrics(classes)
    samples = bootstrap.resample_scores(cases, metrics, n_bootstrap, random_state) if n_bootstrap else None

    def cell(name, key):
        value = metrics[key].compute(cases[name])
        interval = bootstrap.percentile_interval(samples[name][key]) if samples else None
        return {"value": value, "interval": interval}

    labels = [*classes, TOP_LABEL]
    return {
        "title": "Calibration: expected calibration error and Brier score",
        "models": list(cases),
        "columns": ["ECE", "Brier"],
        "rows": [{"label": label, "cells": [[cell(name, f"ece:{label}"), cell(name, f"brier:{label}")]
                                            for name in cases]} for label in labels],
        "note": f"Per class one-vs-rest (the predicted probability of the class against whether the object is "
                f"of it), and for the top label (the confidence of the predicted class against whether it is "
                f"right); ECE over {CALIBRATION_BINS} equal-width bins (Guo et al. 2017), lower is better for both. "
                "Brackets: 95 % bootstrap intervals on the headline's resamples.",
        "reliability": {name: [reliability_bins(*_columns(case, k)) for k in range(len(classes))]
                        for name, case in cases.items()},
    }
