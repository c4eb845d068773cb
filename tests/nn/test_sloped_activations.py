"""PReLU, RReLU and bipolar ReLU (the activations whose parameter varies per unit or per element) and input
dropout, against numpy by hand; their gradients also go through every loss in test_gradients.py."""

import numpy as np
import pytest

from astromlp.errors import AstromlpError
from astromlp.nn import MLPDensity, MLPRegressor, load
from astromlp.nn.activations import ACTIVATIONS, RRELU_RANGE
from astromlp.nn.kernels.training import add_penalty
from astromlp.nn.layers import B_OFF, P_OFF
from astromlp.nn.network import Network
from tests.nn.conftest import LayerSpec, finite_difference, make_net, relative_error


def _leaky(h, slope):
    return np.where(h > 0, h, slope * h)


def _hidden(net, X):
    """Pre-activations of the first layer, by numpy."""
    return X @ net.layout.weights(net.theta, 0) + net.layout.segment(net.theta, 0, B_OFF)


def _out(net, a):
    """The linear output layer applied by numpy to the first hidden layer's outputs."""
    return a @ net.layout.weights(net.theta, 1) + net.layout.segment(net.theta, 1, B_OFF)


def _slopes_seen(net, X, **forward):
    """The per-element slopes the kernel used on the first layer (the workspace's ``slope`` buffer)."""
    seen = {}
    units = net.layout.layers[0].units

    def keep(ws, cap, rows):
        seen["s"] = ws.slope[:rows * units].reshape(rows, units).copy()
    net.forward(X, on_block=keep, **forward)
    return seen["s"]


def test_bipolar_relu_is_relu_on_even_units_and_minus_relu_of_minus_x_on_odd(rng):
    f = ACTIVATIONS["bipolar_relu"].value
    assert [f(x, 0) for x in (-2.0, 0.0, 3.0)] == [0.0, 0.0, 3.0]
    assert [f(x, 1) for x in (-2.0, 0.0, 3.0)] == [-2.0, 0.0, 0.0]
    net = make_net([LayerSpec(5, "bipolar_relu")])
    X = rng.normal(size=(9, 3))
    h = _hidden(net, X)
    a = np.where(np.arange(5) % 2 == 0, np.maximum(h, 0), -np.maximum(-h, 0))
    np.testing.assert_allclose(net.forward(X), _out(net, a), rtol=1e-13)


def test_prelu_slopes_are_parameters_initialised_at_a_quarter_and_not_penalised(rng):
    net = make_net([LayerSpec(4, "prelu", 0.25)], n_in=3, n_out=2)
    assert net.theta.size == 3 * 4 + 4 + 4 + 4 * 2 + 2  # W, b, slopes; output W, b
    p = net.layout.ilayout[0, P_OFF]
    assert p == 16 and np.all(net.theta[p:p + 4] == 0.25) and not net.layout.weight_mask[p:p + 4].any()
    grad = np.zeros_like(net.theta)
    add_penalty(net.theta, grad, net.layout.weight_mask, 0.5, 0.5, 0, net.theta.size)
    assert np.all(grad[p:p + 4] == 0) and np.all(grad[:12] != 0)
    net.theta[p:p + 4] = [0.1, -0.3, 0.7, 2.0]  # a learned slope may go anywhere
    X = rng.normal(size=(11, 3))
    expected = _out(net, _leaky(_hidden(net, X), np.array([0.1, -0.3, 0.7, 2.0])))
    np.testing.assert_allclose(net.forward(X), expected, rtol=1e-13)


def test_prelu_slope_gradient_by_finite_differences_with_batch_norm_and_dropout(rng):
    net = make_net([LayerSpec(5, "prelu", 0.25, batch_norm=True, dropout=0.3), LayerSpec(4, "prelu", 0.25)],
                   chunk=3)
    net.theta += np.random.default_rng(5).normal(0, 0.3, net.theta.size)
    X, Y = rng.normal(size=(10, 3)), np.eye(3)[rng.integers(0, 3, 10)]
    _, grad = net.loss_and_gradient(X, Y, seed=4)
    fd = finite_difference(lambda: net.loss_and_gradient(X, Y, seed=4)[0], net.theta)
    assert relative_error(grad, fd) < 1e-6
    p = net.layout.ilayout[1, P_OFF]
    assert np.all(grad[p:p + 4] != 0)  # the slopes really learn


def test_rrelu_predicts_with_the_mean_slope(rng):
    lo, hi = RRELU_RANGE
    net = make_net([LayerSpec(6, "rrelu", lo, alpha_upper=hi)])
    X = rng.normal(size=(20, 3))
    np.testing.assert_allclose(net.forward(X), _out(net, _leaky(_hidden(net, X), (lo + hi) / 2)), rtol=1e-13)
    assert np.all(_slopes_seen(net, X) == (lo + hi) / 2)


def test_rrelu_training_slopes_differ_per_element_are_reproducible_and_thread_independent(rng):
    lo, hi = 0.125, 1 / 3
    net = make_net([LayerSpec(6, "rrelu", lo, alpha_upper=hi)], chunk=8)
    X = rng.normal(size=(40, 3))
    s = _slopes_seen(net, X, training=True, seed=3, n_threads=1)
    assert s.shape == (40, 6) and np.unique(s).size == s.size and lo <= s.min() and s.max() < hi
    assert abs(s.mean() - (lo + hi) / 2) < 0.02  # uniform on [lo, hi): mean 0.229, sd 0.06 / sqrt(240)
    np.testing.assert_array_equal(s, _slopes_seen(net, X, training=True, seed=3, n_threads=2))
    assert not np.array_equal(s, _slopes_seen(net, X, training=True, seed=4))
    expected = _out(net, _leaky(_hidden(net, X), s))
    np.testing.assert_allclose(net.forward(X, training=True, seed=3), expected, rtol=1e-13)


