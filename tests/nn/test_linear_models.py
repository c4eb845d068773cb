"""Linear and logistic regression as the network with no hidden layer: the closed form against the normal
equations, gradient descent against the closed form and scikit-learn, coefs_/intercepts_, and L1's exact zeros."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier, MLPRegressor
from astromlp.nn.linear import ridge_alpha


@pytest.fixture(scope="module")
def line():
    """y = 2 x0 - x1 + 0.5 + noise, with x2 .. x4 pure noise (no information about y)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(600, 5))
    y = 2.0 * X[:, 0] - X[:, 1] + 0.5 + 0.1 * rng.normal(size=600)
    return X, y


def _normal_equations(X, y, lam):
    """argmin sum (y - X b - c)^2 + lam |b|^2 by hand: centre, then (Xc'Xc + lam I) b = Xc'yc."""
    xm, ym = X.mean(axis=0), y.mean()
    Xc, yc = X - xm, y - ym
    b = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ yc)
    return b, ym - xm @ b


@pytest.mark.parametrize("l2", [0.0, 0.05])
def test_closed_form_is_the_normal_equations(line, l2):
    X, y = line
    est = MLPRegressor(kind="linear", solver="closed_form", l2=l2, random_state=0).fit(X, y)  # no rows held out
    b, c = _normal_equations(X, y, ridge_alpha(l2, len(y), 1))
    np.testing.assert_allclose(est.coefs_[0][:, 0], b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.intercepts_[0], [c], rtol=1e-10)
    np.testing.assert_allclose(est.predict(X), X @ b + c, rtol=1e-10, atol=1e-12)
    assert est.starts_[0]["stop_reason"] == "closed_form"
    assert len(est.coefs_) == 1 and est.networks_[0].layout.n_outputs == 1  # no hidden layer


def test_gradient_descent_reaches_the_closed_form(line):
    X, y = line
    exact = MLPRegressor(kind="linear", solver="closed_form", l2=0.01, random_state=0).fit(X, y)  # every row
    # full-batch gradient descent on a quadratic whose Hessian is about 2 I: each step contracts the error ~0.6x
    gd = MLPRegressor(kind="linear", l2=0.01, optimizer="sgd", learning_rate=0.2, max_epochs=300, tol=0.0,
                      early_stopping=False, schedule="constant", batch_size=600, random_state=0).fit(X, y)
    np.testing.assert_allclose(gd.coefs_[0], exact.coefs_[0], atol=1e-8)
    np.testing.assert_allclose(gd.intercepts_[0], exact.intercepts_[0], atol=1e-8)


def test_l1_switches_uninformative_inputs_off_exactly(line):
    """Lasso by proximal gradient descent: the noise inputs' weights end exactly 0.0, not merely small."""
    X, y = line
    est = MLPRegressor(kind="linear", l1=0.05, l2=0.0, learning_rate=0.01, max_epochs=200, early_stopping=False,
                       random_state=0).fit(X, y)
    w = est.coefs_[0][:, 0]
    assert np.all(w[2:] == 0.0)
    assert abs(w[0]) > 1.5 and abs(w[1]) > 0.5


def test_l1_zeroes_the_noise_inputs_of_an_mlp_first_layer(line):
    X, y = line
    est = MLPRegressor(hidden_layer_sizes=(8,), l1=0.02, l2=0.0, learning_rate=0.01, max_epochs=150,
                       early_stopping=False, random_state=0).fit(X, y)
    first = est.coefs_[0]
    assert np.all(first[2:] == 0.0)  # every weight leaving the three noise inputs
    assert np.count_nonzero(first[:2]) > 0
    assert est.score(X, y) > 0.95


def test_logistic_regression_matches_scikit_learn():
    """Binary logistic regression by gradient descent against LogisticRegression on the same objective:
    mean log-loss + l2/2 |w|^2 is scikit-learn's C = 1 / (n l2)."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 3))
    labels = (X @ [1.5, -2.0, 0.5] + 0.3 + rng.logistic(size=500) > 0).astype(int)
    l2 = 0.01
    ours = MLPClassifier(kind="logistic", l2=l2, learning_rate=0.05, max_epochs=400, batch_size=500,
                         schedule="constant", early_stopping=False, random_state=0).fit(X, labels)
    ref = LogisticRegression(C=1 / (len(X) * l2), tol=1e-10, max_iter=10_000).fit(X, labels)
    np.testing.assert_allclose(ours.coefs_[0][:, 0], ref.coef_[0], atol=5e-3)
    np.testing.assert_allclose(ours.intercepts_[0], ref.intercept_, atol=5e-3)


def test_softmax_regression_has_one_output_per_class():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    labels = np.argmax(X @ [[2.0, 0.0, -2.0], [0.0, 2.0, 0.0]], axis=1)
    clf = MLPClassifier(kind="logistic", max_epochs=100, random_state=0).fit(X, labels)
    assert [c.shape for c in clf.coefs_] == [(2, 3)] and clf.intercepts_[0].shape == (3,)
    assert clf.score(X, labels) > 0.9


def test_coefs_and_intercepts_reproduce_the_forward_pass():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(200, 3)), rng.normal(size=200)
    est = MLPRegressor(hidden_layer_sizes=(4,), activation="tanh", max_epochs=5, random_state=0).fit(X, y)
    (w1, w2), (b1, b2) = est.coefs_, est.intercepts_
    np.testing.assert_allclose(est.predict(X), (np.tanh(X @ w1 + b1) @ w2 + b2)[:, 0], rtol=1e-12, atol=1e-12)
    est.coefs_[0][:] = 0  # copies: the model is untouched
    np.testing.assert_allclose(est.coefs_[0], w1)


@pytest.mark.parametrize("params,words", [
    ({"kind": "logistic"}, "kinds"),
    ({"kind": "linear", "solver": "closed_form", "l1": 0.1}, "lasso"),
    ({"kind": "linear", "solver": "closed_form", "loss": "mae"}, "squared error"),
    ({"solver": "closed_form"}, "kind='linear' only"),
])
def test_refusals_are_one_line(line, params, words):
    X, y = line
    with pytest.raises(AstromlpError, match=words):
        MLPRegressor(**params).fit(X, y)
