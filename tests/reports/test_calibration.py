"""Per-class calibration and operating points: hand-computed values, scikit-learn's curves, one-line errors."""

import numpy as np
import pytest
from sklearn.calibration import calibration_curve

from astromlp.errors import AstromlpError
from astromlp.reports.calibration import calibration_table, ece_on_weights, reliability_bins
from astromlp.reports.classification import LabelledCase, expected_calibration_error
from astromlp.reports.operating_points import choose_threshold, operating_points


def test_ece_by_hand():
    """Two bins used: (0.2, 0.267] holds p = 0.25, 0.25 with outcomes 0, 1 (gap |1 - 0.5| = 0.5 summed);
    (0.933, 1] holds p = 0.95 three times, outcomes 1, 1, 0 (gap |2 - 2.85| = 0.85): ECE = (0.5 + 0.85) / 5."""
    p = np.array([0.25, 0.25, 0.95, 0.95, 0.95])
    outcome = np.array([0, 1, 1, 1, 0], bool)
    assert ece_on_weights(outcome, p, np.ones((1, 5)))[0] == pytest.approx((0.5 + 0.85) / 5)
    case = LabelledCase(outcome.astype(int), np.ones(5, int), np.column_stack([1 - p, p]), 2)
    assert expected_calibration_error(case) == pytest.approx((0.5 + 0.85) / 5)  # the top-label gaps mirror them
    # a resample drawing the first row twice and the last not at all: |1 - 0.75| and |2 - 1.9|
    w = np.array([[2, 1, 1, 1, 0]])
    assert ece_on_weights(outcome, p, w)[0] == pytest.approx((abs(1 - 0.75) + abs(2 - 1.9)) / 5)


def test_reliability_bins_agree_with_scikit_learn():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=5000)
    outcome = rng.uniform(size=5000) < p**1.3
    bins = reliability_bins(outcome, p, n_bins=10)
    observed, predicted = calibration_curve(outcome, p, n_bins=10)
    filled = bins["count"] > 0
    np.testing.assert_allclose(bins["observed"][filled], observed, rtol=1e-12)
    np.testing.assert_allclose(bins["predicted"][filled], predicted, rtol=1e-12)


def test_top_label_row_equals_the_report_ece_and_intervals_cover_it():
    rng = np.random.default_rng(1)
    proba = rng.dirichlet([1, 1, 1], size=2000)
    y = np.array([rng.choice(3, p=row) for row in proba])
    case = LabelledCase(y, proba.argmax(axis=1), proba, 3)
    table = calibration_table({"MLP": case}, ["A", "B", "C"], n_bootstrap=100, random_state=0)
    top = table["rows"][-1]["cells"][0]
    assert top[0]["value"] == pytest.approx(expected_calibration_error(case), rel=1e-12)
    for row in table["rows"]:
        for cell in row["cells"][0]:
            assert cell["interval"][0] < cell["interval"][1]
    brier_a = table["rows"][0]["cells"][0][1]["value"]
    assert brier_a == pytest.approx(np.mean((proba[:, 0] - (y == 0)) ** 2))


def test_thresholds_on_scores_where_the_answer_is_known():
    """Scores 0.1 .. 1.0; members are the rows scoring 0.5 and above except 0.6: purity >= 0.8 first holds at
    0.5 (5 of 6 selected rows are members, purity 0.833), completeness 1.0 first fails above 0.5."""
    score = np.arange(1, 11) / 10
    members = np.isin(score, [0.5, 0.7, 0.8, 0.9, 1.0])
    assert choose_threshold(members, score, "purity", 0.8, "X") == pytest.approx(0.5)
    assert choose_threshold(members, score, "purity", 1.0, "X") == pytest.approx(0.7)
    assert choose_threshold(members, score, "completeness", 1.0, "X") == pytest.approx(0.5)
    assert choose_threshold(members, score, "completeness", 0.8, "X") == pytest.approx(0.7)


def test_an_unreachable_purity_is_one_line_naming_class_and_best_purity():
    score = np.arange(1, 11) / 10
    members = np.isin(score, [0.2, 0.4, 0.9])
    with pytest.raises(AstromlpError, match=r"purity QSO = 0.99: .*best purity reached: 0.5000"):
        choose_threshold(members, score, "purity", 0.99, "QSO")


def test_operating_points_on_test_rows_and_unknown_class():
    rng = np.random.default_rng(2)
    y_val, y_test = rng.integers(0, 2, 3000), rng.integers(0, 2, 3000)
    p_val = np.clip(y_val * 0.3 + rng.uniform(size=3000) * 0.7, 0, 1)
    p_test = np.clip(y_test * 0.3 + rng.uniform(size=3000) * 0.7, 0, 1)
    proba_val = np.column_stack([1 - p_val, p_val])
    proba_test = np.column_stack([1 - p_test, p_test])
    case = LabelledCase(y_test, proba_test.argmax(axis=1), proba_test, 2)
    validation = {"y_true": np.array(["GALAXY", "STAR"])[y_val], "probabilities": {"MLP": proba_val}}
    result = operating_points({"purity": {"STAR": 0.9}}, ["GALAXY", "STAR"], validation, {"MLP": case}, 200, 0)
    cell = result["rows"][0]["cells"][0]
    selected = p_test >= cell["threshold"]
    assert cell["purity"]["value"] == pytest.approx(np.mean(y_test[selected] == 1))
    assert cell["completeness"]["value"] == pytest.approx(np.mean(selected[y_test == 1]))
    low, high = cell["purity"]["interval"]
    assert low < 0.9 < high  # the purity chosen on validation holds on the test split within its interval
    with pytest.raises(AstromlpError, match="names class 'QSSO'.*GALAXY, STAR"):
        operating_points({"purity": {"QSSO": 0.9}}, ["GALAXY", "STAR"], validation, {"MLP": case}, 0, 0)
