"""What a report is built from: the test split's truth, every model's predictions and the run's records.

Plain arrays and dicts only, so the pipeline, a notebook or `astromlp report RUN_DIR` can all fill it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from astromlp.errors import AstromlpError
from astromlp.reports.kinds import ReportKind, report_kind


@dataclass
class EvaluationInputs:
    """The test split's truth and predictions of the network and every baseline, plus the run's records.

    task: the name of a registered task kind (reports.REPORT_KINDS). target: the target column's name.
    y_true: test-split truth (class labels as strings for classification, spectroscopic redshift for photoz).
    classes: the class labels in probability-column order (classification only).
    predictions: model name -> predicted labels or values. probabilities:
    model name -> (n, n_classes) array (classification; models without one are scored on labels only).
    network_name: which key of `predictions` is the network; the others are baselines.
    magnitude: one magnitude per test row (e.g. r band) for metric-by-magnitude bins, or None;
    magnitude_name labels it (e.g. "r [mag]").
    descriptions: model name -> one line saying what the model is (e.g. BaselinePrediction.description).

    data_summary keys (each optional): files [{path, sha256, rows?, format?}], rows {read, select [{cut,
    columns, removed, removed_missing}] (in order: rows each cut removed after the cuts before it, and how many
    of those miss a value it reads), used, dropped {reason: count}}, features [{name, unit?, expression?}],
    split {train, validation, test}, class_balance {split: {class: count}}, warnings [sentence] (shown first
    among the findings, e.g. the target column used as a feature).
    training keys (each optional): starts [{seed, loss_curve, validation_loss_curve, stop_reason, diverged,
    rollbacks (epochs of a loss spike), epochs, final_train_loss, final_validation_loss}], chosen_start (index
    into starts), fit_seconds,
    sparsity {layers [{layer, weights, zero_fraction}], switched_off [input feature name]} (what L1 zeroed).
    validation (classification, optional): {"y_true": validation-split labels, "probabilities": {model:
    (n, n_classes)}}, on which the operating points' thresholds are chosen. targets: {"purity" | "completeness":
    {class: value}}, the [report] targets those thresholds are chosen for.
    provenance keys (each optional): config_text, seed, package_versions {name: version},
    input_files [{path, sha256}], astromlp_version, timings {stage: seconds}.
    pdfs (photoz-pdf only): the judgement of the redshift PDFs (`reports.pdf_evaluation.judge_pdfs`) plus
    `figures` (`pdf_evaluation.figure_data`); empty for point predictions.
    """

    task: str
    target: str
    y_true: np.ndarray
    predictions: dict[str, np.ndarray]
    network_name: str
    classes: list[str] | None = None
    probabilities: dict[str, np.ndarray] = field(default_factory=dict)
    magnitude: np.ndarray | None = None
    magnitude_name: str = "magnitude"
    descriptions: dict[str, str] = field(default_factory=dict)
    data_summary: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, Any] | None = None
    targets: dict[str, dict[str, float]] = field(default_factory=dict)
    pdfs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        kind = self.kind
        self.y_true = _as_column(self.y_true, "y_true", kind)
        n = len(self.y_true)
        if n == 0:
            raise AstromlpError("y_true is empty: the report needs at least one test row")
        self.predictions = {
            str(name): _as_column(values, f"predictions[{name!r}]", kind)
            for name, values in self.predictions.items()
        }
        _check_lengths(self.predictions, n, "predictions")
        if self.network_name not in self.predictions:
            raise AstromlpError(
                f"network_name {self.network_name!r} is not a key of predictions "
                f"{sorted(self.predictions)}: pass the network's predictions under that name"
            )
        if self.magnitude is not None:
            self.magnitude = np.asarray(self.magnitude, dtype=float)
            _check_lengths({"magnitude": self.magnitude}, n, "inputs")
        if kind.labelled:
            self._check_classification()
        elif not np.all(np.isfinite(self.y_true)):
            raise AstromlpError(
                f"y_true of target {self.target!r} has non-finite values: drop those rows first"
            )
        kind.check_truth(self.y_true, self.target)

    @property
    def kind(self) -> ReportKind:
        """The registered task kind named by `task` (AstromlpError for an unknown name)."""
        return report_kind(self.task)

    @property
    def model_names(self) -> list[str]:
        """The network first, then the baselines in the order given."""
        return [self.network_name] + [name for name in self.predictions if name != self.network_name]

    def _check_classification(self) -> None:
        if not self.classes:
            raise AstromlpError(
                "classes is empty: a classification report needs the class labels in probability-column order"
            )
        self.classes = [str(label) for label in self.classes]
        known = set(self.classes)
        for name, labels in [("y_true", self.y_true), *self.predictions.items()]:
            unknown = sorted(set(labels.tolist()) - known)
            if unknown:
                raise AstromlpError(
                    f"{name} has labels {unknown[:5]} that are not in classes {self.classes}: "
                    "pass every class label the data uses"
                )
        self.probabilities = {
            str(name): np.asarray(proba, dtype=float) for name, proba in self.probabilities.items()
        }
        for name, proba in self.probabilities.items():
            _check_probability(name, proba, len(self.y_true), len(self.classes))


def _as_column(values, name: str, kind: ReportKind) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise AstromlpError(f"{name} has shape {array.shape}: expected one value per test row (1-D)")
    if kind.labelled:
        return array.astype(str)
    if not np.issubdtype(array.dtype, np.number):
        raise AstromlpError(f"{name} has dtype {array.dtype}: expected numbers for a {kind.name} report")
    return array.astype(float)


def _check_lengths(arrays: dict[str, np.ndarray], n: int, what: str) -> None:
    for name, values in arrays.items():
        if len(values) != n:
            raise AstromlpError(
                f"{what} {name!r} has {len(values)} rows but y_true has {n}: pass one value per test row"
            )


def _check_probability(name: str, proba: np.ndarray, n: int, n_classes: int) -> None:
    if proba.shape != (n, n_classes):
        raise AstromlpError(
            f"probabilities[{name!r}] has shape {proba.shape}: expected ({n}, {n_classes}), "
            "one column per class in classes order"
        )
    if (
        not np.all(np.isfinite(proba))
        or np.any(proba < 0)
        or not np.allclose(proba.sum(axis=1), 1, atol=1e-4)
    ):
        raise AstromlpError(
            f"probabilities[{name!r}] rows are not probabilities (finite, >= 0, summing "
            "to 1): pass predict_proba output"
        )
