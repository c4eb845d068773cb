"""Every metric scored on many resamples at once equals scikit-learn / numpy on each expanded resample."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, roc_auc_score

from astromlp.reports import classification, photoz, regression
from astromlp.reports.bootstrap import resample_scores
from astromlp.reports.classification import LabelledCase
from astromlp.reports.regression import ValuedCase
from astromlp.reports.weighted import as_weights


def multiplicities(n_rows: int, n_resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return as_weights([np.bincount(rng.integers(0, n_rows, n_rows), minlength=n_rows) for _ in range(n_resamples)])


def one_by_one(metric, case, weights: np.ndarray, reference=None) -> np.ndarray:
    """The reference (default: the metric's own compute()) on each resample's rows, as drawn."""
    rows = np.arange(weights.shape[1])
    return np.array([(reference or metric.compute)(case.take(np.repeat(rows, w.astype(int)))) for w in weights])


def _sklearn_roc_auc_ovr(case: LabelledCase) -> float:
    if len(np.unique(case.y)) < case.n_classes:
        return np.nan
    if case.n_classes == 2:
        return roc_auc_score(case.y, case.proba[:, 1])
    return roc_auc_score(case.y, case.proba, multi_class="ovr", labels=case.labels)


SKLEARN = {  # label and ranking metrics, which astromlp computes itself from confusion matrices and sorted scores
    "accuracy": lambda c: accuracy_score(c.y, c.predicted),
    "balanced_accuracy": lambda c: balanced_accuracy_score(c.y, c.predicted),
    "macro_f1": lambda c: f1_score(c.y, c.predicted, labels=c.labels, average="macro", zero_division=0),
    "roc_auc_ovr": _sklearn_roc_auc_ovr,
}


def labelled_case(n: int, n_classes: int, seed: int) -> LabelledCase:
    rng = np.random.default_rng(seed)
    y = rng.choice(n_classes, n, p=np.r_[0.7, np.full(n_classes - 1, 0.3 / (n_classes - 1))])
    proba = rng.dirichlet(np.ones(n_classes), n)
    proba[np.arange(n), y] += rng.uniform(0, 1.5, n)
    proba = np.round(proba / proba.sum(axis=1, keepdims=True), 2)  # rounding makes tied scores
    proba /= proba.sum(axis=1, keepdims=True)
    return LabelledCase(y, proba.argmax(axis=1), proba, n_classes)


@pytest.mark.parametrize(("n", "n_classes"), [(60, 3), (9, 3), (40, 2), (12, 4)])
@pytest.mark.parametrize("key", sorted(k for k, m in classification.METRICS.items() if m.resampler))
def test_classification_metrics_on_resamples_equal_sklearn_row_by_row(key, n, n_classes):
    metric = classification.METRICS[key]
    case = labelled_case(n, n_classes, seed=n)
    weights = multiplicities(n, 40, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = one_by_one(metric, case, weights, SKLEARN.get(key))
    np.testing.assert_allclose(metric.scorer(case)(weights), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(metric.compute(case), one_by_one(metric, case, as_weights([np.ones(n)]))[0])
    if key == "roc_auc_ovr" and n == 9:
        assert np.isnan(expected).any() and np.isfinite(expected).any()  # some resamples miss a class


def test_log_loss_equals_sklearn():
    from sklearn.metrics import log_loss

    case = labelled_case(50, 3, seed=2)
    proba = case.proba.copy()
    proba[0] = [1.0, 0.0, 0.0] if case.y[0] else [0.0, 1.0, 0.0]  # a confident miss: clipped, finite
    case = LabelledCase(case.y, case.predicted, proba, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        expected = log_loss(case.y, case.proba, labels=case.labels)
    assert classification.METRICS["log_loss"].compute(case) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n", [7, 8, 101])
@pytest.mark.parametrize("key", sorted(k for k, m in photoz.METRICS.items() if m.resampler))
def test_regression_and_photoz_metrics_on_resamples_equal_numpy_row_by_row(key, n):
    rng = np.random.default_rng(n)
    y = np.round(rng.uniform(0.0, 0.6, n), 2)
    case = ValuedCase(y, y + np.round(rng.standard_t(2, n) * 0.03, 3))
    metric = photoz.METRICS[key]
    weights = multiplicities(n, 40, seed=3)
    np.testing.assert_allclose(metric.scorer(case)(weights), one_by_one(metric, case, weights),
                               rtol=1e-10, atol=1e-12)


def test_r2_is_undefined_on_a_resample_of_one_repeated_true_value():
    case = ValuedCase(np.array([1.0, 2.0, 3.0]), np.array([1.1, 2.2, 2.9]))
    weights = as_weights([[3, 0, 0], [1, 1, 1]])
    result = regression.METRICS["r2"].scorer(case)(weights)
    assert np.isnan(result[0]) and result[1] == pytest.approx(regression.r2(case))


def test_resample_scores_do_not_depend_on_the_block_size(monkeypatch):
    from astromlp.reports import bootstrap

    case = labelled_case(50, 3, seed=5)
    metrics = {key: classification.METRICS[key] for key in classification.HEADLINE}
    whole = resample_scores({"net": case}, metrics, 30, random_state=4)
    monkeypatch.setattr(bootstrap, "BLOCK_CELLS", 120)  # two resamples per block
    blocked = resample_scores({"net": case}, metrics, 30, random_state=4)
    for key in metrics:
        np.testing.assert_array_equal(whole["net"][key], blocked["net"][key])


def test_r2_keeps_its_precision_on_a_resample_far_from_the_full_mean():
    from sklearn.metrics import r2_score

    y = np.array([0.0, 1e8, 1e8 + 1])
    case = ValuedCase(y, y + np.array([0.1, 0.25, -0.25]))
    weights = as_weights([[0, 1, 2], [0, 2, 1]])
    expected = [r2_score(np.repeat(y, w), np.repeat(case.predicted, w)) for w in ([0, 1, 2], [0, 2, 1])]
    np.testing.assert_allclose(regression.METRICS["r2"].scorer(case)(weights), expected, rtol=1e-9)


def test_no_resamples_give_empty_samples():
    case = labelled_case(20, 3, seed=1)
    scores = resample_scores({"net": case}, {"accuracy": classification.METRICS["accuracy"]}, 0, random_state=0)
    assert scores["net"]["accuracy"].shape == (0,)


def test_multiplicities_beyond_a_byte_keep_their_value():
    counts = [[300, 0, 1], [0, 3, 0]]
    assert as_weights(counts).dtype == np.int32 and as_weights([[255, 0, 1]]).dtype == np.uint8
    np.testing.assert_array_equal(as_weights(counts), counts)
    case = LabelledCase(np.array([0, 1, 1]), np.array([0, 1, 0]), np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), 2)
    accuracy = classification.METRICS["accuracy"].scorer(case)(as_weights(counts))
    np.testing.assert_allclose(accuracy, [300 / 301, 3 / 3])  # row 2 (missed) drawn once
