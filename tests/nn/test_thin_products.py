"""A chunk's products with a thin layer's weights, computed in vector registers: equal to numpy's product in value,
for every remainder of rows and columns a tile can leave, and writing nothing outside the output."""

import numba
import numpy as np
import pytest
from numba.core.errors import TypingError

from astromlp.nn.kernels import simd
from astromlp.nn.kernels.thin_products import (
    NARROW_FLOAT32,
    THIN,
    VECTOR_TILES,
    WIDEST,
    _host_has_vector_fma,
    chunk_dot,
    chunk_dot_transposed,
    chunk_dot_transposed_weights,
    forward_takes_tiles,
    is_thin,
    tiles_dot,
    tiles_dot_transposed,
    transposed_takes_tiles,
)

# rows x fan-in x width: a full 128-row chunk of the benchmark nets' thin layers, a short last chunk, one row,
# widths of one vector or less, and every remainder of 4 rows and of 2 vectors (float64: 4 lanes, float32: 8); the
# default net's 64 x 64 layer and other wide-on-both-sides layers (tiles in float32)
SHAPES = [(128, 5, 32), (128, 32, 3), (128, 64, 3), (128, 3, 64), (128, 10, 64), (1, 1, 1), (3, 7, 5), (5, 3, 9),
          (7, 2, 17), (130, 9, 33), (6, 1, 8), (4, 16, 16), (127, 16, 7), (9, 13, 60), (2, 64, 12), (128, 64, 64),
          (61, 33, 47)]


def _inside(buffer_size, offset, shape, dtype):
    """A C-contiguous view of shape ``shape`` at ``offset`` in a NaN-filled flat buffer, and the buffer."""
    flat = np.full(buffer_size, np.nan, dtype)
    return flat, flat[offset:offset + shape[0] * shape[1]].reshape(shape)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("rows", "n_in", "cols"), SHAPES)
@pytest.mark.parametrize(("forward", "gradient"),
                         [(chunk_dot, chunk_dot_transposed), (tiles_dot, tiles_dot_transposed)],
                         ids=["dispatch", "tiles"])
def test_products_equal_numpy_and_write_only_their_output(dtype, rows, n_in, cols, forward, gradient):
    rng = np.random.default_rng(rows * 1000 + n_in * 10 + cols)
    a = rng.normal(size=(rows, n_in)).astype(dtype)
    w = rng.normal(size=(n_in, cols)).astype(dtype)
    dz = rng.normal(size=(rows, cols)).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-14
    # "tiles" checks the tiles whatever the CPU; "dispatch" leaves BLAS where they do not pay off.
    # outputs sit inside larger buffers, as a layer's rows do in the workspace: masked lanes must not spill over
    flat, out = _inside(rows * cols + 37, 5, (rows, cols), dtype)
    forward(a, w, out)
    expected = a.astype(np.float64) @ w.astype(np.float64)
    assert np.allclose(out, expected, rtol=tol, atol=tol * n_in)
    assert np.isnan(flat[:5]).all() and np.isnan(flat[5 + rows * cols:]).all()
    flat, grad = _inside(n_in * cols + 37, 11, (n_in, cols), dtype)
    gradient(a, dz, grad)
    expected = a.T.astype(np.float64) @ dz.astype(np.float64)
    assert np.allclose(grad, expected, rtol=tol, atol=tol * rows)
    assert np.isnan(flat[:11]).all() and np.isnan(flat[11 + n_in * cols:]).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("rows", "n_in", "cols"), SHAPES)
