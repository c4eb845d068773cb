"""The evaluate stage: the network and the baselines predict the same test split; reports/ judges them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from astromlp.nn.multiclass import SCORE_NOTES, class_scores, strategy_of
from astromlp.pipeline.config import Config
from astromlp.pipeline.predict_pdf import is_density
from astromlp.pipeline.stages import Prepared
from astromlp.reports import EvaluationInputs, fit_baselines
from astromlp.reports.operating_points import best_reached, check_target_classes, choose_threshold
from astromlp.reports.pdf_evaluation import pdf_section

NETWORK = "MLP"


def network_outputs(model, X: np.ndarray, labelled: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Predicted labels (the most probable class) and class probabilities, or predicted values."""
    if labelled:
        proba = class_scores(model, X)
        return np.asarray(model.classes_)[np.argmax(proba, axis=1)].astype(str), proba
    return np.asarray(model.predict(X), dtype=np.float64), None


def evaluation_inputs(config: Config, prepared: Prepared, model, training: dict,
                      provenance: dict[str, Any]) -> EvaluationInputs:
    """Everything the report needs, with the baselines fitted on the network's own training split."""
    task, X_test, X_val = config.task.kind, prepared.X["test"], prepared.X["validation"]
    targets = operating_targets(config)
    predicted, proba = network_outputs(model, X_test, config.kind.labelled)
    predictions, probabilities = {NETWORK: predicted}, ({NETWORK: proba} if proba is not None else {})
    validation = {NETWORK: class_scores(model, X_val)} if targets and proba is not None else {}
    # with targets, the baselines also predict the validation rows (after the test rows) to choose thresholds
    X_scored = np.concatenate([X_test, X_val]) if validation else X_test
    baselines = fit_baselines(task, prepared.X["train"], prepared.y["train"], X_scored,
                              random_state=config.run.seed, classes=prepared.classes,
                              names=config.report.baselines)
    n_test = len(X_test)
    for name, baseline in baselines.items():
        predictions[name] = baseline.predicted[:n_test]
        if baseline.proba is not None:
            probabilities[name] = baseline.proba[:n_test]
            if validation:
                validation[name] = baseline.proba[n_test:]
    magnitude_column = prepared.summary.get("magnitude_column")
    magnitude = prepared.test_rows[magnitude_column].to_numpy(np.float64) if magnitude_column else None
    summary = {**prepared.summary, "baselines": {name: b.description for name, b in baselines.items()}}
    descriptions = {**_network_note(model), **summary["baselines"]}
    return EvaluationInputs(task=task, target=prepared.target, y_true=prepared.y["test"],
                            predictions=predictions, network_name=NETWORK, classes=prepared.classes,
                            descriptions=descriptions,
                            probabilities=probabilities, magnitude=magnitude, data_summary=summary,
                            training=training, provenance=provenance, pdfs=_pdfs(config, prepared, model),
                            targets=targets,
                            validation={"y_true": prepared.y["validation"], "probabilities": validation}
                            if validation else None)


def _network_note(model) -> dict[str, str]:
    """How a one-vs-rest / one-vs-one network is built and what its scores are, shown under its name in the
    report; nothing for one softmax network."""
    note = SCORE_NOTES[strategy_of(model)]
    return {NETWORK: note} if note else {}


def _pdfs(config: Config, prepared: Prepared, model) -> dict:
    """A density model's PDF judgement (baselines, metrics with intervals, figure data); empty otherwise."""
    if not is_density(model):
        return {}
    splits = {name: (prepared.X[name], prepared.y[name]) for name in ("train", "validation", "test")}
    return pdf_section(model, splits, NETWORK, config.report.n_bootstrap, config.run.seed)


def network_thresholds(config: Config, model, prepared: Prepared) -> list[dict]:
    """The network's threshold for each [report] target reachable on the validation split, and the flag column
    `predict` writes for it (`<class>_selected`, or `<class>_selected_<target>` for a class with both targets);
    an unreachable target is left to the evaluate stage's one-line error."""
    targets = operating_targets(config)
    if not targets or not len(prepared.y["validation"]):
        return []
    classes = list(prepared.classes)
    check_target_classes(targets, classes)
    proba = class_scores(model, prepared.X["validation"])
    both = set(targets.get("purity", {})) & set(targets.get("completeness", {}))
    points = []
    for target, per_class in targets.items():
        for label, value in per_class.items():
            is_class, score = prepared.y["validation"] == label, proba[:, classes.index(label)]
            if not is_class.any() or best_reached(is_class, score, target) < value:
                continue
            points.append({"class": label, "target": target, "value": value,
                           "threshold": choose_threshold(is_class, score, target, value, label),
                           "column": f"{label}_selected" + (f"_{target}" if label in both else "")})
    return points


def operating_targets(config: Config) -> dict[str, dict[str, float]]:
    """The [report] purity / completeness targets that are set, {target: {class: value}}."""
    report = config.report
    return {name: dict(getattr(report, name)) for name in ("purity", "completeness") if getattr(report, name)}


def predictions_table(prepared: Prepared, inputs: EvaluationInputs) -> pd.DataFrame:
    """The test rows' kept columns with truth, the network's prediction and its class probabilities."""
    table = prepared.test_rows.copy()
    table[f"{prepared.target}_true"] = inputs.y_true
    table[f"{prepared.target}_predicted"] = inputs.predictions[NETWORK]
    proba = inputs.probabilities.get(NETWORK)
    for k, label in enumerate(inputs.classes or []):
        table[f"probability_{label}"] = proba[:, k]
    return table
