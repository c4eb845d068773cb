"""Backpropagation against central finite differences, float64, relative error < 1e-6."""

import numpy as np
import pytest

from astromlp.nn.activations import ACTIVATIONS
from astromlp.nn.kernels.training import add_penalty
from astromlp.nn.losses import LOSSES
from tests.nn.conftest import LayerSpec, finite_difference, make_net, relative_error


def _targets(loss, rng, n, k):
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, (n, 1)).astype(float)
    if LOSSES[loss].task == "classification":
        return np.eye(k)[rng.integers(0, k, n)]
    if loss == "absolute_percentage_error":
        return rng.uniform(0.5, 2.0, (n, k)) * rng.choice([-1, 1], (n, k))
    return rng.normal(size=(n, k))


def _check(net, X, Y, w=None, seed=0):
    # random biases too: zero biases behind dead ReLUs tie the hinge losses' competing classes (a kink)
    net.theta += np.random.default_rng(99).normal(0, 0.3, net.theta.size)
    loss, grad = net.loss_and_gradient(X, Y, w, seed=seed)
    fd = finite_difference(lambda: net.loss_and_gradient(X, Y, w, seed=seed)[0], net.theta)
    assert np.isfinite(loss)
    assert relative_error(grad, fd) < 1e-6


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation_with_every_loss(activation, loss, rng):
    n_out = 1 if loss == "binary_cross_entropy" else 3
    net = make_net([LayerSpec(4, activation, ACTIVATIONS[activation].default_alpha or 0.1)],
                   n_out=n_out, loss=loss, seed=1)
    X = rng.normal(size=(10, 3))
    w = rng.uniform(0.5, 2.0, 10)  # per-sample weights take part in every check
    _check(net, X, _targets(loss, rng, 10, n_out), w)


def test_deep_dense_network_across_chunks(rng):
    net = make_net([LayerSpec(6, "tanh"), LayerSpec(5, "elu", 1.0), LayerSpec(4, "softplus")], chunk=3)
    X = rng.normal(size=(11, 3))
    _check(net, X, np.eye(3)[rng.integers(0, 3, 11)])


def test_batch_norm_in_training_mode(rng):
    net = make_net([LayerSpec(5, "tanh", batch_norm=True), LayerSpec(4, "relu", batch_norm=True)], chunk=4)
    X = rng.normal(size=(13, 3))
    _check(net, X, rng.normal(size=(13, 3)) @ np.eye(3), None)


def test_batch_norm_regression_loss(rng):
    net = make_net([LayerSpec(5, "sigmoid", batch_norm=True)], n_out=2, loss="squared_error", chunk=5)
    _check(net, rng.normal(size=(12, 3)), rng.normal(size=(12, 2)))


def test_dropout_with_a_fixed_mask(rng):
    net = make_net([LayerSpec(8, "tanh", dropout=0.4), LayerSpec(6, "sigmoid", dropout=0.25)])
    X = rng.normal(size=(9, 3))
    _check(net, X, np.eye(3)[rng.integers(0, 3, 9)], seed=7)
    # the mask really drops units: a different seed gives a different loss
    assert net.loss_and_gradient(X, np.eye(3)[[0] * 9], seed=1)[0] != net.loss_and_gradient(
        X, np.eye(3)[[0] * 9], seed=2)[0]


def test_maxout_layers(rng):
    net = make_net([LayerSpec(4, pieces=3), LayerSpec(3, pieces=2, dropout=0.2)])
    _check(net, rng.normal(size=(10, 3)), np.eye(3)[rng.integers(0, 3, 10)], seed=3)


def test_maxout_with_batch_norm(rng):
    net = make_net([LayerSpec(4, pieces=2, batch_norm=True)], chunk=3)
    _check(net, rng.normal(size=(10, 3)), np.eye(3)[rng.integers(0, 3, 10)])


@pytest.mark.parametrize("l1,l2", [(0.0, 0.7), (0.2, 0.5)])
def test_penalties_touch_weights_only(l1, l2, rng):
    """The gradient carries the L2 part (L1 is the update rule's proximal step); the value carries both."""
    net = make_net([LayerSpec(4, "tanh", batch_norm=True), LayerSpec(3, "relu")])
    mask = net.layout.weight_mask
    net.theta[:] = rng.uniform(0.1, 1.0, net.theta.size) * rng.choice([-1, 1], net.theta.size)

    def l2_penalty():
        return add_penalty(net.theta, np.zeros_like(net.theta), mask, 0.0, l2, 0, net.theta.size)

    grad = np.zeros_like(net.theta)
    value = add_penalty(net.theta, grad, mask, l1, l2, 0, net.theta.size)
    assert relative_error(grad, finite_difference(l2_penalty, net.theta)) < 1e-6
    assert np.all(grad[~mask] == 0)  # biases, gamma and beta are never penalised
    assert np.all(grad[mask] != 0)
    w = net.theta[mask]
    assert value == pytest.approx(l1 * np.abs(w).sum() + 0.5 * l2 * (w ** 2).sum(), rel=1e-12)


def test_gradient_does_not_depend_on_chunking_beyond_rounding(rng):
    X = rng.normal(size=(50, 3))
    Y = np.eye(3)[rng.integers(0, 3, 50)]
    grads = [make_net([LayerSpec(7, "relu", batch_norm=True)], chunk=c).loss_and_gradient(X, Y)[1]
             for c in (1, 7, 64)]
    assert relative_error(grads[0], grads[1]) < 1e-12
    assert relative_error(grads[0], grads[2]) < 1e-12
