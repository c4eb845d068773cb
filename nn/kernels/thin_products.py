"""Matrix products of a chunk of rows with a thin layer's weights, computed in vector registers instead of BLAS.

A layer whose fan-in or width is small (the first layer of a photometric net, a classifier's output layer) makes
products such as 128 x 5 x 32 or 128 x 64 x 3: a BLAS call spends more on packing and dispatch than on the
arithmetic. Here each product is a loop over tiles of the output, 4 rows by 2 vectors (8 rows by 1 vector when the
output is one vector wide), each tile's sums kept in registers over the whole inner dimension and written once.
Measured on one core of this project's machines (AMD EPYC, AVX2), best of 3 x 20,000 calls:
128 x 5 x 32 in 1.4-1.6 us against BLAS's 2.5 us, 128 x 64 x 3 in 2.2 us against 6.0 us, and the weight gradient
of 128 rows, 5 x 32, in 1.7 us against 3.3 us. At 64 x 64 the float64 tiles only draw level with BLAS, so wide
float64 layers keep it, while float32's (eight lanes a vector) stay ahead up to 64 on both sides (``is_thin``).

Every sum runs over the inner dimension in order, one fused multiply-add per term: the result depends on the
shapes only, never on threads, so chunked gradients stay bit-identical across thread counts."""

import numba
import numpy as np
from llvmlite import binding

from astromlp.nn.kernels import simd
from astromlp.nn.kernels.jit import kernel

#: A product takes the vector tiles when the smaller of the layer's fan-in and width is at most THIN and the
#: larger at most WIDEST (the shapes where they measured faster than BLAS, in float64 and float32); in float32
#: (eight lanes a vector) every layer at most WIDEST on both sides takes them: 128 rows, 64 x 64, forward in 11.2
#: against BLAS's 14.7 us and weight gradient in 14.0 against 18.3 us (32 x 32: 4.8 / 5.3 and 4.7 / 8.4), where
#: float64's tiles only draw level with BLAS (27.6 / 27.8 us forward, 42.9 / 31.3 us weight gradient).
THIN = 16
WIDEST = 64


def _host_has_vector_fma() -> bool:
    """Whether the kernels are compiled for a CPU with AVX2 and FMA (x86-64 since about 2013). Without them LLVM
    emulates the tiles' vectors lane by lane, slower than BLAS; with NUMBA_CPU_NAME set, for a CPU unknown here."""
    if numba.config.CPU_NAME:
        return False
    features = binding.get_host_cpu_features()
    return bool(features.get("avx2", False) and features.get("fma", False))


#: Read once, frozen into the compiled kernels (Numba's cache keeps one copy per CPU model and feature set).
VECTOR_TILES = _host_has_vector_fma()


@kernel(inline="always")
def is_thin(n_in, cols, lanes):
    """Whether a layer of ``n_in`` x ``cols`` takes the tiles, for vectors of ``lanes`` numbers."""
    return VECTOR_TILES and max(n_in, cols) <= WIDEST and (min(n_in, cols) <= THIN or lanes == 8)


#: A float32 forward product at most this wide fills under half of an 8-lane vector: BLAS measured faster
#: (128 x 32 x 3: 1.5 against 2.2 us), while its weight gradient still gains (2.8 against 1.6 us).
NARROW_FLOAT32 = 4


@kernel(inline="always")
def forward_takes_tiles(n_in, cols, lanes):
    return is_thin(n_in, cols, lanes) and not (lanes == 8 and cols <= NARROW_FLOAT32)


@kernel(inline="always")
def chunk_dot(a, b, out):
    """out = a @ b for a chunk's rows ``a`` and a layer's weights ``b`` (2-D, C-contiguous, one dtype)."""
    if forward_takes_tiles(b.shape[0], b.shape[1], simd.lanes(out)):
        tiles_dot(a, b, out)
    else:
        np.dot(a, b, out)


@kernel(inline="always")
def chunk_dot_transposed(a, b, out):
    """out = a.T @ b: a layer's weight gradient from a chunk's inputs ``a`` and output gradients ``b``."""
    if is_thin(a.shape[1], b.shape[1], simd.lanes(out)):
        tiles_dot_transposed(a, b, out)
    else:
        np.dot(a.T, b, out)


@kernel(inline="always")
def transposed_takes_tiles(w, lanes):
    """Whether ``chunk_dot_transposed_weights`` takes the tiles for weights ``w``: the rule of ``chunk_dot`` for
    the product's right side, w.T."""
    return forward_takes_tiles(w.shape[1], w.shape[0], lanes)


@kernel(inline="always")
def chunk_dot_transposed_weights(a, w, wt, out):
    """out = a @ w.T: the input gradient of a layer of weights ``w`` from its output gradients ``a``; through
    the tiles from ``wt``, w.T made contiguous beforehand, where ``transposed_takes_tiles``, else BLAS on the
    view (which needs no copy). 128 rows, one thread: 3 -> 32 float64 in 1.4 against BLAS's 3.4-4.2 us."""
    if transposed_takes_tiles(w, simd.lanes(out)):
        tiles_dot(a, wt, out)
    else:
        np.dot(a, w.T, out)


@kernel(inline="always")
def tiles_dot(a, b, out):
    """out = a @ b through the tiles, whatever the shape and CPU."""
    _product(out.shape[0], out.shape[1], a.shape[1], a, a.shape[1], 1, b, out)


