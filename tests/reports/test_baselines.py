"""Baselines are the scikit-learn models they claim to be, fitted on the training split only."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import LeaveOneOut, cross_val_score
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier

from astromlp.errors import AstromlpError
from astromlp.reports import fit_baselines
from astromlp.reports.baselines import RIDGE_ALPHAS


def test_ols_is_the_closed_form_least_squares_solution(redshift_split):
    galaxies = redshift_split
    fitted = fit_baselines("photoz", galaxies.X_train, galaxies.y_train, galaxies.X_test, random_state=0)
    design = np.column_stack([np.ones(len(galaxies.X_train)), galaxies.X_train])
    coefficients = np.linalg.solve(design.T @ design, design.T @ galaxies.y_train)  # normal equations
    expected = np.column_stack([np.ones(len(galaxies.X_test)), galaxies.X_test]) @ coefficients
    np.testing.assert_allclose(fitted["linear (OLS)"].predicted, expected, rtol=1e-9, atol=1e-12)
    assert fitted["linear (OLS)"].proba is None


def test_ridge_strength_is_the_best_leave_one_out_choice_on_training_rows(redshift_split):
    galaxies = redshift_split
    X, y = galaxies.X_train[:120], galaxies.y_train[:120]
    ridge = fit_baselines("regression", X, y, galaxies.X_test, random_state=0)["ridge (CV)"]
    alpha = ridge.details["alpha"]
    assert alpha in RIDGE_ALPHAS
    errors = {
        a: -cross_val_score(Ridge(alpha=a), X, y, cv=LeaveOneOut(), scoring="neg_mean_squared_error").mean()
        for a in RIDGE_ALPHAS[::6].tolist() + [alpha]
    }
    assert errors[alpha] <= min(errors.values()) + 1e-12
    np.testing.assert_allclose(
        ridge.predicted, Ridge(alpha=alpha).fit(X, y).predict(galaxies.X_test), rtol=1e-8
    )
    assert f"{alpha:.3g}" in ridge.description


def test_logistic_regression_is_sklearns_multinomial_model(class_split):
    data = class_split
    fitted = fit_baselines("classification", data.X_train, data.y_train, data.X_test, random_state=0)
    reference = LogisticRegression(max_iter=2000).fit(data.X_train, data.y_train)
    logistic = fitted["logistic regression"]
    np.testing.assert_allclose(logistic.proba, reference.predict_proba(data.X_test), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(logistic.predicted, reference.predict(data.X_test))
    assert logistic.classes == ["GALAXY", "QSO", "STAR"]
    assert np.mean(logistic.predicted == data.y_test) > 0.9  # real colours separate the classes well


def test_one_vs_rest_and_one_vs_one_logistic_regressions_are_sklearns(class_split):
    """[report] baselines picks them; OvR's probabilities are scikit-learn's, OvO's scores its decision function
    shifted by 1/3 and normalised (the network's OvO convention)."""
    data = class_split
    fitted = fit_baselines("classification", data.X_train, data.y_train, data.X_test, random_state=0,
                           names=["logistic_ovr", "logistic_ovo", "majority"])
    assert list(fitted) == ["logistic regression OvR", "logistic regression OvO", "majority class"]
    ovr = OneVsRestClassifier(LogisticRegression(max_iter=2000)).fit(data.X_train, data.y_train)
    np.testing.assert_allclose(fitted["logistic regression OvR"].proba, ovr.predict_proba(data.X_test), rtol=1e-6,
                               atol=1e-9)
    np.testing.assert_array_equal(fitted["logistic regression OvR"].predicted, ovr.predict(data.X_test))
    ovo = OneVsOneClassifier(LogisticRegression(max_iter=2000)).fit(data.X_train, data.y_train)
    shifted = ovo.decision_function(data.X_test) + 1 / 3
    np.testing.assert_allclose(fitted["logistic regression OvO"].proba, shifted / shifted.sum(axis=1, keepdims=True),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(fitted["logistic regression OvO"].predicted, ovo.predict(data.X_test))
    assert "not calibrated probabilities" in fitted["logistic regression OvO"].description


def test_an_unknown_baseline_name_is_one_line(class_split):
    data = class_split
    with pytest.raises(AstromlpError, match=r"baseline 'ridge' is not a classification baseline; choose some of "
                                            r"logistic, logistic_ovr, logistic_ovo, majority"):
        fit_baselines("classification", data.X_train, data.y_train, data.X_test, random_state=0, names=["ridge"])


def test_majority_floor_predicts_the_most_frequent_training_class_with_its_frequencies():
    X = np.arange(12, dtype=float).reshape(6, 2)
    y = np.array(["STAR", "GALAXY", "GALAXY", "QSO", "GALAXY", "STAR"])
    floor = fit_baselines("classification", X, y, X[:2], random_state=0)["majority class"]
    np.testing.assert_array_equal(floor.predicted, ["GALAXY", "GALAXY"])
    np.testing.assert_allclose(floor.proba, [[3 / 6, 1 / 6, 2 / 6]] * 2)


def test_classes_fix_the_probability_column_order_and_add_absent_classes():
    X = np.array([[0.0], [0.1], [1.0], [1.1], [2.0], [2.1]])
    y = np.array(["b", "b", "a", "a", "b", "a"])
    fitted = fit_baselines("classification", X, y, X, random_state=0, classes=["c", "b", "a"])
    for prediction in fitted.values():
        assert prediction.classes == ["c", "b", "a"]
        np.testing.assert_array_equal(prediction.proba[:, 0], 0.0)
        np.testing.assert_allclose(prediction.proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(fitted["majority class"].proba[0], [0.0, 0.5, 0.5])


@pytest.mark.parametrize(
    ("task", "X", "y", "message"),
    [
        ("clustering", [[1.0]], [1.0], "task 'clustering' is not one of"),
        ("regression", [[1.0], [np.nan]], [1.0, 2.0], "X_train has NaN"),
        ("regression", [[1.0], [2.0]], [1.0], "X_train has 2 rows but y_train has 1"),
        ("regression", [1.0, 2.0], [1.0, 2.0], "X_train has shape (2,)"),
    ],
)
def test_bad_arguments_raise_one_line_errors(task, X, y, message):
    with pytest.raises(AstromlpError, match=message.replace("(", r"\(").replace(")", r"\)")):
        fit_baselines(task, X, y, [[1.0]], random_state=0)


def test_training_labels_missing_from_classes_are_refused():
    with pytest.raises(AstromlpError, match=r"training labels \['z'\] are not in classes"):
        fit_baselines("classification", [[0.0], [1.0]], ["a", "z"], [[0.0]], random_state=0, classes=["a"])
