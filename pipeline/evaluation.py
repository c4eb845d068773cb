"""The evaluate stage: the network and the baselines predict the same test split; reports/ judges them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from astromlp.pipeline.config import Config
from astromlp.pipeline.predict_pdf import is_density
from astromlp.pipeline.stages import Prepared
from astromlp.reports import EvaluationInputs, fit_baselines
from astromlp.reports.pdf_evaluation import pdf_section

NETWORK = "MLP"


def network_outputs(model, X: np.ndarray, labelled: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Predicted labels (the most probable class) and class probabilities, or predicted values."""
    if labelled:
        proba = model.predict_proba(X)
        return np.asarray(model.classes_)[np.argmax(proba, axis=1)].astype(str), proba
    return np.asarray(model.predict(X), dtype=np.float64), None


def evaluation_inputs(config: Config, prepared: Prepared, model, training: dict,
                      provenance: dict[str, Any]) -> EvaluationInputs:
    """Everything the report needs, with the baselines fitted on the network's own training split."""
    task, X_test = config.task.kind, prepared.X["test"]
    predicted, proba = network_outputs(model, X_test, config.kind.labelled)
    predictions, probabilities = {NETWORK: predicted}, ({NETWORK: proba} if proba is not None else {})
    baselines = fit_baselines(task, prepared.X["train"], prepared.y["train"], X_test,
                              random_state=config.run.seed, classes=prepared.classes)
    for name, baseline in baselines.items():
        predictions[name] = baseline.predicted
        if baseline.proba is not None:
            probabilities[name] = baseline.proba
    magnitude_column = prepared.summary.get("magnitude_column")
    magnitude = prepared.test_rows[magnitude_column].to_numpy(np.float64) if magnitude_column else None
    summary = {**prepared.summary, "baselines": {name: b.description for name, b in baselines.items()}}
    return EvaluationInputs(task=task, target=prepared.target, y_true=prepared.y["test"],
                            predictions=predictions, network_name=NETWORK, classes=prepared.classes,
                            probabilities=probabilities, magnitude=magnitude, data_summary=summary,
                            training=training, provenance=provenance, pdfs=_pdfs(config, prepared, model))


def _pdfs(config: Config, prepared: Prepared, model) -> dict:
    """A density model's PDF judgement (baselines, metrics with intervals, figure data); empty otherwise."""
    if not is_density(model):
        return {}
    splits = {name: (prepared.X[name], prepared.y[name]) for name in ("train", "validation", "test")}
    return pdf_section(model, splits, NETWORK, config.report.n_bootstrap, config.run.seed)


def predictions_table(prepared: Prepared, inputs: EvaluationInputs) -> pd.DataFrame:
    """The test rows' kept columns with truth, the network's prediction and its class probabilities."""
    table = prepared.test_rows.copy()
    table[f"{prepared.target}_true"] = inputs.y_true
    table[f"{prepared.target}_predicted"] = inputs.predictions[NETWORK]
    proba = inputs.probabilities.get(NETWORK)
    for k, label in enumerate(inputs.classes or []):
        table[f"probability_{label}"] = proba[:, k]
    return table
