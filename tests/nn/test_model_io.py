"""Model files: bit-identical round trips, and one clear error for every kind of bad file."""

import io
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier, MLPRegressor, load, merge_starts, start_seeds


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(400, 4)), columns=["u_g", "g_r", "r_i", "i_z"])
    y = np.where(X.u_g + X.g_r > 0.5, "QSO", np.where(X.r_i > 0, "STAR", "GALAXY"))
    return X, y


@pytest.fixture(scope="module")
def classifier(data):
    X, y = data
    return MLPClassifier(hidden_layer_sizes=(8, 6), batch_norm=True, dropout=0.1, random_state=0,
                         max_epochs=10).fit(X, y)


def test_classifier_round_trip_is_bit_identical(tmp_path, classifier, data):
    X, _ = data
    path = classifier.save(tmp_path / "model.zip", metadata={"normaliser": {"mean": [1.0, 2.0]}})
    loaded = load(path)
    assert np.array_equal(loaded.predict_proba(X), classifier.predict_proba(X))
    assert list(loaded.classes_) == ["GALAXY", "QSO", "STAR"]
    assert list(loaded.feature_names_in_) == list(X.columns)
    assert loaded.metadata_ == {"normaliser": {"mean": [1.0, 2.0]}}
    assert loaded.get_params() == classifier.get_params()
    assert loaded.starts_[0]["stop_reason"] == classifier.starts_[0]["stop_reason"]
    assert set(loaded.versions_) >= {"astromlp", "numpy", "numba", "python"}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_multi_output_ensemble_regressor_round_trip(tmp_path, dtype):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    Y = np.c_[X.sum(axis=1), X[:, 0] * X[:, 1]]
    reg = MLPRegressor(hidden_layer_sizes=(8,), activation="maxout", maxout_pieces=3, n_starts=3,
                       start_selection="ensemble", dtype=dtype, random_state=2, max_epochs=5).fit(X, Y)
    loaded = load(reg.save(tmp_path / "reg.zip"))
    a, sa = reg.predict(X, return_std=True)
    b, sb = loaded.predict(X, return_std=True)
    assert np.array_equal(a, b) and np.array_equal(sa, sb) and b.dtype == np.dtype(dtype)


def _fitted_attributes(estimator) -> dict:
    """The public fitted attributes (scikit-learn's convention: names ending in an underscore)."""
    return {k: v for k, v in vars(estimator).items() if k.endswith("_") and not k.startswith("_")}


def _comparable(value):
    """A value whose repr is equal for equal fitted state: networks by their layout and bytes, NaN equal NaN."""
    if isinstance(value, list) and value and hasattr(value[0], "layout"):
        return [(n.layout.n_inputs, n.layout.layers, n.loss, n.chunk, n.theta.dtype.str, n.theta.tobytes(),
                 n.running_mean.tobytes(), n.running_var.tobytes()) for n in value]
    if isinstance(value, np.ndarray):
        return value.dtype.kind, value.tolist()
    return value


def _regression_data():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 3))
    return X, X[:, 0] - 2 * X[:, 1] * X[:, 2]


FITS = {
    "fit, one start": lambda X, y, _: MLPClassifier((6,), max_epochs=4, random_state=0).fit(X, y),
    "partial_fit": lambda X, y, _: MLPClassifier((6,), random_state=0).partial_fit(
        X, y, classes=np.unique(y)).partial_fit(X, y),
    "multi-start, best": lambda X, y, _: MLPClassifier((5,), n_starts=3, max_epochs=3, random_state=1).fit(X, y),
    "ensemble regressor": lambda X, y, r: MLPRegressor((5,), n_starts=3, start_selection="ensemble", max_epochs=3,
                                                       random_state=2).fit(*r),
    "partial_fit regressor": lambda X, y, r: MLPRegressor((4,), batch_norm=True, random_state=0).partial_fit(*r),
    "merged starts": lambda X, y, _: merge_starts(
        [MLPClassifier((4,), max_epochs=3, random_state=s).fit(X, y) for s in start_seeds(5, 2)], "ensemble"),
}


