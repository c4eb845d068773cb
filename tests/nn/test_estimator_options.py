"""Estimator options the course names: RMSProp's own rho through the estimator, and dtype given as numpy writes it."""

import numpy as np
import pytest

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier, MLPRegressor, load, start_seeds


def _data():
    rng = np.random.default_rng(11)
    X = rng.normal(size=(64, 3))
    return X, X @ [1.0, -2.0, 0.5] + 1.0


def _rmsprop_by_hand(est, X, y, steps, rho=0.9, lr=0.01, eps=1e-8):
    """Full-batch RMSProp from the estimator's own initial network: s = rho s + (1 - rho) g^2,
    theta -= lr g / (sqrt(s) + eps)."""
    net = est._new_network(X.shape[1], 1, start_seeds(0, 1)[0])
    s = np.zeros_like(net.theta)
    thetas = [net.theta.copy()]
    for _ in range(steps):
        g = net.loss_and_gradient(X, y)[1]
        s = rho * s + (1 - rho) * g * g
        net.theta -= lr * g / (np.sqrt(s) + eps)
        thetas.append(net.theta.copy())
    return thetas


@pytest.mark.parametrize("epochs", [1, 2])
def test_rmsprop_first_two_steps_through_the_estimator(epochs):
    X, y = _data()
    params = {"kind": "linear", "optimizer": "rmsprop", "learning_rate": 0.01, "l2": 0.0, "batch_size": 64,
              "schedule": "constant", "early_stopping": False, "random_state": 0}
    est = MLPRegressor(**params, max_epochs=epochs).fit(X, y)
    thetas = _rmsprop_by_hand(MLPRegressor(**params), X, y, epochs)
    np.testing.assert_allclose(est.networks_[0].theta, thetas[-1], rtol=1e-12, atol=1e-14)
    # the first step is lr / sqrt(1 - rho) = 0.0316 per parameter with rho = 0.9 (beta2 = 0.999 would give 0.316)
    np.testing.assert_allclose(np.abs(thetas[1] - thetas[0]), 0.01 / np.sqrt(0.1), rtol=1e-6)


def test_rho_is_its_own_parameter_and_beta2_does_not_touch_rmsprop():
    X, y = _data()
    params = {"kind": "linear", "optimizer": "rmsprop", "learning_rate": 0.01, "batch_size": 64, "max_epochs": 1,
              "early_stopping": False, "random_state": 0}
    a = MLPRegressor(**params).fit(X, y).networks_[0].theta
    b = MLPRegressor(**params, beta2=0.5).fit(X, y).networks_[0].theta
    c = MLPRegressor(**params, rho=0.99).fit(X, y).networks_[0].theta
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()


@pytest.mark.parametrize("dtype", [np.float32, np.dtype("float32"), "float32"])
def test_dtype_as_numpy_writes_it(dtype, tmp_path):
    X, y = _data()
    est = MLPRegressor(hidden_layer_sizes=(4,), max_epochs=3, dtype=dtype, random_state=0).fit(X, y)
    assert est.networks_[0].dtype == np.float32 and est.predict(X).dtype == np.float32
    again = load(est.save(tmp_path / "m.zip"))
    assert again.get_params()["dtype"] == "float32"
    np.testing.assert_array_equal(again.predict(X), est.predict(X))


@pytest.mark.parametrize("dtype", [np.int32, np.float16, "int8"])
def test_other_dtypes_are_refused_in_one_line(dtype):
    X, y = _data()
    with pytest.raises((AstromlpError, ValueError), match="float32 or float64|dtype"):
        MLPClassifier(dtype=dtype).fit(X, y > 0)


def test_normal_init_has_the_given_sigma():
    from astromlp.nn.layers import LayerSpec
    from astromlp.nn.network import Network

    net = Network.create(400, [LayerSpec(500, "relu")], 1, "squared_error", rng=np.random.default_rng(0),
                         init="normal", init_sigma=0.5)
    w = net.layout.weights(net.theta, 0)
    assert w.std() == pytest.approx(0.5, rel=0.01) and abs(w.mean()) < 0.005


@pytest.mark.parametrize("momentum", [1.0, 0.25])
def test_batch_norm_momentum_weights_the_first_batch(momentum):
    """One full-batch step from zero running means: running = momentum * the batch mean of X W0."""
    X, y = _data()
    params = {"hidden_layer_sizes": (3,), "batch_norm": True, "bn_eps": 1e-3, "batch_size": 64, "max_epochs": 1,
              "early_stopping": False, "random_state": 0}
    est = MLPRegressor(**params, bn_momentum=momentum).fit(X, y)
    first = MLPRegressor(**params)._new_network(3, 1, start_seeds(0, 1)[0])
    batch_mean = (X @ first.layout.weights(first.theta, 0)).mean(axis=0)
    np.testing.assert_allclose(est.networks_[0].running_mean, momentum * batch_mean, rtol=1e-10, atol=1e-14)
    assert est.networks_[0].layout.layers[0].bn_eps == 1e-3
