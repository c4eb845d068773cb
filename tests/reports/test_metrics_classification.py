"""Classification metrics against scikit-learn and hand-computed values on small labelled arrays."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
)

from astromlp.errors import AstromlpError
from astromlp.reports import EvaluationInputs, compute_metrics

CLASSES = ["GALAXY", "QSO", "STAR"]
Y_TRUE = np.array(["GALAXY", "GALAXY", "GALAXY", "QSO", "QSO", "STAR", "STAR", "STAR", "STAR", "GALAXY"])
PROBA = np.array(
    [
        [0.80, 0.10, 0.10],
        [0.60, 0.30, 0.10],
        [0.30, 0.20, 0.50],
        [0.20, 0.70, 0.10],
        [0.50, 0.40, 0.10],
        [0.10, 0.10, 0.80],
        [0.05, 0.05, 0.90],
        [0.20, 0.20, 0.60],
        [0.40, 0.10, 0.50],
        [0.90, 0.05, 0.05],
    ]
)
PREDICTED = np.array(CLASSES)[PROBA.argmax(axis=1)]


def small_inputs(**changes) -> EvaluationInputs:
    arguments = {
        "task": "classification",
        "target": "class",
        "y_true": Y_TRUE,
        "classes": CLASSES,
        "predictions": {"net": PREDICTED, "floor": np.full(10, "GALAXY")},
        "probabilities": {"net": PROBA},
        "network_name": "net",
    }
    return EvaluationInputs(**{**arguments, **changes})


@pytest.fixture(scope="module")
def small():
    return compute_metrics(small_inputs(), n_bootstrap=0)


def test_scalar_metrics_equal_scikit_learn(small):
    scalars = small["results"]["net"]["scalars"]
    assert scalars["accuracy"] == pytest.approx(accuracy_score(Y_TRUE, PREDICTED)) == pytest.approx(0.8)
    assert scalars["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(Y_TRUE, PREDICTED))
    assert scalars["macro_f1"] == pytest.approx(f1_score(Y_TRUE, PREDICTED, average="macro"))
    assert scalars["log_loss"] == pytest.approx(log_loss(Y_TRUE, PROBA, labels=CLASSES))
    assert scalars["roc_auc_ovr"] == pytest.approx(
        roc_auc_score(Y_TRUE, PROBA, multi_class="ovr", labels=CLASSES)
    )
    one_hot = (Y_TRUE[:, None] == np.array(CLASSES)).astype(float)
    assert scalars["brier"] == pytest.approx(np.mean(np.sum((PROBA - one_hot) ** 2, axis=1)))
    assert scalars["brier"] == pytest.approx(brier_score_loss(Y_TRUE, PROBA, labels=CLASSES))


def test_per_class_completeness_purity_and_confusion_by_hand(small):
    result = small["results"]["net"]
    # predicted: G G S Q G S S S S G ; truth: G G G Q Q S S S S G
    assert result["confusion"]["counts"] == [[3, 0, 1], [1, 1, 0], [0, 0, 4]]
    assert all(type(count) is int for row in result["confusion"]["counts"] for count in row)  # JSON shows 3, not 3.0
    np.testing.assert_allclose(result["confusion"]["normalised"], [[0.75, 0, 0.25], [0.5, 0.5, 0], [0, 0, 1]])
    rows = {row["class"]: row for row in result["per_class"]}
    assert (rows["GALAXY"]["completeness"], rows["GALAXY"]["purity"]) == (
        pytest.approx(3 / 4),
        pytest.approx(3 / 4),
    )
    assert (rows["QSO"]["completeness"], rows["QSO"]["purity"]) == (pytest.approx(1 / 2), pytest.approx(1.0))
    assert (rows["STAR"]["completeness"], rows["STAR"]["purity"]) == (
        pytest.approx(1.0),
        pytest.approx(4 / 5),
    )
    assert rows["QSO"]["support"] == 2
    assert rows["QSO"]["roc_auc"] == pytest.approx(roc_auc_score(Y_TRUE == "QSO", PROBA[:, 1]))


def test_expected_calibration_error_by_hand(small):
    # top-label confidences and hits: .8 y, .6 y, .5 n, .7 y, .5 n, .8 y, .9 y, .6 y, .5 y, .9 y
    # 15 bins of width 1/15, right-closed: .5 -> bin 7 (.4667,.5]; .6 -> 8; .7 -> 10; .8 -> 11; .9 -> 13
    gaps = {7: (3, 1 / 3, 0.5), 8: (2, 1.0, 0.6), 10: (1, 1.0, 0.7), 11: (2, 1.0, 0.8), 13: (2, 1.0, 0.9)}
    expected = sum(n / 10 * abs(accuracy - confidence) for n, accuracy, confidence in gaps.values())
    assert small["results"]["net"]["scalars"]["ece"] == pytest.approx(expected)
    calibration = small["results"]["net"]["calibration"]
    assert [calibration["count"][b] for b in gaps] == [3, 2, 1, 2, 2]
    assert calibration["accuracy"][7] == pytest.approx(1 / 3)


def test_a_model_without_probabilities_has_no_probability_metrics(small):
    floor = small["results"]["floor"]["scalars"]
    assert floor["accuracy"] == pytest.approx(0.4)
    assert floor["balanced_accuracy"] == pytest.approx(1 / 3)
    assert floor["log_loss"] is None and floor["roc_auc_ovr"] is None and floor["ece"] is None
    assert "calibration" not in small["results"]["floor"]
    assert small["best"]["accuracy"] == "net" and small["best"]["log_loss"] == "net"


def test_binary_auc_and_a_class_absent_from_the_test_rows():
    binary = compute_metrics(
        EvaluationInputs(
            "classification",
            "is_pulsar",
            np.array(["no", "yes", "no", "yes"]),
            {"net": np.array(["no", "yes", "yes", "yes"])},
            "net",
            ["no", "yes"],
            {"net": np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])},
        ),
        n_bootstrap=0,
    )
    assert binary["results"]["net"]["scalars"]["roc_auc_ovr"] == pytest.approx(
        roc_auc_score([0, 1, 0, 1], [0.1, 0.8, 0.6, 0.3])
    )
    absent = compute_metrics(small_inputs(classes=[*CLASSES, "UNSEEN"], probabilities={}), n_bootstrap=0)
    rows = {row["class"]: row for row in absent["results"]["net"]["per_class"]}
    assert rows["UNSEEN"]["support"] == 0 and rows["UNSEEN"]["completeness"] is None
    assert rows["UNSEEN"]["purity"] is None


def test_accuracy_and_completeness_in_magnitude_bins_by_hand():
    magnitude = np.array([15.0, 15.5, 16.0, 16.5, 17.0, 17.5, 18.0, 18.5, 19.0, 19.5])
    metrics = compute_metrics(small_inputs(magnitude=magnitude, magnitude_name="r"), n_bootstrap=0, n_bins=2)
    table = metrics["results"]["net"]["bins"][0]
    assert table["by"] == "r"
    assert [row["count"] for row in table["rows"]] == [5, 5]
    # first five rows: G G S Q G vs G G G Q Q -> 3 of 5; last five: S S S S G vs S S S S G -> 5 of 5
    assert [row["values"]["accuracy"] for row in table["rows"]] == [pytest.approx(0.6), pytest.approx(1.0)]
    assert table["rows"][0]["values"]["completeness:QSO"] == pytest.approx(0.5)
    assert table["rows"][1]["values"]["completeness:QSO"] is None  # no QSO among the faint five


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"task": "ranking"}, "task 'ranking' is not one of"),
        ({"network_name": "mlp"}, "network_name 'mlp' is not a key of predictions"),
        ({"classes": ["GALAXY", "STAR"]}, r"y_true has labels \['QSO'\] that are not in classes"),
        ({"probabilities": {"net": PROBA[:, :2]}}, r"probabilities\['net'\] has shape \(10, 2\)"),
        ({"probabilities": {"net": PROBA * 2}}, r"probabilities\['net'\] rows are not probabilities"),
        ({"predictions": {"net": PREDICTED[:9]}}, r"predictions 'net' has 9 rows but y_true has 10"),
        ({"magnitude": np.ones(3)}, r"inputs 'magnitude' has 3 rows"),
        ({"y_true": Y_TRUE[:0], "predictions": {"net": PREDICTED[:0]}}, "y_true is empty"),
    ],
)
def test_inconsistent_inputs_raise_one_line_errors(changes, message):
    with pytest.raises(AstromlpError, match=message):
        small_inputs(**changes)


@pytest.mark.parametrize("seed", range(6))
def test_label_metrics_from_one_confusion_matrix_equal_scikit_learn(seed):
    """Random labels over 4 classes, one of them at times absent from the truth or never predicted."""
    rng = np.random.default_rng(seed)
    classes = ["a", "b", "c", "d"]
    truth = np.array(classes)[rng.choice(4, 40, p=[0.5, 0.3, 0.2, 0.0] if seed % 2 else [0.4, 0.3, 0.2, 0.1])]
    predicted = np.array(classes)[rng.choice(3 if seed % 3 == 0 else 4, 40)]
    inputs = EvaluationInputs(task="classification", target="t", y_true=truth, classes=classes,
                              predictions={"net": predicted}, probabilities={}, network_name="net")
    result = compute_metrics(inputs, n_bootstrap=0)["results"]["net"]
    scalars = result["scalars"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # sklearn warns when a predicted class is not in the truth
        balanced = balanced_accuracy_score(truth, predicted)
    assert scalars["balanced_accuracy"] == pytest.approx(balanced, abs=1e-15)
    assert scalars["accuracy"] == pytest.approx(accuracy_score(truth, predicted), abs=1e-15)
    assert scalars["macro_f1"] == pytest.approx(
        f1_score(truth, predicted, labels=classes, average="macro", zero_division=0), abs=1e-15
    )
    purity, completeness, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=classes, zero_division=np.nan
    )
    rows = result["per_class"]
    np.testing.assert_array_equal([row["support"] for row in rows], support)
    for column, expected in (("purity", purity), ("completeness", completeness), ("f1", f1)):
        got = np.array([np.nan if row[column] is None else row[column] for row in rows], dtype=float)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15, equal_nan=True)
    assert result["confusion"]["counts"] == confusion_matrix(truth, predicted, labels=classes).tolist()
    np.testing.assert_allclose(
        result["confusion"]["normalised"], confusion_matrix(truth, predicted, labels=classes, normalize="true")
    )
