"""Training converges to known answers, stops for the stated reasons, and is reproducible."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from astromlp.nn.optimizers import SGD, Adam
from astromlp.nn.training import TrainConfig, evaluate_loss, train
from tests.nn.conftest import LayerSpec, make_net


def _config(opt, **kw):
    base = {"batch_size": 10_000, "max_epochs": 2000, "tol": 0.0, "patience": 10**6}
    base.update(kw)
    return TrainConfig(opt, **base)


def test_xor_is_learned():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    net = make_net([LayerSpec(8, "tanh")], n_in=2, n_out=2, seed=3, chunk=128)
    train(net, X, np.eye(2)[y], np.ones(4), _config(Adam(0.05), max_epochs=1500), seed=0)
    assert np.array_equal(net.forward(X).argmax(axis=1), y)


def test_linear_network_reaches_least_squares(rng):
    X = rng.normal(size=(200, 4))
    y = X @ np.array([1.5, -2.0, 0.5, 3.0]) + 0.7 + rng.normal(0, 0.3, 200)
    net = make_net([], n_in=4, n_out=1, loss="squared_error", chunk=128)
    train(net, X, y, np.ones(200), _config(SGD(0.1), max_epochs=3000), seed=0)
    A = np.c_[X, np.ones(200)]
    exact = np.linalg.solve(A.T @ A, A.T @ y)  # (X^T X)^-1 X^T y with an intercept column
    np.testing.assert_allclose(net.theta, exact, atol=1e-8)


def test_softmax_without_hidden_layers_matches_unpenalised_logistic_regression(rng):
    centres = np.array([[0, 0], [1.5, 0.5], [0.5, 1.5]])
    y = rng.integers(0, 3, 600)
    X = centres[y] + rng.normal(0, 0.9, (600, 2))
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(X, y)
    net = make_net([], n_in=2, n_out=3, chunk=600)
    train(net, X, np.eye(3)[y], np.ones(600), _config(SGD(1.0), max_epochs=2000), seed=0)  # full-batch GD
    W, b = net.layout.weights(net.theta, 0), net.theta[6:9]
    # softmax is unchanged by adding one vector to every class: compare the class-centred parameters
    np.testing.assert_allclose(W - W.mean(axis=1, keepdims=True),
                               (ref.coef_ - ref.coef_.mean(axis=0)).T, atol=1e-4)
    np.testing.assert_allclose(b - b.mean(), ref.intercept_ - ref.intercept_.mean(), atol=1e-4)


def test_dropout_keeps_the_expected_activation(rng):
    net = make_net([LayerSpec(50, "sigmoid", dropout=0.3)], n_in=3, n_out=1, loss="squared_error")
    X = np.repeat(rng.normal(size=(1, 3)), 20_000, axis=0)
    train_out = net.forward(X, training=True, seed=5)
    eval_out = net.forward(X[:1])
    dropped = net.forward(X[:2], training=True, seed=5)
    assert dropped[0, 0] != dropped[1, 0]  # rows draw their own masks
    assert abs(train_out.mean() - eval_out[0, 0]) < 4 * train_out.std() / np.sqrt(len(X))


def test_batch_norm_running_statistics_equal_numpy(rng):
    net = make_net([LayerSpec(4, "relu", batch_norm=True, bn_momentum=0.1)], n_in=3, n_out=2,
                   loss="squared_error")
    W = net.layout.weights(net.theta, 0).copy()
    X1, X2 = rng.normal(size=(32, 3)), rng.normal(2, 3, size=(20, 3))
    for X in (X1, X2):
        net.loss_and_gradient(X, np.zeros((len(X), 2)), update_running=True)
    mean, var = np.zeros(4), np.ones(4)
    for X in (X1, X2):
        z = X @ W
        mean = 0.9 * mean + 0.1 * z.mean(axis=0)
        var = 0.9 * var + 0.1 * z.var(axis=0, ddof=1)
    np.testing.assert_allclose(net.running_mean, mean, rtol=1e-12)
    np.testing.assert_allclose(net.running_var, var, rtol=1e-12)


def _small_problem(rng, n=600):
    X = rng.normal(size=(n, 6))
    y = (X[:, 0] * X[:, 1] + np.sin(X[:, 2]) > 0).astype(int) + (X[:, 3] > 1)
    return X, np.eye(3)[y]


def test_float32_and_float64_agree_to_float32_precision(rng):
    X, Y = _small_problem(rng)
    nets = {}
    for dtype in (np.float32, np.float64):
        net = make_net([LayerSpec(16, "relu"), LayerSpec(8, "relu")], n_in=6, seed=4, dtype=dtype, chunk=64)
        assert net.theta.dtype == dtype
        train(net, X, Y, np.ones(len(X)), _config(Adam(1e-3), batch_size=64, max_epochs=3), seed=1)
        assert net.theta.dtype == dtype and net.forward(X).dtype == dtype
        nets[dtype] = net
    np.testing.assert_allclose(nets[np.float32].theta, nets[np.float64].theta, rtol=0, atol=2e-4)
    np.testing.assert_allclose(nets[np.float32].forward(X), nets[np.float64].forward(X), atol=2e-4)


@pytest.mark.parametrize("hidden", [[LayerSpec(32, "relu"), LayerSpec(16, "tanh", dropout=0.2)],
                                    [LayerSpec(16, "elu", 1.0, batch_norm=True), LayerSpec(8, pieces=2)]])
def test_bit_identical_weights_with_one_and_two_threads(rng, hidden):
    X, Y = _small_problem(rng, 1000)
    results = []
    for threads in (1, 2):
        net = make_net(hidden, n_in=6, seed=2, chunk=32)
        train(net, X, Y, np.ones(len(X)), _config(Adam(1e-3), batch_size=128, max_epochs=2, n_threads=threads),
              seed=3)
        results.append(net.theta.copy())
    assert np.array_equal(results[0], results[1])


def test_same_seed_same_weights_different_seed_different(rng):
    X, Y = _small_problem(rng)
    runs = []
    for seed in (1, 1, 2):
        net = make_net([LayerSpec(8, "relu", dropout=0.1)], n_in=6, seed=0, chunk=16)
        train(net, X, Y, np.ones(len(X)), _config(Adam(1e-3), batch_size=50, max_epochs=2), seed=seed)
        runs.append(net.theta.copy())
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_divergence_stops_cleanly_with_finite_weights(rng):
    X = rng.normal(size=(100, 3)) * 1e3
    y = X @ np.array([1.0, 2.0, 3.0]) * 1e3
    net = make_net([LayerSpec(8, "relu")], n_out=1, loss="squared_error")
    start = net.theta.copy()
    result = train(net, X, y, np.ones(100), _config(SGD(10.0), batch_size=10, max_epochs=50), seed=0)
    assert result.diverged and result.stop_reason == "diverged" and result.diverged_epoch is not None
    assert np.isfinite(net.theta).all()
    assert np.array_equal(net.theta, start) or result.best_epoch < result.diverged_epoch


def test_early_stopping_restores_the_best_weights(rng):
    X, Y = _small_problem(rng, 300)
    Xv, Yv = _small_problem(rng, 200)
    net = make_net([LayerSpec(64, "relu"), LayerSpec(64, "relu")], n_in=6)
    result = train(net, X, Y, np.ones(len(X)), _config(Adam(1e-2), batch_size=32, max_epochs=300, patience=5),
                   seed=0, validation=(Xv, Yv, np.ones(len(Xv))))
    assert result.stop_reason == "early_stopping"
    assert result.epochs < 300 and result.best_epoch == int(np.argmin(result.validation_loss_curve))
    assert evaluate_loss(net, Xv, Yv, np.ones(len(Xv))) == pytest.approx(min(result.validation_loss_curve), rel=1e-12)


def test_gradient_norm_and_step_criteria_stop_training(rng):
    X = rng.normal(size=(100, 2))
    y = X @ np.array([1.0, -1.0])
    net = make_net([], n_in=2, n_out=1, loss="squared_error")
    by_grad = train(net, X, y, np.ones(100), _config(SGD(0.1), grad_tol=1e-6), seed=0)
    assert by_grad.stop_reason == "gradient_norm" and by_grad.epochs < 2000
    net = make_net([], n_in=2, n_out=1, loss="squared_error")
    by_step = train(net, X, y, np.ones(100), _config(SGD(0.1), step_tol=1e-7), seed=0)
    assert by_step.stop_reason == "parameter_step" and by_step.epochs < 2000


def test_sample_weights_equal_repeated_rows_in_full_batch(rng):
    X = rng.normal(size=(30, 3))
    Y = np.eye(3)[rng.integers(0, 3, 30)]
    w = rng.integers(1, 4, 30).astype(float)
    net = make_net([LayerSpec(5, "tanh")])
    l_w, g_w = net.loss_and_gradient(X, Y, w)
    l_r, g_r = net.loss_and_gradient(np.repeat(X, w.astype(int), axis=0), np.repeat(Y, w.astype(int), axis=0))
    assert l_w == pytest.approx(l_r, rel=1e-12)
    np.testing.assert_allclose(g_w, g_r, rtol=1e-10, atol=1e-14)


def test_side_by_side_starts_equal_separate_trainings(rng):
    from astromlp.nn.training import train_many

    X, Y = _small_problem(rng, 700)
    Xv, Yv = _small_problem(rng, 100)
    hidden = [LayerSpec(16, "relu", batch_norm=True), LayerSpec(8, "relu", dropout=0.2)]
    config = _config(Adam(1e-3), batch_size=100, max_epochs=4, patience=2)
    val = (Xv, Yv, np.ones(len(Xv)))
    together = [make_net(hidden, n_in=6, seed=s, chunk=32) for s in (5, 6, 7)]
    results = train_many(together, X, Y, np.ones(len(X)), config, [11, 12, 13], val)
    for k, seed in enumerate((11, 12, 13)):
        alone = make_net(hidden, n_in=6, seed=5 + k, chunk=32)
        result = train(alone, X, Y, np.ones(len(X)), _config(Adam(1e-3), batch_size=100, max_epochs=4, patience=2),
                       seed, val)
        assert np.array_equal(alone.theta, together[k].theta)
        assert np.array_equal(alone.running_var, together[k].running_var)
        assert result.validation_loss_curve == results[k].validation_loss_curve


class _OneHugeRate:
    """Adam's usual rate but for one epoch whose rate is 300 times larger: a genuine loss spike."""

    def __init__(self, spike_epoch: int):
        self.spike_epoch = spike_epoch

    def rate(self, epoch: int, loss: float) -> float:
        return 3.0 if epoch == self.spike_epoch else 1e-2


