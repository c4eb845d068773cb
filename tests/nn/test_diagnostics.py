"""Training diagnostics: dead ReLU units and saturated tanh outputs counted on networks built to have them, the
per-layer gradient norms against the gradient's own slices, and their per-epoch record in a fit."""

import numpy as np
import pytest

from astromlp.nn import MLPRegressor
from astromlp.nn.diagnostics import GRADIENT_ROWS, UnitCounter, epoch_diagnostics, layer_gradient_norms
from astromlp.nn.layers import B_OFF
from tests.nn.conftest import LayerSpec, make_net


def _counted(net, X):
    counter = UnitCounter(net.layout)
    net.forward(X, block=7, on_block=counter)  # several blocks: the counts accumulate across them
    return counter.fractions()


def test_relu_units_with_very_negative_biases_are_dead(rng):
    net = make_net([LayerSpec(4, "relu"), LayerSpec(6, "tanh")])
    net.layout.segment(net.theta, 0, B_OFF)[:] = [-100.0, 100.0, -100.0, -100.0]
    net.layout.weights(net.theta, 1)[:] = 0.0
    net.layout.segment(net.theta, 1, B_OFF)[:] = [10.0, -10.0, 0.0, 0.1, 2.0, -2.0]
    fractions = _counted(net, rng.normal(size=(30, 3)))
    assert fractions[0] == {"dead_fraction": 0.75}
    assert fractions[1] == {"saturated_fraction": pytest.approx(2 / 6)}  # |10| > 2.647; |2| is not


def test_bipolar_relu_units_die_on_their_own_side(rng):
    """Even units live above zero, odd ones below (they output -relu(-x)): a large positive bias kills an odd unit."""
    net = make_net([LayerSpec(4, "bipolar_relu")])
    net.layout.segment(net.theta, 0, B_OFF)[:] = [100.0, 100.0, -100.0, -100.0]  # live, dead, dead, live
    assert _counted(net, rng.normal(size=(30, 3)))[0] == {"dead_fraction": 0.5}


def test_layer_gradient_norms_are_the_gradients_slices(rng):
    net = make_net([LayerSpec(5, "tanh", batch_norm=True), LayerSpec(4, "relu")], n_out=2, loss="squared_error")
    X, Y, w = rng.normal(size=(400, 3)), rng.normal(size=(400, 2)), np.ones(400)
    _, grad = net.loss_and_gradient(X[:GRADIENT_ROWS], Y[:GRADIENT_ROWS], w[:GRADIENT_ROWS])
    sizes = [3 * 5 + 2 * 5, 5 * 4 + 4, 4 * 2 + 2]  # W and gamma, beta; W and b; W and b
    bounds = np.cumsum([0, *sizes])
    expected = [np.linalg.norm(grad[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    np.testing.assert_allclose(layer_gradient_norms(net, X, Y, w), expected, rtol=1e-12)
    layers = epoch_diagnostics(net, UnitCounter(net.layout), (X, Y, w))
    assert [d["layer"] for d in layers] == [1, 2, 3] and layers[1]["dead_fraction"] == 1.0  # no rows counted


def test_a_fit_records_diagnostics_every_epoch():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 3))
    y = np.sin(X[:, 0]) + X[:, 1]
    est = MLPRegressor(hidden_layer_sizes=(8, 6), activation="relu", max_epochs=4, random_state=0).fit(X, y)
    record = est.starts_[0]["diagnostics"]
    assert len(record) == est.n_iter_ == 4
    assert [d["layer"] for d in record[-1]] == [1, 2, 3]
    assert all(0 <= d["dead_fraction"] <= 1 for d in record[-1][:2]) and record[-1][2]["gradient_norm"] > 0
