"""Classification metrics on integer-coded labels.

The label metrics (accuracy, balanced accuracy, F1, purity, completeness) are functions of one confusion matrix,
counted once per case and once per block of bootstrap resamples (`weighted`), so the point value and its
resamples come from the same code; tests hold them equal to scikit-learn's. Probability metrics use
scikit-learn where it has them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial

import numpy as np
from sklearn.metrics import brier_score_loss

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

    @cached_property
    def all_rows(self) -> np.ndarray:
        """The rows themselves as one 'resample' (every multiplicity 1), for point values from `weighted`."""
        return weighted.as_weights(np.ones((1, len(self.y))))

    @cached_property
    def confusion(self) -> np.ndarray:
        """(1, K, K) counts, rows true class, columns predicted: the resample axis of `weighted` with one row."""
        return weighted.confusion_counts(self.y, self.predicted, self.n_classes, self.all_rows)

    def resampled_confusion(self, weights: np.ndarray) -> np.ndarray:
        """`confusion` of each resample; the last block is kept, as every label metric asks for the same one."""
        cached = self.__dict__.get("_resampled")
        if cached is None or cached[0] is not weights:
            cached = (weights, weighted.confusion_counts(self.y, self.predicted, self.n_classes, weights))
            self.__dict__["_resampled"] = cached
        return cached[1]

    @cached_property
    def sorted_scores(self) -> list[weighted.Sorted]:
        """Each class's probability column sorted once, for its ROC AUC on the rows and on every resample."""
        return [weighted.Sorted(self.proba[:, k]) for k in range(self.n_classes)]

    @cached_property
    def class_auc(self) -> np.ndarray:
        """One-vs-rest ROC AUC of each class; NaN without probabilities or without both outcomes."""
        if self.proba is None:
            return np.full(self.n_classes, np.nan)
        return np.array([scores.roc_auc(self.y == k, self.all_rows)[0] for k, scores in enumerate(self.sorted_scores)])


def _needs_proba(function):
    def compute(case: LabelledCase) -> float:
        return float("nan") if case.proba is None else function(case)

    return compute


def roc_auc_ovr(case: LabelledCase) -> float:
    """Macro one-vs-rest ROC AUC (scikit-learn's multi_class="ovr"); NaN when a class is absent from the rows."""
    if not np.all(case.confusion[0].sum(axis=1) > 0):
        return float("nan")
    return float(case.class_auc[1] if case.n_classes == 2 else np.mean(case.class_auc))


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
    """Recall of one class: the fraction of its true members labelled as it (NaN without members)."""
    return float(weighted.completeness(case.confusion)[0, code])


def _from_confusion(function):
    """A label metric as (point value, resampler), both from `function` of a stack of confusion matrices."""

    def compute(case: LabelledCase) -> float:
        return float(function(case.confusion)[0])

    def resampler(case: LabelledCase):
        return lambda weights: function(case.resampled_confusion(weights))

    return compute, resampler


def _with_proba(resampler):
    def prepared(case: LabelledCase):
        return (lambda weights: np.full(len(weights), np.nan)) if case.proba is None else resampler(case)

    return prepared


def roc_auc_ovr_resampler(case: LabelledCase):
    """`roc_auc_ovr` on resamples: each class's scores sorted once; NaN where a class was not drawn."""
    positives = [1] if case.n_classes == 2 else range(case.n_classes)
    scores = case.sorted_scores

    def score(weights: np.ndarray) -> np.ndarray:
        every_class = (case.resampled_confusion(weights).sum(axis=2) > 0).all(axis=1)
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
    "accuracy": Metric("accuracy", "higher", *_from_confusion(weighted.accuracy)),
    "balanced_accuracy": Metric("balanced accuracy", "higher", *_from_confusion(weighted.balanced_accuracy)),
    "macro_f1": Metric("macro F1", "higher", *_from_confusion(weighted.macro_f1)),
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
    confusion = case.confusion[0].astype(np.int64)  # counts, held as floats by the resampling kernels
    purity, completeness = weighted.purity(case.confusion)[0], weighted.completeness(case.confusion)[0]
    f1, support = weighted.f1(case.confusion)[0], confusion.sum(axis=1)
    result = {
        "per_class": [
            {
                "class": label,
                "completeness": completeness[k],
                "purity": purity[k],
                "f1": f1[k],
                "support": int(support[k]),
                "roc_auc": case.class_auc[k],
            }
            for k, label in enumerate(classes)
        ],
        "confusion": {"counts": confusion, "normalised": _row_shares(confusion)},
    }
    if case.proba is not None:
        result["calibration"] = calibration_bins(case)
    return result


def _row_shares(confusion: np.ndarray) -> np.ndarray:
    """Each row divided by its sum, 0 for a class without members (scikit-learn's normalize="true")."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(confusion / confusion.sum(axis=1, keepdims=True))