def _spiking_fit(rng, monkeypatch, epochs: int):
    """Train through a spike at epoch 5 with no validation part; the weights after every epoch and the
    learning rate and Adam step count each epoch's kernel was given."""
    import astromlp.nn.training as training

    given = []

    def spy(layout, epoch, update, hyper, state, ws, scratch):
        given.append((state.lr, state.t0))
        return training_run_epoch(layout, epoch, update, hyper, state, ws, scratch)

    training_run_epoch = training.run_epoch
    monkeypatch.setattr(training, "run_epoch", spy)
    X, Y = _small_problem(rng, 600)
    net = make_net([LayerSpec(16, "relu")], n_in=6, seed=1, chunk=32)
    weights = []
    result = train(net, X, Y, np.ones(len(X)), _config(Adam(1e-2), batch_size=50, max_epochs=epochs,
                                                       schedule=_OneHugeRate(5)),
                   seed=0, on_epoch=lambda k, epoch, loss, monitored: weights.append(net.theta.copy()))
    return result, net, weights, given


def test_a_loss_spike_goes_back_to_the_best_weights_with_half_the_rate(rng, monkeypatch):
    result, net, weights, given = _spiking_fit(rng, monkeypatch, epochs=9)
    best = int(np.argmin(result.loss_curve[:5]))
    assert result.loss_curve[5] > 10 * result.loss_curve[best]
    assert result.rollbacks == [5] and result.epochs == 9 and not result.diverged
    assert [lr for lr, _ in given] == [1e-2] * 5 + [3.0] + [0.5e-2] * 3
    assert given[6][1] == 0  # Adam's moments start again
    assert max(result.loss_curve[6:]) < 2 * result.loss_curve[best]
    # the last epoch, spiking, is rolled back too: the fit ends on the best epoch's weights
    result, net, weights, _ = _spiking_fit(np.random.default_rng(0), monkeypatch, epochs=6)
    assert result.rollbacks == [5]
    assert np.array_equal(net.theta, weights[int(np.argmin(result.loss_curve[:5]))])


