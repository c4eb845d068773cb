"""scikit-learn's one-vs-rest and one-vs-one meta-estimators around astromlp's binary network (the Python API;
the pipeline's [model] multi_class and their model files are not built yet)."""

import numpy as np
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier

from astromlp.nn import MLPClassifier


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
