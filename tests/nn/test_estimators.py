"""The estimators: scikit-learn's own battery, labels, pandas, multi-output, multi-start and ensembles."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier, MLPRegressor, merge_starts, start_seeds
from astromlp.nn.multistart import best_start

SDSS = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "sdss_dr14_skyserver_10k.csv"

_WEIGHTS_REASON = (
    "minibatch training: a row repeated k times is met in k minibatches (changing the number and order of "
    "updates), so repetition and integer weights give different trajectories. The weighted objective itself "
    "equals repetition: tests/nn/test_training.py::test_sample_weights_equal_repeated_rows_in_full_batch")


def _expected_failures(estimator):
    return {"check_sample_weight_equivalence_on_dense_data": _WEIGHTS_REASON}


@parametrize_with_checks([MLPClassifier(random_state=0, max_epochs=50), MLPRegressor(random_state=0, max_epochs=50)],
                         expected_failed_checks=_expected_failures)
def test_scikit_learn_battery(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def photometry():
    df = pd.read_csv(SDSS).iloc[:3000]
    X = pd.DataFrame({"u_g": df.u - df.g, "g_r": df.g - df.r, "r_i": df.r - df.i, "i_z": df.i - df.z, "r": df.r})
    X = (X - X.mean()) / X.std()
    return X, np.asarray(df["class"], dtype=str), df.redshift.to_numpy()


def test_default_classifier_on_real_photometry_with_string_labels(photometry):
    X, y, _ = photometry
    clf = MLPClassifier(random_state=0).fit(X[:2000], y[:2000])
    assert list(clf.classes_) == ["GALAXY", "QSO", "STAR"]
    assert list(clf.feature_names_in_) == ["u_g", "g_r", "r_i", "i_z", "r"]
    assert clf.score(X[2000:], y[2000:]) > 0.93
    proba = clf.predict_proba(X[2000:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert clf.n_iter_ == len(clf.loss_curve_) >= 1 and len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.starts_[0]["stop_reason"] in {"early_stopping", "max_epochs"}


def test_integer_labels_and_binary_sigmoid_output(photometry):
    X, y, _ = photometry
    labels = (y == "STAR").astype(int) * 7
    clf = MLPClassifier(random_state=1, hidden_layer_sizes=(16,)).fit(X, labels)
    assert list(clf.classes_) == [0, 7]
    assert clf.networks_[0].layout.n_outputs == 1  # two classes: one logit, binary cross-entropy
    assert set(clf.predict(X)) <= {0, 7} and clf.score(X, labels) > 0.9


def test_multi_output_regression(rng):
    X = rng.normal(size=(800, 3))
    Y = np.c_[X[:, 0] - 2 * X[:, 1], np.sin(X[:, 2])]
    reg = MLPRegressor(random_state=0, hidden_layer_sizes=(32,), learning_rate=3e-3).fit(X, Y)
    assert reg.predict(X).shape == (800, 2)
    assert reg.score(X, Y) > 0.9


def test_works_inside_a_pipeline_and_grid_search(photometry):
    X, y, _ = photometry
    search = GridSearchCV(make_pipeline(StandardScaler(), MLPClassifier(random_state=0, learning_rate=1e-2)),
                          {"mlpclassifier__hidden_layer_sizes": [(8,), (16,)]}, cv=2).fit(X[:1000], y[:1000])
    assert search.best_score_ > 0.85


def test_start_k_equals_a_single_start_fit_with_its_seed(photometry):
    X, y, _ = photometry
    kw = {"hidden_layer_sizes": (16,), "max_epochs": 5, "dropout": 0.1}
    val = {"X_val": X[2000:2500], "y_val": y[2000:2500]}
    multi = MLPClassifier(random_state=7, n_starts=3, start_selection="ensemble", **kw).fit(X[:2000], y[:2000], **val)
    seeds = start_seeds(7, 3)
    assert [s["seed"] for s in multi.starts_] == seeds
    singles = [MLPClassifier(random_state=s, n_starts=1, **kw).fit(X[:2000], y[:2000], **val) for s in seeds]
    for net, single in zip(multi.networks_, singles, strict=True):
        assert np.array_equal(net.theta, single.networks_[0].theta)
    merged = merge_starts(singles, "ensemble")
    assert np.array_equal(merged.predict_proba(X[2500:]), multi.predict_proba(X[2500:]))
    assert merged.best_start_ == multi.best_start_


def _wiggly(rng, n):
    x = rng.uniform(-3, 3, (n, 1))
    return x, np.sin(3 * x[:, 0]) + 0.3 * x[:, 0] ** 2


def test_best_of_eight_starts_beats_the_median_start(rng):
    X, y = _wiggly(rng, 400)
    Xv, yv = _wiggly(rng, 200)
    reg = MLPRegressor(hidden_layer_sizes=(3,), random_state=0, n_starts=8, max_epochs=150,
                       learning_rate=1e-2, batch_size=32).fit(X, y, X_val=Xv, y_val=yv)
    losses = np.array([s["final_validation_loss"] for s in reg.starts_])
    assert len(set(np.round(losses, 6))) > 1  # the starts really land in different places
    assert losses[reg.best_start_] == losses.min() < np.median(losses)


def test_on_epoch_reports_every_epoch_of_every_start_with_its_losses(rng):
    X, y = _wiggly(rng, 300)
    Xv, yv = _wiggly(rng, 100)
    seen = []
    reg = MLPRegressor(hidden_layer_sizes=(4,), random_state=1, n_starts=3, max_epochs=200, patience=2,
                       batch_size=32).fit(X, y, X_val=Xv, y_val=yv, on_epoch=lambda *args: seen.append(args))
    for k, record in enumerate(reg.starts_):
        mine = [(epoch, loss, monitored) for start, epoch, loss, monitored in seen if start == k]
        assert [epoch for epoch, _, _ in mine] == list(range(record["epochs"]))
        assert [loss for _, loss, _ in mine] == record["loss_curve"]
        assert [monitored for _, _, monitored in mine] == record["validation_loss_curve"]
    assert any(r["stop_reason"] == "early_stopping" for r in reg.starts_)  # early stops are reported as they happen


def test_a_diverged_start_never_wins():
    finite = {"final_train_loss": 1.0, "final_validation_loss": 0.9, "validation_loss_curve": [0.9],
              "diverged": False}
    diverged = {"final_train_loss": -np.inf, "final_validation_loss": -5.0, "validation_loss_curve": [-5.0],
                "diverged": True}
    assert best_start([diverged, finite, diverged]) == 1
    with pytest.raises(AstromlpError, match="all 2 starts diverged"):
        best_start([diverged, diverged])


def test_huge_learning_rate_diverges_cleanly(rng):
    X = rng.normal(size=(200, 2)) * 100
    y = X.sum(axis=1) * 1e6
    reg = MLPRegressor(optimizer="sgd", learning_rate=50.0, random_state=0, n_starts=2, max_epochs=20)
    with pytest.raises(AstromlpError, match="diverged"):
        reg.fit(X, y)


def test_ensemble_gives_a_spread(rng):
    X, y = _wiggly(rng, 300)
    reg = MLPRegressor(hidden_layer_sizes=(8,), random_state=0, n_starts=4, start_selection="ensemble",
                       max_epochs=30).fit(X, y)
    mean, std = reg.predict(X, return_std=True)
    per_net = np.stack([n.forward(X)[:, 0] for n in reg.networks_])
    np.testing.assert_allclose(mean, per_net.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(std, per_net.std(axis=0), rtol=1e-12)
    assert std.mean() > 0


def test_partial_fit_continues_training(photometry):
    X, y, _ = photometry
    clf = MLPClassifier(random_state=0, hidden_layer_sizes=(16,))
    with pytest.raises(AstromlpError, match="classes"):
        clf.partial_fit(X, y)
    for _ in range(5):
        clf.partial_fit(X, y, classes=np.unique(y))
    assert clf.n_iter_ == 5 and clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_mape_refuses_a_zero_target(rng):
    with pytest.raises(AstromlpError, match="MAPE is undefined"):
        MLPRegressor(loss="mape").fit(rng.normal(size=(20, 2)), np.r_[0.0, np.ones(19)])


def test_mape_refuses_a_zero_target_in_validation_or_zero_weight_rows(rng):
    X, y = rng.normal(size=(20, 2)), np.ones(20)
    with pytest.raises(AstromlpError, match="MAPE is undefined"):
        MLPRegressor(loss="mape").fit(X, y, X_val=X[:5], y_val=np.r_[0.0, np.ones(4)])
    with pytest.raises(AstromlpError, match="MAPE is undefined"):
        MLPRegressor(loss="mape").fit(X, np.r_[0.0, y[1:]], sample_weight=np.r_[0.0, np.ones(19)])


def test_minibatches_of_zero_weight_rows_are_skipped_not_diverged(rng):
    X = rng.normal(size=(800, 2))
    y = X @ np.array([1.0, -2.0])
    w = (rng.uniform(size=800) < 0.05).astype(float)  # most batches of 8 rows carry no weight at all
    reg = MLPRegressor(hidden_layer_sizes=(8,), batch_size=8, max_epochs=30, early_stopping=False,
                       random_state=0, n_starts=2).fit(X, y, sample_weight=w)
    assert not any(start["diverged"] for start in reg.starts_)
    assert np.isfinite(reg.loss_curve_).all() and reg.score(X, y) > 0.9


def test_adamw_decays_by_default_and_is_adam_without_decay(rng):
    X = rng.normal(size=(300, 3))
    y = X @ np.array([1.0, -1.0, 0.5])
    kw = {"hidden_layer_sizes": (8,), "max_epochs": 20, "early_stopping": False, "random_state": 0, "n_starts": 1}
    adam = MLPRegressor(optimizer="adam", **kw).fit(X, y)
    undecayed = MLPRegressor(optimizer="adamw", weight_decay=0.0, **kw).fit(X, y)
    decayed = MLPRegressor(optimizer="adamw", **kw).fit(X, y)
    assert np.array_equal(adam.networks_[0].theta, undecayed.networks_[0].theta)
    weights = adam.networks_[0].layout.weight_mask
    assert np.abs(decayed.networks_[0].theta[weights]).sum() < np.abs(adam.networks_[0].theta[weights]).sum()


def test_float32_parameters_follow_the_request(photometry):
    X, y, _ = photometry
    clf = MLPClassifier(dtype="float32", random_state=0, max_epochs=3).fit(X, y)
    assert clf.networks_[0].theta.dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float32