def test_input_gradient_equals_numpy_and_writes_only_its_output(dtype, rows, n_in, cols):
    """dz @ W.T, from W.T copied contiguous where the tiles take it (and not read where BLAS does)."""
    rng = np.random.default_rng(rows * 1000 + n_in * 10 + cols)
    w = rng.normal(size=(n_in, cols)).astype(dtype)
    dz = rng.normal(size=(rows, cols)).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-14
    wt = np.ascontiguousarray(w.T) if transposed_takes_tiles(w, simd.VECTOR_BYTES // dtype().itemsize) else \
        np.full((cols, n_in), np.nan, dtype)
    flat, out = _inside(rows * n_in + 37, 3, (rows, n_in), dtype)
    chunk_dot_transposed_weights(dz, w, wt, out)
    expected = dz.astype(np.float64) @ w.T.astype(np.float64)
    assert np.allclose(out, expected, rtol=tol, atol=tol * cols)
    assert np.isnan(flat[:3]).all() and np.isnan(flat[3 + rows * n_in:]).all()


def test_an_empty_chunk_gives_a_zero_gradient():
    grad = np.full((5, 32), np.nan)
    chunk_dot_transposed(np.zeros((0, 5)), np.zeros((0, 32)), grad)
    assert np.array_equal(grad, np.zeros((5, 32)))


def test_wide_layers_keep_blas_bit_for_bit():
    rng = np.random.default_rng(0)
    a, w, dz = rng.normal(size=(128, 64)), rng.normal(size=(64, 64)), rng.normal(size=(128, 64))
    assert not is_thin(64, 64, 4)
    out, grad = np.empty((128, 64)), np.empty((64, 64))
    chunk_dot(a, w, out)
    chunk_dot_transposed(a, dz, grad)
    assert np.array_equal(out, np.dot(a, w)) and np.array_equal(grad, np.dot(a.T, dz))
    assert not transposed_takes_tiles(w, 4)
    chunk_dot_transposed_weights(dz, w, np.full((64, 64), np.nan), out)  # the copy is not read
    assert np.array_equal(out, np.dot(dz, w.T))


def test_which_layers_are_thin():
    """Thin shapes take the tiles on a CPU with vector FMA (every CPU this project's CI runs on), none elsewhere."""
    for lanes in (4, 8):
        assert [is_thin(5, 32, lanes), is_thin(64, 3, lanes), is_thin(THIN, WIDEST, lanes),
                is_thin(1, 1, lanes)] == [VECTOR_TILES] * 4
        assert not is_thin(3, WIDEST + 1, lanes) and not is_thin(64, 200, lanes)
    # wide on both sides: BLAS in float64, the tiles in float32 (up to WIDEST)
    assert not is_thin(THIN + 1, THIN + 1, 4) and not is_thin(WIDEST, WIDEST, 4)
    assert [is_thin(THIN + 1, THIN + 1, 8), is_thin(WIDEST, WIDEST, 8)] == [VECTOR_TILES] * 2
    assert not is_thin(WIDEST + 1, WIDEST, 8)
    # a float32 forward product that fills under half of its 8 lanes stays with BLAS; in float64 (4 lanes) it does not
    assert not forward_takes_tiles(32, NARROW_FLOAT32, 8)
    assert [forward_takes_tiles(32, NARROW_FLOAT32 + 1, 8), forward_takes_tiles(32, 3, 4)] == [VECTOR_TILES] * 2


def test_kernels_compiled_for_a_named_cpu_keep_blas(monkeypatch):
    monkeypatch.setattr(numba.config, "CPU_NAME", "generic")
    assert not _host_has_vector_fma()


@numba.njit
def _lanes_and_sum(a):
    v = simd.fma(simd.load(a, 0), simd.broadcast(a, 1), simd.zeros(a))
    out = np.zeros_like(a)
    simd.store_first(out, 0, v, 3)
    return simd.lanes(a), out


def test_vectors_hold_32_bytes_and_only_float_arrays_take_them():
    for dtype, lanes in ((np.float64, 4), (np.float32, 8)):
        a = np.arange(1, 9, dtype=dtype)
        n, out = _lanes_and_sum(a)
        assert n == lanes
        assert np.array_equal(out, np.array([2, 4, 6, 0, 0, 0, 0, 0], dtype))
    with pytest.raises(TypingError):
        _lanes_and_sum(np.arange(8))
