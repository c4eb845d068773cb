"""The epoch loop's minibatch gather: the rows of the shuffled order, copied with their prefetch ahead of them."""

import numba
import numpy as np
import pytest
from numba.core.errors import TypingError

from astromlp.nn.kernels.interface import Batch, Epoch
from astromlp.nn.kernels.prefetch import prefetch_row
from astromlp.nn.kernels.training import PREFETCH_ROWS, _gather_batch


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("n_in", "n_targets"), [(1, 1), (5, 3), (10, 200)])
def test_gather_copies_the_rows_of_the_order_and_sums_their_weights(dtype, n_in, n_targets):
    rng = np.random.default_rng(n_in)
    n, batch = 650, 64
    x = rng.normal(size=(n, n_in)).astype(dtype)
    y = rng.normal(size=(n, n_targets)).astype(dtype)
    w = rng.uniform(0.5, 2.0, n).astype(dtype)
    perm = rng.permutation(n).astype(np.int64)
    epoch = Epoch(x, y, w, batch, 32, 0, 0)
    out = Batch(np.zeros(batch * n_in, dtype), np.zeros(batch * n_targets, dtype), np.zeros(batch, dtype))
    # the first batch, one in the middle, and the last (short, its prefetch clamped to the last row)
    for start in (0, 320, n - n % batch):
        stop = min(n, start + batch)
        rows = perm[start:stop]
        total = _gather_batch(epoch, perm, start, stop, out)
        assert np.array_equal(out.x[:len(rows) * n_in].reshape(-1, n_in), x[rows])
        assert np.array_equal(out.y[:len(rows) * n_targets].reshape(-1, n_targets), y[rows])
        assert np.array_equal(out.w[:len(rows)], w[rows])
        expected = 0.0
        for value in w[rows]:  # in row order, as the kernel adds them
            expected += float(value)
        assert total == expected
    assert n % batch < PREFETCH_ROWS  # the last batch is shorter than the read-ahead


@numba.njit
def _prefetch_every_row(a):
    for i in range(a.shape[0]):
        prefetch_row(a, i)


def test_prefetch_changes_nothing_and_takes_only_1d_or_2d_arrays():
    a = np.arange(12.0).reshape(4, 3)
    _prefetch_every_row(a)
    _prefetch_every_row(a[:, 0].copy())
    assert np.array_equal(a, np.arange(12.0).reshape(4, 3))
    with pytest.raises(TypingError):
        _prefetch_every_row(np.zeros((2, 2, 2)))
