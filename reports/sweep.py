"""Comparing trained networks on the same validation rows: ranked by one metric with bootstrap intervals,
a paired bootstrap against the best (the same resampled rows score every trial), and the test metric of each
shown apart, never used to choose. With cross-validation the trials are ranked by their mean fold score instead,
and compared to the best by a corrected paired t-test over the shared folds. Writes sweep.json and the
self-contained sweep.html."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import stats

from astromlp.files import write_text
from astromlp.jsonable import to_jsonable
from astromlp.reports import bootstrap
from astromlp.reports.inputs import EvaluationInputs
from astromlp.reports.kinds import report_kind
from astromlp.reports.metrics import build_cases
from astromlp.reports.scoring import Metric
from astromlp.reports.weighted import weighted_mean

SCHEMA = "astromlp.sweep/1"
SWEEP_JSON = "sweep.json"
SWEEP_HTML = "sweep.html"


@dataclass
class TrialOutcome:
    """One trained network: its swept values, validation predictions (and probabilities), the run's
    metrics.json (test split), training.json and config text, and where its run directory is."""

    name: str
    params: dict
    predicted: np.ndarray
    proba: np.ndarray | None
    test: dict
    training: dict
    config_text: str
    run_dir: str
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PerObject:
    """Per-row values whose mean is the metric (a PDF score such as CRPS); resampled as any case is."""

    y: np.ndarray

    def take(self, rows) -> PerObject:
        return PerObject(self.y[rows])


# Scores of a density network's PDFs, per validation row (TrialOutcome.extra[key]), ranked by their mean
PDF_METRICS = {"crps": Metric("CRPS", "lower", lambda case: float(np.mean(case.y)),
                              lambda case: lambda weights: weighted_mean(case.y, weights))}


def sweep_metrics(task: str, density: bool) -> dict[str, Metric]:
    """What a sweep may rank by: the kind's metrics, and the PDF scores for a density network."""
    return {**report_kind(task).metrics, **(PDF_METRICS if density else {})}


def default_metric(task: str, density: bool) -> str:
    """A density network's headline is its PDFs' CRPS; any other, the kind's headline metric."""
    return next(iter(PDF_METRICS)) if density else report_kind(task).headline[0]


def scored_cases(task: str, target: str, metric_key: str, y_true: np.ndarray, classes: list[str] | None,
                 trials: list[TrialOutcome]) -> tuple[dict, Metric]:
    """Each trial's case for the metric (its predictions, or its per-row PDF scores) and the metric."""
    if metric_key in PDF_METRICS:
        return {t.name: PerObject(np.asarray(t.extra[metric_key], np.float64)) for t in trials}, PDF_METRICS[metric_key]
    inputs = EvaluationInputs(task=task, target=target, y_true=y_true,
                              predictions={t.name: t.predicted for t in trials}, network_name=trials[0].name,
                              classes=classes,
                              probabilities={t.name: t.proba for t in trials if t.proba is not None})
    return build_cases(inputs), report_kind(task).metrics[metric_key]


def metric_value(task: str, target: str, metric_key: str, y_true: np.ndarray, classes: list[str] | None,
                 trial: TrialOutcome) -> float:
    """One trial's metric on the rows `y_true` (e.g. a cross-validation fold)."""
    cases, metric = scored_cases(task, target, metric_key, y_true, classes, [trial])
    return float(metric.compute(cases[trial.name]))


def compare_trials(task: str, target: str, metric_key: str, y_validation: np.ndarray, classes: list[str] | None,
                   trials: list[TrialOutcome], *, swept: list[str], log_scaled: list[str], n_bootstrap: int,
                   random_state: int, network: str = "MLP") -> dict:
    """Every trial's validation metric with its interval, ranked; `not_worse` marks trials whose paired
    difference to the best has an interval reaching zero (not significantly worse at 95 %)."""
    cases, metric = scored_cases(task, target, metric_key, y_validation, classes, trials)
    points = {name: float(metric.compute(case)) for name, case in cases.items()}
    samples = (bootstrap.resample_scores(cases, {metric_key: metric}, n_bootstrap, random_state)
               if n_bootstrap else None)
    cv = all("cv" in t.extra for t in trials)
    ranked = {t.name: float(np.mean(t.extra["cv"]["scores"])) if cv else points[t.name] for t in trials}
    order = sorted(range(len(trials)), key=lambda k: (-_score(metric, ranked[trials[k].name]), k))
    best = trials[order[0]].name
    rows = [_row(rank, trials[k], points, samples, best, metric, metric_key, network)
            for rank, k in enumerate(order, start=1)]
    if cv:
        best_scores = next(t.extra["cv"]["scores"] for t in trials if t.name == best)
        for row in rows:
            trial = next(t for t in trials if t.name == row["name"])
            row["cv"] = fold_summary(metric, trial.extra["cv"]["scores"], best_scores)
            row["not_worse"] = row["cv"]["not_worse"]
    return to_jsonable({
        "schema": SCHEMA, "task": task, "target": target, "classes": classes,
        "metric": {"key": metric_key, "label": metric.label, "better": metric.better, "split": "validation"},
        "ranked_by": "cv" if cv else "validation",
        "cv": {"k": len(trials[0].extra["cv"]["scores"]), "test": "corrected paired t",
               "level": bootstrap.LEVEL} if cv else None,
        "n_validation": len(y_validation), "swept": swept, "log_scaled": log_scaled, "best": best,
        "bootstrap": {"n_resamples": n_bootstrap, "random_state": random_state, "level": bootstrap.LEVEL,
                      "paired": True, "rows": "validation"},
        "trials": rows,
    })


