"""Baselines fitted on the network's own split: the bar a network has to clear to be worth its cost.

Regression and photo-z: ordinary least squares and ridge with its strength chosen by leave-one-out
cross-validation on the training split. Classification: multinomial logistic regression and the
majority-class floor, and on request ([report] baselines) logistic regression one-vs-rest and one-vs-one
(scikit-learn's meta-estimators, scored as the network's are). All scikit-learn; nothing here is tuned on the
test split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, RidgeCV
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from threadpoolctl import threadpool_limits

from astromlp.errors import AstromlpError
from astromlp.nn.multiclass import class_scores
from astromlp.reports.kinds import report_kind

RIDGE_ALPHAS = np.logspace(-6, 6, 25)


@dataclass
class BaselinePrediction:
    """One baseline's test-split output: labels or values, and class probabilities in `classes` order."""

    predicted: np.ndarray
    proba: np.ndarray | None = None
    classes: list[str] | None = None
    description: str = ""
    details: dict = field(default_factory=dict)


def _ordinary_least_squares(X_train, y_train, X_test, random_state) -> BaselinePrediction:
    model = LinearRegression().fit(X_train, y_train)
    return BaselinePrediction(model.predict(X_test), description="ordinary least squares (closed form)")


def _ridge_cv(X_train, y_train, X_test, random_state) -> BaselinePrediction:
    model = RidgeCV(alphas=RIDGE_ALPHAS).fit(X_train, y_train)
    alpha = float(model.alpha_)
    return BaselinePrediction(
        model.predict(X_test),
        details={"alpha": alpha},
        description=f"ridge, alpha = {alpha:.3g} chosen by leave-one-out CV on the training split",
    )


def _logistic_with(meta: type | None, description: str) -> Callable:
    """Logistic regression (L2, C = 1), alone (multinomial) or inside a one-vs-rest / one-vs-one meta-estimator."""

    def fit(X_train, y_train, X_test, random_state) -> BaselinePrediction:
        codes, labels = pd.factorize(y_train, sort=True)  # integer classes: sklearn re-sorts text labels each call
        model = LogisticRegression(max_iter=2000, random_state=random_state)
        model = (model if meta is None else meta(model)).fit(X_train, codes)
        return _classifier_output(model, X_test, labels, description)

    return fit


def _majority(X_train, y_train, X_test, random_state) -> BaselinePrediction:
    codes, labels = pd.factorize(y_train, sort=True)
    model = DummyClassifier(strategy="prior", random_state=random_state).fit(X_train, codes)
    return _classifier_output(
        model,
        X_test,
        labels,
        "always the most frequent training class; probabilities = training class frequencies",
    )


def _classifier_output(model, X_test, labels: np.ndarray, description: str) -> BaselinePrediction:
    """Predictions of a model fitted on codes into `labels`, as labels again."""
    names = np.asarray(labels, dtype=str)
    return BaselinePrediction(
        names[model.predict(X_test)], class_scores(model, X_test), names[model.classes_].tolist(), description
    )


# [report] baselines name -> (the report's name, fit(X_train, y_train, X_test, random_state)); a task kind
# (reports/builtin_kinds.py) names its table and the default choice
CLASSIFIER_CHOICES: dict[str, tuple[str, Callable]] = {
    "logistic": ("logistic regression", _logistic_with(None, "multinomial logistic regression (L2, C = 1)")),
    "logistic_ovr": ("logistic regression OvR", _logistic_with(
        OneVsRestClassifier, "one-vs-rest logistic regression (L2, C = 1; scikit-learn's OneVsRestClassifier, "
        "probabilities normalised over the classes)")),
    "logistic_ovo": ("logistic regression OvO", _logistic_with(
        OneVsOneClassifier, "one-vs-one logistic regression (L2, C = 1; scikit-learn's OneVsOneClassifier; "
        "scores: its decision function shifted by 1/3 and normalised, not calibrated probabilities)")),
    "majority": ("majority class", _majority),
}
REGRESSOR_CHOICES: dict[str, tuple[str, Callable]] = {"ols": ("linear (OLS)", _ordinary_least_squares),
                                                      "ridge": ("ridge (CV)", _ridge_cv)}


def chosen(choices: dict[str, tuple[str, Callable]], names) -> dict[str, Callable]:
    """The report's name -> fit of the baselines `names` (keys of `choices`), in that order."""
    return dict(choices[name] for name in names)


CLASSIFIER_BASELINES = chosen(CLASSIFIER_CHOICES, ("logistic", "majority"))
REGRESSOR_BASELINES = chosen(REGRESSOR_CHOICES, REGRESSOR_CHOICES)


def fit_baselines(
    task: str, X_train, y_train, X_test, *, random_state: int, classes: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
) -> dict[str, BaselinePrediction]:
    """Fit the baselines of `task` (those `names` of its choices, default its usual ones) on the training split
    and predict the test split.

    For classification, `classes` fixes the probability-column order (default: sorted training labels);
    a class absent from training gets a column of zeros.
    """
    kind = report_kind(task)
    X_train, X_test = _features(X_train, "X_train"), _features(X_test, "X_test")
    y_train = np.asarray(y_train).astype(str) if kind.labelled else np.asarray(y_train, float)
    _check_shapes(X_train, y_train, X_test)
    # Small dense problems: threads cost more than they save here, and one thread gives the same bits anywhere.
    with threadpool_limits(limits=1):
        table = kind.baselines if names is None else _named(kind, names)
        fitted = {name: fit(X_train, y_train, X_test, random_state) for name, fit in table.items()}
    if kind.labelled and classes is not None:
        fitted = {
            name: _reorder(prediction, [str(c) for c in classes]) for name, prediction in fitted.items()
        }
    return fitted


def _named(kind, names: Sequence[str]) -> dict[str, Callable]:
    unknown = [name for name in names if name not in kind.baseline_choices]
    if unknown:
        raise AstromlpError(f"baseline {unknown[0]!r} is not a {kind.name} baseline; choose some of "
                            f"{', '.join(kind.baseline_choices)}")
    return chosen(kind.baseline_choices, names)


def _features(X, name: str) -> np.ndarray:
    array = np.asarray(X, dtype=float)
    if array.ndim != 2:
        raise AstromlpError(f"{name} has shape {array.shape}: expected (rows, features)")
    if not np.all(np.isfinite(array)):
        raise AstromlpError(
            f"{name} has NaN or infinite values: clean or drop those rows before the baselines"
        )
    return array


def _check_shapes(X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray) -> None:
    if len(X_train) != len(y_train):
        raise AstromlpError(
            f"X_train has {len(X_train)} rows but y_train has {len(y_train)}: pass matching rows"
        )
    if X_train.shape[1] != X_test.shape[1]:
        raise AstromlpError(
            f"X_train has {X_train.shape[1]} features but X_test has {X_test.shape[1]}: "
            "use the same feature columns"
        )


def _reorder(prediction: BaselinePrediction, classes: list[str]) -> BaselinePrediction:
    unknown = sorted(set(prediction.classes) - set(classes))
    if unknown:
        raise AstromlpError(f"training labels {unknown} are not in classes {classes}: pass every class label")
    proba = np.zeros((len(prediction.predicted), len(classes)))
    for column, label in enumerate(prediction.classes):
        proba[:, classes.index(label)] = prediction.proba[:, column]
    return BaselinePrediction(
        prediction.predicted, proba, classes, prediction.description, prediction.details
    )