def test_without_the_spike_guard_the_spike_stays(rng, monkeypatch):
    import astromlp.nn.training as training

    monkeypatch.setattr(training, "SPIKE_FACTOR", np.inf)
    result, net, weights, given = _spiking_fit(np.random.default_rng(0), monkeypatch, epochs=6)
    assert result.rollbacks == [] and np.array_equal(net.theta, weights[5])
    assert not np.array_equal(net.theta, weights[int(np.argmin(result.loss_curve[:5]))])


def test_side_by_side_starts_roll_back_as_separate_trainings(rng):
    from astromlp.nn.training import train_many

    X, Y = _small_problem(rng, 600)
    def config():
        return _config(Adam(1e-2), batch_size=50, max_epochs=8, schedule=_OneHugeRate(5))

    together = [make_net([LayerSpec(16, "relu")], n_in=6, seed=s, chunk=32) for s in (1, 2)]
    results = train_many(together, X, Y, np.ones(len(X)), config(), [21, 22])
    for k, seed in enumerate((21, 22)):
        alone = make_net([LayerSpec(16, "relu")], n_in=6, seed=1 + k, chunk=32)
        result = train(alone, X, Y, np.ones(len(X)), config(), seed)
        assert result.rollbacks == results[k].rollbacks == [5]
        assert np.array_equal(alone.theta, together[k].theta)