@pytest.mark.parametrize("how", list(FITS))
def test_every_public_fitted_attribute_survives_save_and_load(tmp_path, data, how):
    X, y = data
    fitted = FITS[how](X, y, _regression_data())
    loaded = load(fitted.save(tmp_path / "m.zip"))
    before, after = _fitted_attributes(fitted), _fitted_attributes(loaded)
    assert {"loss_", "loss_curve_", "n_iter_", "networks_", "n_features_in_", "starts_", "best_start_"} <= set(before)
    assert set(before) <= set(after), f"lost on save/load: {set(before) - set(after)}"
    for name, value in before.items():
        assert repr(_comparable(after[name])) == repr(_comparable(value)), name
    assert len(loaded.loss_curve_) == loaded.n_iter_ >= 1 and np.isfinite(loaded.loss_)


def test_a_file_without_the_training_curves_takes_them_from_the_chosen_start(tmp_path, classifier):
    """Files written before the estimator's own curves were saved keep loading, with the same curves."""
    path = classifier.save(tmp_path / "model.zip")
    old = _rewrite(path, tmp_path / "old.zip", _json_edit(lambda doc: [doc["training"].pop(key) for key in
                                                                      ("loss", "loss_curve", "validation_loss_curve")]))
    loaded = load(old)
    assert loaded.loss_curve_ == classifier.loss_curve_ and loaded.loss_ == classifier.loss_
    assert loaded.validation_loss_curve_ == classifier.validation_loss_curve_


def test_saving_is_atomic_and_leaves_no_temporary_file(tmp_path, classifier):
    target = tmp_path / "model.zip"
    target.write_bytes(b"previous")
    with pytest.raises(AstromlpError, match="not JSON-serialisable"):
        classifier.save(target, metadata={"bad": object()})
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["model.zip"]


def _rewrite(src, dst, change):
    """Copy the zip at src to dst, letting change(name, bytes) return new bytes or None to drop a member."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = change(item.filename, zin.read(item.filename))
            if data is not None:
                zout.writestr(item.filename, data)
    return dst


def _write(path, data):
    path.write_bytes(data)
    return path


def _npy(array):
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def _json_edit(edit):
    def change(name, data):
        if name != "model.json":
            return data
        doc = json.loads(data)
        edit(doc)
        return json.dumps(doc).encode()
    return change


BAD_FILES = {
    "not a zip": (lambda p, d: _write(d / "m.zip", b"SIMPLE  = T" * 100), "not a readable zip"),
    "truncated": (lambda p, d: _write(d / "m.zip", p.read_bytes()[: p.stat().st_size // 2]),
                  "model.json is damaged|not a readable zip|member .* is damaged"),
    "zip without model.json": (lambda p, d: _rewrite(p, d / "m.zip", lambda n, b: None if n == "model.json" else b),
                               "no model.json"),
    "other format": (lambda p, d: _rewrite(p, d / "m.zip", _json_edit(lambda doc: doc.update(format="keras"))),
                     "no format 'astromlp-model'"),
    "newer version": (lambda p, d: _rewrite(p, d / "m.zip", _json_edit(lambda doc: doc.update(format_version=99))),
                      "version 99, newer .* upgrade astromlp"),
    "missing array": (lambda p, d: _rewrite(p, d / "m.zip", lambda n, b: None if n == "theta_0.npy" else b),
                      "theta_0.npy is missing"),
    "mis-shaped array": (lambda p, d: _rewrite(p, d / "m.zip",
                                               lambda n, b: _npy(np.zeros(3)) if n == "theta_0.npy" else b),
                         r"shape \(3,\).*does not match"),
    "object array": (lambda p, d: _rewrite(p, d / "m.zip",
                                           lambda n, b: _npy(np.array([{"x": 1}], dtype=object))
                                           if n == "theta_0.npy" else b), "object arrays are refused"),
    "directory": (lambda p, d: d, "does not exist"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_model_files_fail_with_one_clear_line(tmp_path, classifier, case):
    good = classifier.save(tmp_path / "good.zip")
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    make, pattern = BAD_FILES[case]
    bad = make(good, bad_dir)
    with pytest.raises(AstromlpError, match=pattern) as info:
        load(bad)
    message = str(info.value)
    assert "\n" not in message and (bad.name in message or str(bad) in message)
