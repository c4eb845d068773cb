"""Small helpers for the nn tests: finite differences and random networks."""

import numpy as np
import pytest

from astromlp.nn.layers import LayerSpec
from astromlp.nn.network import Network


def finite_difference(f, theta: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f() with respect to every entry of theta (modified in place)."""
    fd = np.empty_like(theta)
    for i in range(theta.size):
        old = theta[i]
        theta[i] = old + eps
        up = f()
        theta[i] = old - eps
        down = f()
        theta[i] = old
        fd[i] = (up - down) / (2 * eps)
    return fd


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-12))


def make_net(hidden, n_in=3, n_out=3, loss="softmax_cross_entropy", seed=0, dtype=np.float64, chunk=4):
    return Network.create(n_in, hidden, n_out, loss, rng=np.random.default_rng(seed), dtype=dtype, chunk=chunk)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


__all__ = ["LayerSpec", "finite_difference", "make_net", "relative_error"]
