"""The epoch shuffle: a permutation, reproducible from (seed, epoch), and uniform over all orders."""

import itertools

import numba
import numpy as np
from scipy.stats import chisquare

from astromlp.nn.kernels.shuffle import _below, permute


def _perm(n, seed, epoch):
    out = np.empty(n, np.int64)
    permute(out, seed, epoch)
    return out


def test_permutation_is_reproducible_and_changes_with_seed_and_epoch():
    p = _perm(10_000, 3, 0)
    assert np.array_equal(np.sort(p), np.arange(10_000))
    assert np.array_equal(p, _perm(10_000, 3, 0))
    assert np.mean(p != _perm(10_000, 3, 1)) > 0.99
    assert np.mean(p != _perm(10_000, 4, 0)) > 0.99


def test_every_order_of_four_rows_is_equally_likely():
    orders = {order: k for k, order in enumerate(itertools.permutations(range(4)))}
    counts = np.zeros(len(orders))
    for seed in range(24_000):
        counts[orders[tuple(_perm(4, seed, 5))]] += 1
    assert chisquare(counts).pvalue > 1e-3


@numba.njit
def _draws(bound, n, seed):
    out = np.empty(n, np.int64)
    state = np.uint64(seed)
    for i in range(n):
        out[i], state = _below(state, bound)
    return out


def test_bounded_draws_are_uniform_below_and_above_two_to_the_32():
    small = _draws(7, 70_000, 1)
    assert small.min() == 0 and small.max() == 6
    assert chisquare(np.bincount(small)).pvalue > 1e-3
    big = 3 * 2**40 + 5
    large = _draws(big, 60_000, 2)
    assert large.min() >= 0 and large.max() < big
    assert chisquare(np.bincount(large // 2**40, minlength=3)).pvalue > 1e-3
