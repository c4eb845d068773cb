"""Temperature scaling and class weights of MLPClassifier: hand-computed temperatures, scikit-learn's
conventions, and the model file."""

import json
import zipfile

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.calibration import CalibratedClassifierCV
from sklearn.metrics import log_loss
from sklearn.utils.class_weight import compute_sample_weight

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier, load
from astromlp.nn.calibration import fit_temperature, scaled_log_loss


def _blobs(rng, n=600, noise=1.6):
    y = rng.integers(0, 3, n)
    X = np.eye(3)[y] * 2.0 + rng.normal(scale=noise, size=(n, 3))
    return X, np.array(["GALAXY", "QSO", "STAR"])[y]


def test_temperature_recovers_the_one_that_generated_the_labels():
    """Labels drawn from softmax(z / 2.5): the fitted temperature is 2.5 within sampling noise."""
    rng = np.random.default_rng(1)
    z = rng.normal(scale=4.0, size=(40_000, 3))
    y = np.array([rng.choice(3, p=p) for p in softmax(z / 2.5, axis=1)])
    t = fit_temperature([z], np.eye(3)[y], np.ones(len(y)), lambda v: softmax(v, axis=1))
    assert t == pytest.approx(2.5, rel=0.03)
    nll = scaled_log_loss(t, [z], np.eye(3)[y], np.ones(len(y)), lambda v: softmax(v, axis=1))
    assert nll == pytest.approx(log_loss(y, softmax(z / t, axis=1)), rel=1e-9)
    assert nll <= scaled_log_loss(1.0, [z], np.eye(3)[y], np.ones(len(y)), lambda v: softmax(v, axis=1))


def test_temperature_scaling_keeps_labels_lowers_validation_loss_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    X, y = _blobs(rng)
    Xv, yv = _blobs(rng, 400)
    kwargs = dict(hidden_layer_sizes=(32,), max_epochs=60, early_stopping=False, l2=0.0, random_state=0)
    plain = MLPClassifier(**kwargs).fit(X, y, X_val=Xv, y_val=yv)
    scaled = MLPClassifier(**kwargs, calibrate="temperature").fit(X, y, X_val=Xv, y_val=yv)
    assert plain.temperature_ == 1.0 and scaled.temperature_ != 1.0
    np.testing.assert_array_equal(plain.predict(Xv), scaled.predict(Xv))
    assert log_loss(yv, scaled.predict_proba(Xv)) < log_loss(yv, plain.predict_proba(Xv))
    logits = plain._raw_outputs(Xv)[0]
    np.testing.assert_allclose(scaled.predict_proba(Xv), softmax(logits / scaled.temperature_, axis=1), rtol=1e-12)
    scaled.save(tmp_path / "m.zip")
    again = load(tmp_path / "m.zip")
    assert again.temperature_ == scaled.temperature_
    np.testing.assert_array_equal(again.predict_proba(Xv), scaled.predict_proba(Xv))


def test_calibration_without_validation_rows_is_one_line():
    rng = np.random.default_rng(0)
    X, y = _blobs(rng, 200)
    with pytest.raises(AstromlpError, match="needs validation rows"):
        MLPClassifier(max_epochs=2, early_stopping=False, calibrate="temperature").fit(X, y)


@pytest.mark.parametrize("bad", [0.0, -1.0, 1e9, "2"])
def test_a_damaged_temperature_in_the_model_file_is_refused(tmp_path, bad):
    rng = np.random.default_rng(0)
    X, y = _blobs(rng, 300)
    MLPClassifier(max_epochs=3, calibrate="temperature", random_state=0).fit(X, y).save(tmp_path / "m.zip")
    with zipfile.ZipFile(tmp_path / "m.zip") as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    doc = json.loads(members["model.json"])
    doc["calibration"]["temperature"] = bad
    members["model.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(AstromlpError, match="calibration.temperature"):
        load(tmp_path / "bad.zip")


def test_calibrated_classifier_cv_wraps_the_estimator():
    rng = np.random.default_rng(0)
    X, y = _blobs(rng, 600)
    model = CalibratedClassifierCV(MLPClassifier(hidden_layer_sizes=(8,), max_epochs=20, random_state=0),
                                   method="sigmoid", cv=3).fit(X, y)
    proba = model.predict_proba(X)
    assert proba.shape == (600, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(X) == y).mean() > 0.6


def test_class_weights_equal_repeated_rows_in_full_batch():
    """{QSO: 2} trains exactly as the QSO rows given twice, with one full-batch step per epoch."""
    rng = np.random.default_rng(3)
    X, y = _blobs(rng, 90)
    twice = np.concatenate([np.arange(90), np.flatnonzero(y == "QSO")])
    kwargs = dict(hidden_layer_sizes=(6,), optimizer="sgd", learning_rate=0.1, batch_size=1000, max_epochs=5,
                  early_stopping=False, l2=0.0, random_state=0, chunk_size=1000)
    weighted = MLPClassifier(**kwargs, class_weight={"QSO": 2.0}).fit(X, y)
    repeated = MLPClassifier(**kwargs).fit(X[twice], y[twice])
    np.testing.assert_allclose(weighted.networks_[0].theta, repeated.networks_[0].theta, rtol=1e-10, atol=1e-12)


def test_balanced_class_weight_follows_scikit_learn():
    """"balanced" trains exactly as scikit-learn's balanced sample weights given explicitly."""
    rng = np.random.default_rng(0)
    X, y = _blobs(rng, 300)
    y[:200] = "GALAXY"
    kwargs = dict(hidden_layer_sizes=(6,), max_epochs=3, random_state=0)
    balanced = MLPClassifier(**kwargs, class_weight="balanced").fit(X, y)
    explicit = MLPClassifier(**kwargs).fit(X, y, sample_weight=compute_sample_weight("balanced", y))
    np.testing.assert_array_equal(balanced.networks_[0].theta, explicit.networks_[0].theta)


def test_a_class_weight_for_an_unknown_class_is_one_line():
    rng = np.random.default_rng(0)
    X, y = _blobs(rng, 100)
    with pytest.raises(AstromlpError, match="class_weight .*name only classes of the target"):
        MLPClassifier(max_epochs=2, class_weight={"QSSO": 3.0}).fit(X, y)


def test_merged_starts_calibrated_again_equal_one_multi_start_fit():
    """Starts fitted apart (a cluster) and merged, then calibrated on the validation rows, have the temperature
    of the equivalent two-start fit."""
    from astromlp.nn import merge_starts, start_seeds

    rng = np.random.default_rng(0)
    X, y = _blobs(rng, 300)
    Xv, yv = _blobs(rng, 200)
    kwargs = dict(hidden_layer_sizes=(8,), max_epochs=10, calibrate="temperature")
    together = MLPClassifier(**kwargs, n_starts=2, random_state=5).fit(X, y, X_val=Xv, y_val=yv)
    apart = [MLPClassifier(**kwargs, random_state=s).fit(X, y, X_val=Xv, y_val=yv) for s in start_seeds(5, 2)]
    merged = merge_starts(apart)
    assert merged.calibrate_temperature(Xv, yv) == pytest.approx(together.temperature_, rel=1e-9)
