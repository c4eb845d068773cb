"""Loss values against numpy and scipy references (the gradient checks only compare a loss with itself)."""

import numba
import numpy as np
import pytest
from scipy.special import log_softmax, softmax

from astromlp.nn.kernels.vexp import exp_nonpositive
from astromlp.nn.losses import softmax_cross_entropy


@numba.njit
def _exp_all(x, out):
    for i in range(x.size):
        out[i] = exp_nonpositive(x[i])


def test_vectorisable_exp_is_within_one_ulp_of_numpy():
    x = np.concatenate([-np.random.default_rng(0).exponential(20.0, 200_000), np.linspace(-708.0, 0.0, 10_001),
                        [-0.0, -5e-324, -1e-300]])
    out = np.empty_like(x)
    _exp_all(x, out)
    expected = np.exp(x)
    inside = x >= -708.0
    assert np.all(np.abs(out[inside] - expected[inside]) <= np.spacing(expected[inside]))
    assert out[x == 0].tolist() == [1.0, 1.0]


def test_vectorisable_exp_clamps_below_the_normal_range():
    x = np.array([-708.0, -708.5, -745.2, -1e6, -np.inf])
    out = np.empty_like(x)
    _exp_all(x, out)
    assert np.all(out == out[0])
    assert out[0] == pytest.approx(np.exp(-708.0), rel=3e-16)


@pytest.mark.parametrize("n_classes", [4, 203])  # a few classes; a photo-z grid, its rows' lanes not full
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 1e-5)])
def test_softmax_cross_entropy_matches_scipy(dtype, tol, n_classes):
    rng = np.random.default_rng(1)
    z = rng.normal(scale=4.0, size=(300, n_classes))
    z[0, :4] = [0.0, -800.0, 1000.0, 3.0]  # a spread no naive exp could hold
    z[2, -1] = 40.0  # the maximum in the last column, outside the rows' four-lane loops
    z = z.astype(dtype)
    labels = rng.integers(0, n_classes, 300)
    y = np.eye(n_classes, dtype=dtype)[labels]
    y[1] = 0.0
    y[1, :3] = [0.25, 0.25, 0.5]  # a soft label
    y[3] = rng.dirichlet(np.ones(n_classes))  # soft labels on every class
    w = rng.uniform(0.5, 2.0, 300).astype(dtype)
    dz = np.empty_like(z)
    scale = 1.0 / w.sum()
    total = softmax_cross_entropy(z, y, w, scale, dz)
    z64, y64, w64 = z.astype(np.float64), y.astype(np.float64), w.astype(np.float64)
    per_row = -(y64 * log_softmax(z64, axis=1)).sum(axis=1)
    assert total == pytest.approx((w64 * per_row).sum(), rel=tol)
    expected = scale * w64[:, None] * (y64.sum(axis=1, keepdims=True) * softmax(z64, axis=1) - y64)
    np.testing.assert_allclose(dz, expected, rtol=tol, atol=tol * np.abs(expected).max())


def test_softmax_cross_entropy_of_a_nan_logit_is_nan():
    """Training stops on a non-finite loss (divergence); a NaN logit anywhere in a row must reach it."""
    z = np.zeros((2, 9))
    z[1, 6] = np.nan
    y = np.eye(9)[[0, 2]]
    assert np.isnan(softmax_cross_entropy(z, y, np.ones(2), 0.5, np.empty_like(z)))
