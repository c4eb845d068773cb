"""Classification metrics on integer-coded labels, from scikit-learn where it has them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
    recall_score,
    roc_auc_score,
)

from astromlp.reports import weighted
from astromlp.reports.scoring import Metric

CALIBRATION_BINS = 15


@dataclass(frozen=True)
class LabelledCase:
    """One classifier on a set of rows: class codes 0..n_classes-1 of truth and prediction, probabilities."""

    y: np.ndarray
    predicted: np.ndarray
    proba: np.ndarray | None
    n_classes: int

    def take(self, rows) -> LabelledCase:
        proba = None if self.proba is None else self.proba[rows]
        return LabelledCase(self.y[rows], self.predicted[rows], proba, self.n_classes)

    @property
    def labels(self) -> np.ndarray:
        return np.arange(self.n_classes)


def _needs_proba(function):
    def compute(case: LabelledCase) -> float:
        return float("nan") if case.proba is None else function(case)

    return compute


def roc_auc_ovr(case: LabelledCase) -> float:
    """Macro one-vs-rest ROC AUC; NaN when a class is absent from the rows (AUC undefined)."""
    if len(np.unique(case.y)) < case.n_classes:
        return float("nan")
    if case.n_classes == 2:
        return roc_auc_score(case.y, case.proba[:, 1])
    return roc_auc_score(case.y, case.proba, multi_class="ovr", labels=case.labels)


def calibration_bins(case: LabelledCase, n_bins: int = CALIBRATION_BINS) -> dict[str, np.ndarray]:
    """Top-label reliability: per confidence bin ((m-1)/M, m/M], the count, mean confidence and accuracy."""
    confidence = case.proba.max(axis=1)
    correct = (case.proba.argmax(axis=1) == case.y).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.digitize(confidence, edges[1:-1], right=True)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "edges": edges,
            "count": count,
            "confidence": np.bincount(which, confidence, n_bins) / count,
            "accuracy": np.bincount(which, correct, n_bins) / count,
        }


def expected_calibration_error(case: LabelledCase) -> float:
    """ECE = sum over bins of (n_bin / n) * |accuracy_bin - confidence_bin| (Guo et al. 2017, 15 bins)."""
    bins = calibration_bins(case)
    filled = bins["count"] > 0
    gaps = np.abs(bins["accuracy"][filled] - bins["confidence"][filled])
    return float(np.sum(bins["count"][filled] * gaps) / len(case.y))


def completeness_of(code: int, case: LabelledCase) -> float:
    """Recall of one class: the fraction of its true members labelled as it."""
    return recall_score(case.y, case.predicted, labels=[code], average=None, zero_division=np.nan)[0]


def _on_confusion(function):
    def resampler(case: LabelledCase):
        return lambda weights: function(weighted.confusion_counts(case.y, case.predicted, case.n_classes, weights))

    return resampler


def _with_proba(resampler):
    def prepared(case: LabelledCase):
        return (lambda weights: np.full(len(weights), np.nan)) if case.proba is None else resampler(case)

    return prepared


def roc_auc_ovr_resampler(case: LabelledCase):
    """`roc_auc_ovr` on resamples: each class's scores sorted once; NaN where a class was not drawn."""
    positives = [1] if case.n_classes == 2 else range(case.n_classes)
    scores = {k: weighted.Sorted(case.proba[:, k]) for k in positives}

    def score(weights: np.ndarray) -> np.ndarray:
        every_class = (weighted.class_counts(case.y, case.n_classes, weights) > 0).all(axis=1)
        auc = np.mean([scores[k].roc_auc(case.y == k, weights) for k in positives], axis=0)
        return np.where(every_class, auc, np.nan)

    return score


def log_loss_resampler(case: LabelledCase):
    losses = weighted.log_loss_rows(case.y, case.proba)
    return lambda weights: weighted.weighted_mean(losses, weights)


def log_loss(case: LabelledCase) -> float:
    """Mean cross-entropy of the true class (scikit-learn's log_loss, whose signature changes across versions)."""
    return float(np.mean(weighted.log_loss_rows(case.y, case.proba)))


METRICS: dict[str, Metric] = {
    "accuracy": Metric(
        "accuracy", "higher", lambda c: accuracy_score(c.y, c.predicted), _on_confusion(weighted.accuracy)
    ),
    "balanced_accuracy": Metric(
        "balanced accuracy",
        "higher",
        lambda c: balanced_accuracy_score(c.y, c.predicted),
        _on_confusion(weighted.balanced_accuracy),
    ),
    "macro_f1": Metric(
        "macro F1",
        "higher",
        lambda c: f1_score(c.y, c.predicted, labels=c.labels, average="macro", zero_division=0),
        _on_confusion(weighted.macro_f1),
    ),
    "roc_auc_ovr": Metric(
        "ROC AUC (one-vs-rest, macro)",
        "higher",
        _needs_proba(roc_auc_ovr),
        _with_proba(roc_auc_ovr_resampler),
    ),
    "log_loss": Metric(
        "log loss",
        "lower",
        _needs_proba(log_loss),
        _with_proba(log_loss_resampler),
    ),
    "brier": Metric(
        "Brier score", "lower", _needs_proba(lambda c: brier_score_loss(c.y, c.proba, labels=c.labels))
    ),
    "ece": Metric("expected calibration error", "lower", _needs_proba(expected_calibration_error)),
}
HEADLINE = ["balanced_accuracy", "macro_f1", "accuracy", "roc_auc_ovr", "log_loss"]


def bin_metrics(classes: list[str]) -> dict[str, Metric]:
    """What the magnitude-bin table shows: accuracy and every class's completeness."""
    per_class = {
        f"completeness:{label}": Metric(f"completeness {label}", "higher", partial(completeness_of, code))
        for code, label in enumerate(classes)
    }
    return {"accuracy": METRICS["accuracy"], "balanced_accuracy": METRICS["balanced_accuracy"], **per_class}


def details(case: LabelledCase, classes: list[str]) -> dict:
    """Per-class purity/completeness, confusion matrices, per-class ROC AUC and the reliability bins."""
    purity, completeness, f1, support = precision_recall_fscore_support(
        case.y, case.predicted, labels=case.labels, zero_division=np.nan
    )
    result = {
        "per_class": [
            {
                "class": label,
                "completeness": completeness[k],
                "purity": purity[k],
                "f1": f1[k],
                "support": int(support[k]),
                "roc_auc": _class_auc(case, k),
            }
            for k, label in enumerate(classes)
        ],
        "confusion": {
            "counts": confusion_matrix(case.y, case.predicted, labels=case.labels),
            "normalised": confusion_matrix(case.y, case.predicted, labels=case.labels, normalize="true"),
        },
    }
    if case.proba is not None:
        result["calibration"] = calibration_bins(case)
    return result


def _class_auc(case: LabelledCase, code: int) -> float:
    is_class = case.y == code
    if case.proba is None or is_class.all() or not is_class.any():
        return float("nan")
    return roc_auc_score(is_class, case.proba[:, code])
