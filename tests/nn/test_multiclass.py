"""scikit-learn's one-vs-rest and one-vs-one meta-estimators around astromlp's binary network: training, their
model files (no pickle, validated on load), OvO's scores and per-row weights routed to every member."""

import json
import zipfile

import numpy as np
import pytest
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.utils.validation import check_is_fitted

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier, load, save
from astromlp.nn.multiclass import class_scores, fit_multiclass


def _blobs(n=450):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, n)
    return np.eye(3)[y] * 3.0 + rng.normal(size=(n, 3)), np.array(["GALAXY", "QSO", "STAR"])[y]


def test_one_vs_rest_trains_one_sigmoid_network_per_class():
    X, y = _blobs()
    model = OneVsRestClassifier(MLPClassifier((8,), max_epochs=30, random_state=0)).fit(X, y)
    assert [e.networks_[0].layout.n_outputs for e in model.estimators_] == [1, 1, 1]
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert (model.predict(X) == y).mean() > 0.9


def test_one_vs_one_trains_a_network_per_pair_and_votes():
    X, y = _blobs()
    model = OneVsOneClassifier(MLPClassifier((8,), max_epochs=30, random_state=0)).fit(X, y)
    assert len(model.estimators_) == 3  # pairs of three classes
    assert model.decision_function(X).shape == (len(X), 3)
    assert (model.predict(X) == y).mean() > 0.9


# ----- the model file, scores and weights of the meta-estimators ------------------------------------------------
SMALL = dict(hidden_layer_sizes=(6,), max_epochs=10, random_state=0)


@pytest.mark.parametrize("meta", [OneVsRestClassifier, OneVsOneClassifier])
def test_round_trip_through_the_model_file_gives_the_same_scores_bit_for_bit(meta, tmp_path):
    X, y = _blobs(240)
    model = meta(MLPClassifier(**SMALL, n_starts=2, start_selection="ensemble")).fit(X, y)
    save(model, tmp_path / "m.zip", metadata={"note": "kept"})
    loaded = load(tmp_path / "m.zip")
    assert type(loaded) is meta and loaded.metadata_ == {"note": "kept"}
    check_is_fitted(loaded)
    assert loaded.classes_.tolist() == ["GALAXY", "QSO", "STAR"]
    np.testing.assert_array_equal(class_scores(loaded, X), class_scores(model, X))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    with zipfile.ZipFile(tmp_path / "m.zip") as zf:
        assert not any(name.endswith((".pkl", ".pickle")) for name in zf.namelist())
        assert len([n for n in zf.namelist() if n.startswith("theta_")]) == 3 * 2  # 3 members x 2 starts


def test_ovo_scores_follow_the_decision_function_convention():
    """(votes + confidences in ±1/3) + 1/3, normalised: positive, sum to one, same argmax as predict."""
    X, y = _blobs(240)
    model = OneVsOneClassifier(MLPClassifier(**SMALL)).fit(X, y)
    decision = model.decision_function(X)
    scores = class_scores(model, X)
    np.testing.assert_allclose(scores, (decision + 1 / 3) / (decision + 1 / 3).sum(axis=1, keepdims=True))
    assert (scores > 0).all()
    np.testing.assert_allclose(scores.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.classes_[scores.argmax(axis=1)], model.predict(X))
    # three classes: the votes sum to 3 and each confidence term lies in (-1/3, 1/3)
    np.testing.assert_allclose(np.round(decision).sum(axis=1), 3.0)


def test_two_class_ovo_scores_are_its_one_networks_probabilities():
    X, y = _blobs(240)
    keep = y != "STAR"
    model = OneVsOneClassifier(MLPClassifier(**SMALL)).fit(X[keep], y[keep])
    np.testing.assert_array_equal(class_scores(model, X), model.estimators_[0].predict_proba(X))


def test_integer_weights_equal_repeated_rows_in_full_batch_for_every_member():
    """Weights reach each member through scikit-learn's metadata routing: weight 2 trains as the row twice."""
    X, y = _blobs(90)
    weights = np.where(y == "QSO", 2.0, 1.0)
    twice = np.concatenate([np.arange(90), np.flatnonzero(y == "QSO")])
    kwargs = dict(hidden_layer_sizes=(6,), optimizer="sgd", learning_rate=0.1, batch_size=1000, max_epochs=5,
                  early_stopping=False, l2=0.0, random_state=0, chunk_size=1000)
    for meta in (OneVsRestClassifier, OneVsOneClassifier):
        weighted = fit_multiclass(meta(MLPClassifier(**kwargs)), X, y, weights)
        repeated = meta(MLPClassifier(**kwargs)).fit(X[twice], y[twice])
        for a, b in zip(weighted.estimators_, repeated.estimators_, strict=True):
            np.testing.assert_allclose(a.networks_[0].theta, b.networks_[0].theta, rtol=1e-10, atol=1e-12)


def _edited(path, out, edit):
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    doc = json.loads(members["model.json"])
    edit(doc)
    members["model.json"] = json.dumps(doc).encode()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


@pytest.mark.parametrize("edit, expected", [
    (lambda d: d["multiclass"]["members"].pop(), r"multiclass.members must be 1 to 1024 members, one per pair"),
    (lambda d: d["multiclass"].update(strategy="ova"), r"multiclass.strategy must be one of \['ovo', 'ovr'\]"),
    (lambda d: d["multiclass"]["members"][0].update(classes=[0, 2]), r"members\[0\].classes must be \[0, 1\]"),
    (lambda d: d["multiclass"]["members"][0].update(networks=2), r"networks adding up to 3"),
    (lambda d: d["multiclass"].update(pairs=[[0, 1], [0, 2], [2, 1]]), r"declares 3 members with pairs"),
    (lambda d: d["multiclass"]["members"].append({}), r"one per pair"),
    (lambda d: d.update(classes=["A", "B", "C", "D"]), r"declares 3 members .* where ovo of 4 classes has 6"),
])
def test_an_edited_multiclass_file_is_one_line(tmp_path, edit, expected):
    X, y = _blobs(120)
    save(OneVsOneClassifier(MLPClassifier(**SMALL)).fit(X, y), tmp_path / "m.zip")
    with pytest.raises(AstromlpError, match=expected) as info:
        load(_edited(tmp_path / "m.zip", tmp_path / "bad.zip", edit))
    assert "\n" not in str(info.value) and "bad.zip" in str(info.value)