def fold_summary(metric: Metric, scores: list[float], best: list[float]) -> dict:
    """A trial's fold scores: their mean and spread, and its paired difference to the best trial's scores on
    the same folds with a t interval whose variance is corrected for the folds' overlapping training rows
    (Nadeau & Bengio 2003: (1/k + 1/(k-1)) s^2 for k folds); not significantly worse when it reaches zero."""
    values = np.asarray(scores, np.float64)
    k = len(values)
    differences = metric.score(values) - metric.score(np.asarray(best, np.float64))
    mean = float(np.mean(differences))
    half = float(stats.t.ppf(0.5 + bootstrap.LEVEL / 2, k - 1)
                 * np.sqrt((1 / k + 1 / (k - 1)) * np.var(differences, ddof=1)))
    interval = [mean - half, mean + half] if np.all(np.isfinite(differences)) else None
    return {"scores": values.tolist(), "mean": float(np.mean(values)), "std": float(np.std(values, ddof=1)),
            "difference_to_best": {"value": mean, "interval": interval},
            "not_worse": bool(interval is not None and interval[1] >= 0)}


def _score(metric, value: float) -> float:
    """Larger is better; an undefined metric ranks last."""
    return float(metric.score(value)) if np.isfinite(value) else -np.inf


def _row(rank: int, trial: TrialOutcome, points: dict, samples: dict | None, best: str, metric, key: str,
         network: str) -> dict:
    interval = difference = None
    not_worse = trial.name == best
    if samples is not None:
        interval = bootstrap.percentile_interval(samples[trial.name][key])
        if trial.name != best:
            difference = bootstrap.percentile_interval(
                metric.score(samples[trial.name][key]) - metric.score(samples[best][key]))
            not_worse = difference is not None and difference[1] >= 0
    test = _test_metric(trial.test, network, key)
    training = trial.training
    chosen = training.get("chosen_start")
    starts = training.get("starts") or []
    return {"rank": rank, "name": trial.name, "params": trial.params, "run_dir": trial.run_dir,
            "validation": {"value": points[trial.name], "interval": interval},
            "difference_to_best": {"value": _score(metric, points[trial.name]) - _score(metric, points[best]),
                                   "interval": difference},
            "not_worse": bool(not_worse),
            "test": test,
            "curves": starts[chosen] if isinstance(chosen, int) and 0 <= chosen < len(starts) else {}}


def _test_metric(metrics: dict, network: str, key: str) -> dict:
    """The metric on the test split, from the run's metrics.json (a PDF score from its PDF section)."""
    if key in PDF_METRICS:
        found = metrics.get("pdfs", {}).get("models", {}).get(network, {})
        values, intervals = found.get("metrics", {}), found.get("intervals", {})
    else:
        found = metrics.get("results", {}).get(network, {})
        values, intervals = found.get("scalars", {}), found.get("intervals", {})
    return {"value": values.get(key), "interval": intervals.get(key)}


def write_sweep_report(out, comparison: dict) -> list[str]:
    """sweep.json (without the loss curves) and sweep.html into `out`; the file names written."""
    from astromlp.reports.sweep_html import render_sweep

    out = Path(out)
    record = {**comparison, "trials": [{k: v for k, v in t.items() if k != "curves"} for t in comparison["trials"]]}
    write_text(out / SWEEP_JSON, json.dumps(record, indent=1, allow_nan=False, ensure_ascii=False) + "\n")
    write_text(out / SWEEP_HTML, render_sweep(comparison))
    return [SWEEP_HTML, SWEEP_JSON]
