"""Comparing trained networks on the same validation rows: ranked by one metric with bootstrap intervals,
a paired bootstrap against the best (the same resampled rows score every trial), and the test metric of each
shown apart, never used to choose. Writes sweep.json and the self-contained sweep.html."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from astromlp.files import write_text
from astromlp.jsonable import to_jsonable
from astromlp.reports import bootstrap
from astromlp.reports.inputs import EvaluationInputs
from astromlp.reports.kinds import report_kind
from astromlp.reports.metrics import build_cases

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


def compare_trials(task: str, target: str, metric_key: str, y_validation: np.ndarray, classes: list[str] | None,
                   trials: list[TrialOutcome], *, swept: list[str], log_scaled: list[str], n_bootstrap: int,
                   random_state: int, network: str = "MLP") -> dict:
    """Every trial's validation metric with its interval, ranked; `not_worse` marks trials whose paired
    difference to the best has an interval reaching zero (not significantly worse at 95 %)."""
    kind = report_kind(task)
    metric = kind.metrics[metric_key]
    inputs = EvaluationInputs(task=task, target=target, y_true=y_validation,
                              predictions={t.name: t.predicted for t in trials}, network_name=trials[0].name,
                              classes=classes,
                              probabilities={t.name: t.proba for t in trials if t.proba is not None})
    cases = build_cases(inputs)
    points = {name: float(metric.compute(case)) for name, case in cases.items()}
    samples = (bootstrap.resample_scores(cases, {metric_key: metric}, n_bootstrap, random_state)
               if n_bootstrap else None)
    order = sorted(range(len(trials)), key=lambda k: (-_score(metric, points[trials[k].name]), k))
    best = trials[order[0]].name
    rows = [_row(rank, trials[k], points, samples, best, metric, metric_key, network)
            for rank, k in enumerate(order, start=1)]
    return to_jsonable({
        "schema": SCHEMA, "task": task, "target": target, "classes": classes,
        "metric": {"key": metric_key, "label": metric.label, "better": metric.better, "split": "validation"},
        "n_validation": len(y_validation), "swept": swept, "log_scaled": log_scaled, "best": best,
        "bootstrap": {"n_resamples": n_bootstrap, "random_state": random_state, "level": bootstrap.LEVEL,
                      "paired": True, "rows": "validation"},
        "trials": rows,
    })


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
    test = trial.test.get("results", {}).get(network, {})
    training = trial.training
    chosen = training.get("chosen_start")
    starts = training.get("starts") or []
    return {"rank": rank, "name": trial.name, "params": trial.params, "run_dir": trial.run_dir,
            "validation": {"value": points[trial.name], "interval": interval},
            "difference_to_best": {"value": _score(metric, points[trial.name]) - _score(metric, points[best]),
                                   "interval": difference},
            "not_worse": bool(not_worse),
            "test": {"value": test.get("scalars", {}).get(key), "interval": test.get("intervals", {}).get(key)},
            "curves": starts[chosen] if isinstance(chosen, int) and 0 <= chosen < len(starts) else {}}


def write_sweep_report(out, comparison: dict) -> list[str]:
    """sweep.json (without the loss curves) and sweep.html into `out`; the file names written."""
    from astromlp.reports.sweep_html import render_sweep

    out = Path(out)
    record = {**comparison, "trials": [{k: v for k, v in t.items() if k != "curves"} for t in comparison["trials"]]}
    write_text(out / SWEEP_JSON, json.dumps(record, indent=1, allow_nan=False, ensure_ascii=False) + "\n")
    write_text(out / SWEEP_HTML, render_sweep(comparison))
    return [SWEEP_HTML, SWEEP_JSON]
