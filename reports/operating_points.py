"""Operating points: a per-class probability threshold chosen on the validation split for a purity or
completeness target, and the purity and completeness it reaches on the test split, with bootstrap intervals."""

from __future__ import annotations

from functools import partial

import numpy as np
from sklearn.metrics import precision_recall_curve

from astromlp.errors import AstromlpError
from astromlp.reports import bootstrap
from astromlp.reports.scoring import Metric

#: target -> which curve of precision_recall_curve it constrains (0 purity, 1 completeness)
TARGETS = {"purity": 0, "completeness": 1}


def choose_threshold(is_class: np.ndarray, score: np.ndarray, target: str, value: float, label: str) -> float:
    """The probability threshold (select score >= threshold) reaching `value` of `target` on these rows.

    Among thresholds reaching a purity target, the one keeping the most members (highest completeness); among
    those reaching a completeness target, the highest (purest). AstromlpError naming the class and the best
    value reached when none does."""
    is_class = np.asarray(is_class, dtype=bool)
    if not is_class.any():
        raise AstromlpError(f"[report] {target} {label} = {value}: the validation split has no {label} object, so "
                            "no threshold can be chosen; give more rows or drop the target")
    curves, thresholds = _curves(is_class, score)
    reached = curves[TARGETS[target]] >= value
    if not reached.any():
        raise AstromlpError(f"[report] {target} {label} = {value}: no probability threshold reaches it on the "
                            f"validation split (best {target} reached: {best_reached(is_class, score, target):.4f}); "
                            "lower the target")
    candidates = np.flatnonzero(reached)
    if target == "purity":
        return float(thresholds[candidates[np.argmax(curves[1][candidates])]])
    return float(thresholds[candidates[-1]])


def _curves(is_class, score) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """(purity, completeness) at each threshold of scikit-learn's curve, without its last point (purity 1,
    completeness 0), which has no threshold."""
    purity, completeness, thresholds = precision_recall_curve(is_class, score)
    return (purity[:-1], completeness[:-1]), thresholds


def best_reached(is_class: np.ndarray, score: np.ndarray, target: str) -> float:
    """The highest purity or completeness any threshold gives on these rows."""
    return float(_curves(np.asarray(is_class, bool), score)[0][TARGETS[target]].max())


def _selected_rates(outcome: np.ndarray, selected: np.ndarray, weights: np.ndarray, which: str) -> np.ndarray:
    """Purity (members among the selected) or completeness (selected among the members) per resample."""
    w = np.asarray(weights, dtype=float)
    hits = w @ (outcome & selected).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits / (w @ (selected if which == "purity" else outcome).astype(float))


def _rate(case, k: int, threshold: float, which: str) -> float:
    return float(_selected_rates(case.y == k, case.proba[:, k] >= threshold, np.ones((1, len(case.y))), which)[0])


def _rate_resampler(case, k: int, threshold: float, which: str):
    outcome, selected = case.y == k, case.proba[:, k] >= threshold
    return lambda weights: _selected_rates(outcome, selected, weights, which)


def operating_points(targets: dict[str, dict[str, float]], classes: list[str], validation: dict,
                     cases: dict, n_bootstrap: int, random_state: int) -> dict | None:
    """Every model's threshold for every target (chosen on `validation`: {"y_true": labels, "probabilities":
    {model: proba}}) and its test purity and completeness with intervals; None without targets."""
    requested = [(target, label, value) for target, per_class in targets.items()
                 for label, value in per_class.items()]
    if not requested:
        return None
    check_target_classes(targets, classes)
    models = [name for name, case in cases.items()
              if case.proba is not None and name in validation["probabilities"]]
    y_val, scores = np.asarray(validation["y_true"]), validation["probabilities"]
    network = next(iter(cases))
    rows = []
    for t, label, value in requested:
        k = classes.index(label)
        cells = [_cell(name, cases[name], y_val == label, scores[name][:, k], t, value, label, k, n_bootstrap,
                       random_state, must_reach=name == network) for name in models]
        rows.append({"class": label, "target": t, "value": value, "cells": cells})
    return {"models": models, "rows": rows,
            "thresholds": {name: {f"{row['target']}:{row['class']}": row["cells"][m]["threshold"] for row in rows}
                           for m, name in enumerate(models)}}


def _cell(name, case, is_class, score, target, value, label, k, n_bootstrap, random_state, must_reach) -> dict:
    """One model's threshold for one target and its test purity and completeness with intervals. The network
    must reach the target (else the one-line error); a baseline that cannot says so in its cell."""
    if not must_reach and is_class.any() and best_reached(is_class, score, target) < value:
        return {"threshold": None, "best": best_reached(is_class, score, target),
                "purity": {"value": None, "interval": None}, "completeness": {"value": None, "interval": None}}
    threshold = choose_threshold(is_class, score, target, value, label)
    one = {which: Metric(which, "higher", partial(_rate, k=k, threshold=threshold, which=which),
                         partial(_rate_resampler, k=k, threshold=threshold, which=which))
           for which in ("purity", "completeness")}
    samples = bootstrap.resample_scores({name: case}, one, n_bootstrap, random_state)[name] if n_bootstrap else {}
    return {"threshold": threshold, **{
        which: {"value": metric.compute(case),
                "interval": bootstrap.percentile_interval(samples[which]) if samples else None}
        for which, metric in one.items()}}



def check_target_classes(targets: dict[str, dict[str, float]], classes: list[str]) -> None:
    """Every class a target names is one of the target's classes; one line naming it otherwise."""
    for target, per_class in targets.items():
        for label in per_class:
            if label not in classes:
                raise AstromlpError(f"[report] {target} names class {label!r}, which the target does not have "
                                    f"(its classes: {', '.join(classes)}); use one of those names")