@kernel(inline="always")
def tiles_dot_transposed(a, b, out):
    """out = a.T @ b through the tiles, whatever the shape and CPU."""
    _product(out.shape[0], out.shape[1], a.shape[0], a, 1, a.shape[1], b, out)


@kernel()
def _product(m, n, k, a, a_row, a_inner, b, out):
    """out[i, j] = sum over t < k of a.flat[i a_row + t a_inner] b[t, j], for an out of m x n and b of k x n."""
    width = simd.lanes(out)
    if n <= width:
        _narrow(m, n, k, a, a_row, a_inner, b, out)
        return
    zero = simd.zeros(out)
    for i in range(0, m, 4):
        # a tile's rows past the last are computed from the last row again and not written
        r0 = i * a_row
        r1 = min(i + 1, m - 1) * a_row
        r2 = min(i + 2, m - 1) * a_row
        r3 = min(i + 3, m - 1) * a_row
        for j in range(0, n, 2 * width):
            n0 = min(width, n - j)
            n1 = min(width, n - j - width)
            s00 = s01 = s10 = s11 = s20 = s21 = s30 = s31 = zero
            q = 0
            at = j
            for _ in range(k):
                u = _load(b, at, n0, width)
                v = _load(b, at + width, n1, width)
                s00, s01 = _add_row(a, r0 + q, u, v, s00, s01)
                s10, s11 = _add_row(a, r1 + q, u, v, s10, s11)
                s20, s21 = _add_row(a, r2 + q, u, v, s20, s21)
                s30, s31 = _add_row(a, r3 + q, u, v, s30, s31)
                q += a_inner
                at += n
            at = i * n + j
            _write_pair(out, at, s00, s01, n0, n1)
            if i + 1 < m:
                _write_pair(out, at + n, s10, s11, n0, n1)
            if i + 2 < m:
                _write_pair(out, at + 2 * n, s20, s21, n0, n1)
            if i + 3 < m:
                _write_pair(out, at + 3 * n, s30, s31, n0, n1)


@kernel()
def _narrow(m, n, k, a, a_row, a_inner, b, out):
    """``_product`` for an output at most one vector wide: tiles of 8 rows by one (masked) vector."""
    zero = simd.zeros(out)
    last = m - 1
    for i in range(0, m, 8):
        r0 = i * a_row
        r1 = min(i + 1, last) * a_row
        r2 = min(i + 2, last) * a_row
        r3 = min(i + 3, last) * a_row
        r4 = min(i + 4, last) * a_row
        r5 = min(i + 5, last) * a_row
        r6 = min(i + 6, last) * a_row
        r7 = min(i + 7, last) * a_row
        s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = zero
        q = 0
        at = 0
        for _ in range(k):
            u = _load(b, at, n, simd.lanes(out))
            s0 = simd.fma(simd.broadcast(a, r0 + q), u, s0)
            s1 = simd.fma(simd.broadcast(a, r1 + q), u, s1)
            s2 = simd.fma(simd.broadcast(a, r2 + q), u, s2)
            s3 = simd.fma(simd.broadcast(a, r3 + q), u, s3)
            s4 = simd.fma(simd.broadcast(a, r4 + q), u, s4)
            s5 = simd.fma(simd.broadcast(a, r5 + q), u, s5)
            s6 = simd.fma(simd.broadcast(a, r6 + q), u, s6)
            s7 = simd.fma(simd.broadcast(a, r7 + q), u, s7)
            q += a_inner
            at += n
        at = i * n
        _write_row(out, at, s0, n, i < m)
        _write_row(out, at + n, s1, n, i + 1 < m)
        _write_row(out, at + 2 * n, s2, n, i + 2 < m)
        _write_row(out, at + 3 * n, s3, n, i + 3 < m)
        _write_row(out, at + 4 * n, s4, n, i + 4 < m)
        _write_row(out, at + 5 * n, s5, n, i + 5 < m)
        _write_row(out, at + 6 * n, s6, n, i + 6 < m)
        _write_row(out, at + 7 * n, s7, n, i + 7 < m)


@kernel(inline="always")
def _add_row(a, at, u, v, first, second):
    """A tile row's two sums plus a[at] times the vectors u and v."""
    x = simd.broadcast(a, at)
    return simd.fma(x, u, first), simd.fma(x, v, second)


@kernel(inline="always")
def _load(b, at, count, width):
    """A whole vector, or its first ``count`` lanes; ``count`` is fixed over a tile's loop, which LLVM then
    splits into an unmasked and a masked copy."""
    if count == width:
        return simd.load(b, at)
    return simd.load_first(b, at, count)


# A masked store is slow on some CPUs (microcoded on AMD's Zen): whole vectors are stored unmasked.
@kernel(inline="always")
def _write(out, at, value, count, width):
    """The twin of ``_load``: a whole vector, or its first ``count`` lanes."""
    if count == width:
        simd.store(out, at, value)
    else:
        simd.store_first(out, at, value, count)


@kernel(inline="always")
def _write_pair(out, at, first, second, n0, n1):
    width = simd.lanes(out)
    _write(out, at, first, n0, width)
    if n1 > 0:
        _write(out, at + width, second, n1, width)


@kernel(inline="always")
def _write_row(out, at, value, n, inside):
    if inside:
        _write(out, at, value, n, simd.lanes(out))
