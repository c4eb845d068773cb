"""Closed-form linear regression, written into a network with no hidden layer so that it saves, loads and
predicts exactly like a trained one: ordinary least squares (scikit-learn's ``LinearRegression``, i.e. LAPACK's
lstsq) without L2, ``Ridge`` with it, each on the objective that gradient descent minimises."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LinearRegression, Ridge

from astromlp.errors import AstromlpError
from astromlp.nn.layers import B_OFF
from astromlp.nn.network import Network


def ridge_alpha(l2: float, total_weight: float, n_outputs: int) -> float:
    """scikit-learn's ``alpha`` for our objective: the weighted mean over rows and outputs of (z - y)^2 plus
    l2/2 |W|^2 is, times total_weight * n_outputs, Ridge's sum of squares plus alpha |W|^2."""
    return 0.5 * l2 * total_weight * n_outputs


def check_closed_form(loss: str, l1: float) -> None:
    """The closed form solves squared error with an L2 penalty only; anything else needs gradient descent."""
    if loss != "squared_error":
        raise AstromlpError(f"solver='closed_form' solves the squared error only, not loss {loss!r}; "
                            "use solver='gd'")
    if l1 > 0:
        raise AstromlpError("solver='closed_form' has no L1 (the lasso has no closed form); use solver='gd' "
                            "for lasso and elastic net")


def fit_closed_form(net: Network, X: np.ndarray, Y: np.ndarray, w: np.ndarray, l2: float) -> Network:
    """Set ``net`` (no hidden layer) to the exact minimiser of the weighted squared error plus l2/2 |W|^2."""
    solver = Ridge(alpha=ridge_alpha(l2, float(w.sum()), Y.shape[1]), solver="auto") if l2 > 0 else LinearRegression()
    solver.fit(X, Y, sample_weight=w)
    net.layout.weights(net.theta, 0)[:] = np.asarray(solver.coef_).reshape(Y.shape[1], X.shape[1]).T
    net.layout.segment(net.theta, 0, B_OFF)[:] = np.asarray(solver.intercept_).reshape(-1)
    return net
