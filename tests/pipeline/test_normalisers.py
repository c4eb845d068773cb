"""Normalisers match their scikit-learn definitions and survive a JSON round trip bit for bit."""

import json

import numpy as np
import pytest

from astromlp.pipeline.normalisers import NORMALISERS, Normaliser


@pytest.fixture
def features():
    rng = np.random.default_rng(0)
    X = rng.normal([20.0, 1.0, 0.3], [2.0, 0.5, 0.1], size=(500, 3))
    X[:, 2] = 4.0  # a constant column must not divide by zero
    return X


def test_standard_gives_zero_mean_unit_variance(features):
    Z = Normaliser.fit("standard", features).transform(features)
    np.testing.assert_allclose(Z[:, :2].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1, atol=1e-12)
    np.testing.assert_array_equal(Z[:, 2], 0)


def test_robust_uses_median_and_iqr(features):
    norm = Normaliser.fit("robust", features)
    q25, q50, q75 = np.percentile(features[:, 0], [25, 50, 75])
    assert norm.center[0] == pytest.approx(q50) and norm.scale[0] == pytest.approx(q75 - q25)


def test_minmax_maps_training_range_to_unit_interval(features):
    Z = Normaliser.fit("minmax", features).transform(features)
    np.testing.assert_allclose(Z[:, :2].min(axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(Z[:, :2].max(axis=0), 1, atol=1e-15)


def test_none_is_identity(features):
    np.testing.assert_array_equal(Normaliser.fit("none", features).transform(features), features)


@pytest.mark.parametrize("method", list(NORMALISERS))
def test_json_round_trip_is_exact(features, method):
    norm = Normaliser.fit(method, features)
    again = Normaliser.from_dict(json.loads(json.dumps(norm.to_dict())))
    np.testing.assert_array_equal(again.transform(features), norm.transform(features))