def test_rrelu_gradient_by_finite_differences_at_a_fixed_draw(rng):
    net = make_net([LayerSpec(6, "rrelu", 0.1, alpha_upper=0.5), LayerSpec(4, "rrelu", 0.0, alpha_upper=1.0)],
                   chunk=3)
    net.theta += np.random.default_rng(6).normal(0, 0.3, net.theta.size)
    X, Y = rng.normal(size=(10, 3)), np.eye(3)[rng.integers(0, 3, 10)]
    _, grad = net.loss_and_gradient(X, Y, seed=9, step=2)
    fd = finite_difference(lambda: net.loss_and_gradient(X, Y, seed=9, step=2)[0], net.theta)
    assert relative_error(grad, fd) < 1e-6


def _identity_net(n_in, p):
    """One linear layer with W = I and b = 0: its output is its (dropped-out) input."""
    net = Network.create(n_in, [], n_in, "squared_error", rng=np.random.default_rng(0), chunk=16, input_dropout=p)
    net.theta[:] = 0
    net.layout.weights(net.theta, 0)[:] = np.eye(n_in)
    return net


def test_input_dropout_preserves_the_expected_value_and_is_off_at_prediction():
    p, X = 0.3, np.full((20000, 5), 2.0)
    net = _identity_net(5, p)
    out = net.forward(X, training=True, seed=1)
    assert set(np.unique(out)) == {0.0, 2.0 / (1 - p)}  # inverted dropout: kept inputs scaled by 1/(1-p)
    assert abs((out == 0).mean() - p) < 0.005  # 100,000 draws: sd 0.0014
    assert abs(out.mean() - 2.0) < 0.01  # expected value preserved
    np.testing.assert_array_equal(net.forward(X[:50]), X[:50])  # prediction sees every input, unscaled


def test_input_dropout_masks_are_reproducible_and_bit_identical_across_threads(rng):
    net = Network.create(3, [LayerSpec(7, "tanh")], 3, "softmax_cross_entropy", rng=np.random.default_rng(0),
                           chunk=4, input_dropout=0.4)
    X, Y = rng.normal(size=(37, 3)), np.eye(3)[rng.integers(0, 3, 37)]
    one = net.loss_and_gradient(X, Y, seed=2, n_threads=1)
    two = net.loss_and_gradient(X, Y, seed=2, n_threads=2)
    assert one[0] == two[0] and np.array_equal(one[1], two[1])
    assert net.loss_and_gradient(X, Y, seed=3)[0] != one[0]
    fd = finite_difference(lambda: net.loss_and_gradient(X, Y, seed=2)[0], net.theta)
    assert relative_error(one[1], fd) < 1e-6


def test_estimator_with_the_new_options_round_trips_through_a_model_file(tmp_path, rng):
    X = rng.normal(size=(300, 4))
    y = X[:, 0] - 0.5 * X[:, 1] ** 2
    reg = MLPRegressor((8, 6), activation="prelu", input_dropout=0.1, max_epochs=5, random_state=0).fit(X, y)
    slopes = reg.networks_[0].theta[reg.networks_[0].layout.ilayout[0, P_OFF]:][:8]
    assert not np.all(slopes == 0.25)  # trained
    again = load(reg.save(tmp_path / "m.zip"))
    np.testing.assert_array_equal(again.predict(X), reg.predict(X))
    rr = MLPRegressor((8,), activation="rrelu", activation_alpha=(0.05, 0.2), max_epochs=3, random_state=0).fit(X, y)
    assert rr.networks_[0].layout.layers[0].alpha_upper == 0.2
    np.testing.assert_array_equal(load(rr.save(tmp_path / "r.zip")).predict(X), rr.predict(X))


@pytest.mark.parametrize("params,pattern", [
    ({"activation": "rrelu", "activation_alpha": 0.2}, r"rrelu is its slope range \(lower, upper\)"),
    ({"activation": "rrelu", "activation_alpha": (0.3, 0.1)}, "lower <= upper"),
    ({"activation": "relu", "activation_alpha": (0.1, 0.2)}, "relu is one number"),
])
def test_bad_activation_alpha_is_one_clear_line(params, pattern, rng):
    with pytest.raises(AstromlpError, match=pattern):
        MLPRegressor((4,), max_epochs=1, **params).fit(rng.normal(size=(20, 2)), rng.normal(size=20))


@pytest.mark.parametrize("rate", [-0.1, 1.0])
def test_input_dropout_out_of_range_is_refused(rate, rng):
    with pytest.raises(ValueError, match="input_dropout"):
        MLPRegressor((4,), input_dropout=rate, max_epochs=1).fit(rng.normal(size=(20, 2)), rng.normal(size=20))


def test_density_refuses_the_closed_form_in_its_own_terms(rng):
    with pytest.raises(AstromlpError, match="MLPDensity has no closed-form solver.*solver='gd'"):
        MLPDensity((4,), solver="closed_form", max_epochs=1).fit(rng.normal(size=(30, 2)), rng.uniform(size=30))
