"""Forward and backward passes of a minibatch, split into fixed-size chunks of rows.

Chunks run in parallel (``prange``) and every sum over rows is taken per chunk, then over chunks in chunk
order, so the result depends on the chunk size but never on the number of threads. Matrix products go
through BLAS (``np.dot`` into preallocated views; the caller pins BLAS to one thread, see ``nn/threads.py``),
except a thin layer's, which ``kernels/thin_products.py`` computes in vector registers.

Buffers are flat 1-D arrays; a layer's rows ``[r0, r1)`` are a contiguous view (``_rows``). ``ws`` is the
``Workspace`` made by ``nn/workspace.py``; the other records are named in ``kernels/interface.py``.

Chunk indices and row offsets reach the per-chunk kernels as int64 at every call site: ``np.int64(k)`` in a
``prange`` body (whose index is uint64 once Numba makes the loop parallel) and ``np.int64(0)`` for a lone chunk
(a bare ``0`` is typed as a literal). Each distinct argument type compiles a kernel and everything it calls
again: three copies of the chunk pass cost a quarter of a first run's compile time (180 s -> 137 s of CPU).
"""

import math

import numpy as np
from numba import prange

from astromlp.nn.activations import SLOPES, d_slope_leaky_relu
from astromlp.nn.kernels import simd
from astromlp.nn.kernels.elementwise import activate, activate_sloped, activation_backward, activation_backward_sloped
from astromlp.nn.kernels.interface import Batch, Pass
from astromlp.nn.kernels.jit import kernel
from astromlp.nn.kernels.rows import row_dispatch
from astromlp.nn.kernels.splitmix import GOLDEN, mix
from astromlp.nn.kernels.thin_products import (
    chunk_dot,
    chunk_dot_transposed,
    chunk_dot_transposed_weights,
    transposed_takes_tiles,
)
from astromlp.nn.layers import (
    ACT,
    ALPHA,
    ALPHA_HI,
    B_OFF,
    BE_OFF,
    BN_EPS,
    BN_MOMENTUM,
    CUM_COLS,
    CUM_UNITS,
    DROPOUT,
    G_OFF,
    HAS_BN,
    IN_DROPOUT,
    N_IN,
    N_UNITS,
    P_OFF,
    PIECES,
    SLOPE,
    STAT_OFF,
    W_OFF,
)
from astromlp.nn.losses import KERNEL_TABLE

# ``SLOPES`` codes as globals, which Numba freezes as constants (it cannot read a dict).
_FIXED, _LEARNED, _RANDOM = SLOPES["fixed"], SLOPES["learned"], SLOPES["random"]


@kernel(inline="always")
def _rows(buf, base, r0, r1, width):
    return buf[base + r0 * width:base + r1 * width].reshape((r1 - r0, width))


@kernel(inline="always")
def _cols(il, l):
    return il[l, N_UNITS] * il[l, PIECES]


@kernel(inline="always")
def _capacity(il, abuf):
    last = il.shape[0] - 1
    return abuf.size // (il[last, CUM_UNITS] + il[last, N_UNITS])


@kernel(inline="always")
def _weights(il, theta, l):
    n_in = il[l, N_IN]
    cols = _cols(il, l)
    return theta[il[l, W_OFF]:il[l, W_OFF] + n_in * cols].reshape((n_in, cols))


@kernel(inline="always")
def _transposed(il, wt, l):
    """Layer l's W.T in ``ws.wt`` (``transpose_weights``): the slice ``_weights`` takes, shaped the other way."""
    return _weights(il, wt, l).reshape((_cols(il, l), il[l, N_IN]))


@kernel()
def transpose_weights(il, theta, wt):
    """W.T of every layer whose input gradient takes the tiles, into ``wt``: once per batch, for all its chunks."""
    for l in range(1, il.shape[0]):
        w = _weights(il, theta, l)
        if transposed_takes_tiles(w, simd.lanes(wt)):
            t = _transposed(il, wt, l)
            for j in range(w.shape[1]):
                for i in range(w.shape[0]):
                    t[j, i] = w[i, j]


@kernel(inline="always")
def _input(il, l, r0, r1, xbuf, abuf, cap):
    if l == 0:
        return _rows(xbuf, 0, r0, r1, il[0, N_IN])
    return _rows(abuf, il[l - 1, CUM_UNITS] * cap, r0, r1, il[l - 1, N_UNITS])


@kernel(inline="always")
def _uniform(seed, step, layer, row, col):
    """A uniform number in [0, 1) from a SplitMix64 hash of its coordinates: the same for a given element
    whichever thread draws it."""
    x = np.uint64(seed) * GOLDEN
    x ^= np.uint64(step) * np.uint64(0xBF58476D1CE4E5B9)
    # 1000003 (a prime over a million) rows apart per layer: (layer, row) pairs stay distinct while a minibatch
    # has fewer rows. Part of the masks' definition: changing it changes every dropout mask.
    x ^= np.uint64(layer * 1000003 + row) * np.uint64(0x94D049BB133111EB)
    x ^= np.uint64(col) * np.uint64(0xD6E8FEB86659FD93)
    return (mix(x) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


# The random streams of ``_uniform`` beside layer l's dropout (stream l): the input dropout's and layer l's RReLU
# slopes'. Part of their definition, like the dropout masks'.
@kernel(inline="always")
def _input_stream(il):
    return il.shape[0]


@kernel(inline="always")
def _rrelu_stream(il, l):
    return il.shape[0] + 1 + l


@kernel()
def _fill_slopes(l, r0, s, layout, theta, mode):
    """Each element's activation parameter for a sloped layer (see ``activations.SLOPES``): PReLU's learned
    slope of the unit, RReLU's draw in [alpha, alpha_hi] (their mean at evaluation), or the unit's parity."""
    il, fl = layout.il, layout.fl
    kind = il[l, SLOPE]
    lo, hi = fl[l, ALPHA], fl[l, ALPHA_HI]
    for i in range(s.shape[0]):
        for j in range(s.shape[1]):
            if kind == _LEARNED:
                s[i, j] = theta[il[l, P_OFF] + j]
            elif kind == _RANDOM:
                u = _uniform(mode.seed, mode.step, _rrelu_stream(il, l), r0 + i, j) if mode.training else 0.5
                s[i, j] = lo + (hi - lo) * u
            else:
                s[i, j] = j % 2


@kernel()
def _drop_inputs(r0, r1, layout, xbuf, ws, mode):
    """The chunk's input rows with inverted dropout at rate ``IN_DROPOUT``, into ``ws.x_drop``; returns them."""
    il = layout.il
    n_in = il[0, N_IN]
    rate = layout.fl[0, IN_DROPOUT]
    keep = 1.0 / (1.0 - rate)
    x = _rows(xbuf, 0, r0, r1, n_in)
    out = _rows(ws.x_drop, 0, r0, r1, n_in)
    for i in range(r1 - r0):
        for j in range(n_in):
            drop = _uniform(mode.seed, mode.step, _input_stream(il), r0 + i, j) < rate
            out[i, j] = 0.0 * x[i, j] if drop else x[i, j] * keep
    return out


@kernel(inline="always")
def _bias_in_activation(il, l):
    """Whether layer l's bias joins its activation's passes (a hidden layer with a fixed activation, no maxout,
    no batch norm): added to h in the forward one, its gradient summed from dh in the backward one. One pass
    over the chunk's outputs fewer each way: 128 x 32 float64, 1.84 -> 1.15 us forward, 1.79 -> 1.37 us backward."""
    return l < il.shape[0] - 1 and il[l, PIECES] == 1 and il[l, SLOPE] == _FIXED and il[l, HAS_BN] == 0


@kernel()
def _finish(l, r0, r1, layout, theta, ws, cap, mode):
    """From the pre-activation h of a hidden layer to its output a: activation or maxout, then dropout (and
    first h += bias, in the activation's pass, where ``_bias_in_activation`` says so)."""
    il, fl = layout.il, layout.fl
    hbuf, abuf, mbuf, ibuf = ws.h, ws.a, ws.drop, ws.argmax
    cols = _cols(il, l)
    units = il[l, N_UNITS]
    h = _rows(hbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    a = _rows(abuf, il[l, CUM_UNITS] * cap, r0, r1, units)
    pieces = il[l, PIECES]
    if pieces > 1:
        arg = _rows(ibuf, il[l, CUM_UNITS] * cap, r0, r1, units)
        for i in range(r1 - r0):
            for j in range(units):
                best = 0
                for k in range(1, pieces):
                    if h[i, j * pieces + k] > h[i, j * pieces + best]:
                        best = k
                arg[i, j] = best
                a[i, j] = h[i, j * pieces + best]
    elif il[l, SLOPE] == _FIXED:
        activate(layout.rows, il[l, ACT], h, a, fl[l, ALPHA], theta[il[l, B_OFF]:il[l, B_OFF] + cols],
                 _bias_in_activation(il, l))
    else:
        s = _rows(ws.slope, il[l, CUM_UNITS] * cap, r0, r1, units)
        _fill_slopes(l, r0, s, layout, theta, mode)
        activate_sloped(layout.rows, il[l, ACT], h, a, s)
    rate = fl[l, DROPOUT]
    if mode.training and rate > 0:
        m = _rows(mbuf, il[l, CUM_UNITS] * cap, r0, r1, units)
        keep = 1.0 / (1.0 - rate)
        for i in range(r1 - r0):
            for j in range(units):
                m[i, j] = 0.0 if _uniform(mode.seed, mode.step, l, r0 + i, j) < rate else keep
                a[i, j] *= m[i, j]


@kernel()
def _linear(l, r0, r1, layout, params, xbuf, ws, cap, mode):
    """h = a_in W + b; with batch norm at evaluation, h = gamma (a_in W - mean) / std + beta from the
    running statistics; at training the linear output goes to z and normalisation waits for batch stats."""
    il, fl, theta = layout.il, layout.fl, params.theta
    hbuf, zbuf, abuf = ws.h, ws.z, ws.a
    cols = _cols(il, l)
    if l == 0 and mode.training and fl[0, IN_DROPOUT] > 0:
        a_in = _drop_inputs(r0, r1, layout, xbuf, ws, mode)
    else:
        a_in = _input(il, l, r0, r1, xbuf, abuf, cap)
    bn = il[l, HAS_BN] == 1
    if bn and mode.training:
        chunk_dot(a_in, _weights(il, theta, l), _rows(zbuf, il[l, CUM_COLS] * cap, r0, r1, cols))
        return
    h = _rows(hbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    chunk_dot(a_in, _weights(il, theta, l), h)
    if bn:
        g, be, s = il[l, G_OFF], il[l, BE_OFF], il[l, STAT_OFF]
        eps = fl[l, BN_EPS]
        for j in range(cols):
            scale = theta[g + j] / math.sqrt(params.running_var[s + j] + eps)
            shift = theta[be + j] - scale * params.running_mean[s + j]
            for i in range(r1 - r0):
                h[i, j] = h[i, j] * scale + shift
    elif not _bias_in_activation(il, l):
        bias = theta[il[l, B_OFF]:il[l, B_OFF] + cols]  # a slice, not theta[b + j]: only then does it vectorise
        for i in range(r1 - r0):
            for j in range(cols):
                h[i, j] += bias[j]
    if l < il.shape[0] - 1:
        _finish(l, r0, r1, layout, theta, ws, cap, mode)


@kernel(inline="always")
def _bn_vectors(l, il, theta, ws):
    """Layer l's gamma, beta, batch mean and 1/std as slices: indexing theta[g + j] in a loop keeps LLVM
    from vectorising it, a slice does not."""
    cols = _cols(il, l)
    g, be, s = il[l, G_OFF], il[l, BE_OFF], il[l, STAT_OFF]
    return theta[g:g + cols], theta[be:be + cols], ws.bn_mean[s:s + cols], ws.bn_invstd[s:s + cols]


@kernel()
def _bn_partial(l, c, r0, r1, il, ws, cap, centre):
    """partial[c] = sum over the chunk's rows of z, or of (z - mean)^2 when ``centre``."""
    zbuf, mean, partial = ws.z, ws.bn_mean, ws.partial
    cols = _cols(il, l)
    mu = mean[il[l, STAT_OFF]:il[l, STAT_OFF] + cols]
    z = _rows(zbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    acc = partial[c, :cols]
    acc[:] = 0.0
    for i in range(r1 - r0):  # row by row, each column summed in row order: vectorises along the row
        if centre:
            for j in range(cols):
                d = z[i, j] - mu[j]
                acc[j] += d * d
        else:
            for j in range(cols):
                acc[j] += z[i, j]


@kernel()
def _bn_normalise(l, r0, r1, layout, theta, ws, cap, mode):
    """h = gamma * (z - batch mean) * invstd + beta, then the layer's activation and dropout."""
    il = layout.il
    hbuf, zbuf = ws.h, ws.z
    cols = _cols(il, l)
    gamma, beta, mu, istd = _bn_vectors(l, il, theta, ws)
    z = _rows(zbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    h = _rows(hbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    for i in range(r1 - r0):
        for j in range(cols):
            h[i, j] = gamma[j] * (z[i, j] - mu[j]) * istd[j] + beta[j]
    if l < il.shape[0] - 1:
        _finish(l, r0, r1, layout, theta, ws, cap, mode)


@kernel()
def _sum_partials(partial, nc, cols, out, out_off, scale):
    """out[out_off + j] = scale * sum_c partial[c, j], summed in chunk order."""
    for j in range(cols):
        acc = 0.0
        for c in range(nc):
            acc += partial[c, j]
        out[out_off + j] = acc * scale


@kernel(inline="always")
def _batch_stats(l, n, chunk, layout, params, batch, ws, cap, mode):
    """Batch mean and 1/std of layer l's linear output (two passes), and the running statistics."""
    il, fl, rm, rv = layout.il, layout.fl, params.running_mean, params.running_var
    mean, invstd, partial = ws.bn_mean, ws.bn_invstd, ws.partial
    nc = (n + chunk - 1) // chunk
    cols = _cols(il, l)
    s = il[l, STAT_OFF]
    _for_chunks(np.int64(_BN_SUM), l, n, chunk, layout, params, batch, np.int64(0), 0.0, ws, cap, mode)
    _sum_partials(partial, nc, cols, mean, s, 1.0 / n)
    _for_chunks(np.int64(_BN_CENTRED), l, n, chunk, layout, params, batch, np.int64(0), 0.0, ws, cap, mode)
    _sum_partials(partial, nc, cols, invstd, s, 1.0 / n)
    momentum = fl[l, BN_MOMENTUM]
    for j in range(cols):
        var = invstd[s + j]
        if mode.update_running:
            rm[s + j] = (1 - momentum) * rm[s + j] + momentum * mean[s + j]
            rv[s + j] = (1 - momentum) * rv[s + j] + momentum * var * n / max(n - 1, 1)
        invstd[s + j] = 1.0 / math.sqrt(var + fl[l, BN_EPS])


@kernel()
def forward(layout, params, xbuf, n, chunk, ws, mode):
    """Forward pass of the first n rows of xbuf (a ``Pass``: training or evaluation, dropout seed and step);
    the outputs are the last layer's rows of ``ws.h``."""
    _forward_batch(layout, params, Batch(xbuf, xbuf, xbuf), n, chunk, ws, mode)


@kernel(inline="always")
def _forward_batch(layout, params, batch, n, chunk, ws, mode):
    """``forward`` of ``batch.x`` (its targets and weights are not read)."""
    il = layout.il
    cap = _capacity(il, ws.a)
    for l in range(il.shape[0]):
        _for_chunks(np.int64(_LINEAR), l, n, chunk, layout, params, batch, np.int64(0), 0.0, ws, cap, mode)
        if il[l, HAS_BN] == 1 and mode.training:
            _batch_stats(l, n, chunk, layout, params, batch, ws, cap, mode)
            _for_chunks(np.int64(_BN_NORMALISE), l, n, chunk, layout, params, batch, np.int64(0), 0.0, ws, cap, mode)


@kernel(inline="always")
def _call(f, z, y, w, scale, dz):
    return f(z, y, w, scale, dz)


_loss_row = row_dispatch("loss", KERNEL_TABLE, _call, returns=True)


@kernel()
def loss_chunk(rows, code, z, y, w, scale, dz):
    """Row ``code`` of the loss table (among ``rows``) applied to one chunk: returns sum w L, writes dz."""
    return _loss_row(rows, code, z, y, w, scale, dz)


@kernel()
def _loss(c, r0, r1, layout, loss_code, batch, scale, ws, cap):
    il = layout.il
    hbuf, dhbuf, closs, ybuf, wbuf = ws.h, ws.dh, ws.loss_chunks, batch.y, batch.w
    last = il.shape[0] - 1
    k = il[last, N_UNITS]
    base = il[last, CUM_COLS] * cap
    closs[c] = loss_chunk(layout.rows, loss_code, _rows(hbuf, base, r0, r1, k), _rows(ybuf, 0, r0, r1, k),
                          wbuf[r0:r1], scale, _rows(dhbuf, base, r0, r1, k))


@kernel()
def _bn_grad_partial(l, c, r0, r1, il, theta, ws, cap):
    """Chunk c's share of dgamma = sum dh * xhat and dbeta = sum dh, into its gradient row."""
    zbuf, dhbuf, gchunks = ws.z, ws.dh, ws.grad_chunks
    cols = _cols(il, l)
    _, _, mu, istd = _bn_vectors(l, il, theta, ws)
    z = _rows(zbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    dh = _rows(dhbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    dg = gchunks[c, il[l, G_OFF]:il[l, G_OFF] + cols]
    db = gchunks[c, il[l, BE_OFF]:il[l, BE_OFF] + cols]
    dg[:] = 0.0
    db[:] = 0.0
    for i in range(r1 - r0):  # each column summed in row order, as in _bn_partial
        for j in range(cols):
            dg[j] += dh[i, j] * (z[i, j] - mu[j]) * istd[j]
            db[j] += dh[i, j]


@kernel()
def _bn_backward(l, r0, r1, n, il, theta, ws, cap):
    """dz = gamma invstd / n (n dh - sum dh - xhat sum dh xhat), in place of dh (sums in ``partial``)."""
    zbuf, dhbuf, partial = ws.z, ws.dh, ws.partial
    cols = _cols(il, l)
    gamma, _, mu, istd = _bn_vectors(l, il, theta, ws)
    sum_dh, sum_dh_xhat = partial[0, :cols], partial[1, :cols]
    z = _rows(zbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    dh = _rows(dhbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    for i in range(r1 - r0):
        for j in range(cols):
            xhat = (z[i, j] - mu[j]) * istd[j]
            dh[i, j] = gamma[j] * istd[j] / n * (n * dh[i, j] - sum_dh[j] - xhat * sum_dh_xhat[j])


@kernel()
def _linear_backward(l, c, r0, r1, layout, theta, xbuf, ws, cap):
    """Chunk c's share of dW and db into its gradient row, then dh of the layer below."""
    il, fl = layout.il, layout.fl
    abuf, mbuf, ibuf, dabuf, dhbuf, gchunks = ws.a, ws.drop, ws.argmax, ws.da, ws.dh, ws.grad_chunks
    cols = _cols(il, l)
    n_in = il[l, N_IN]
    dz = _rows(dhbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    if l == 0 and fl[0, IN_DROPOUT] > 0:  # the inputs the forward pass dropped out
        a_in = _rows(ws.x_drop, 0, r0, r1, n_in)
    else:
        a_in = _input(il, l, r0, r1, xbuf, abuf, cap)
    grow = gchunks[c]
    chunk_dot_transposed(a_in, dz, grow[il[l, W_OFF]:il[l, W_OFF] + n_in * cols].reshape((n_in, cols)))
    if il[l, HAS_BN] == 0 and not _bias_in_activation(il, l):
        db = grow[il[l, B_OFF]:il[l, B_OFF] + cols]
        db[:] = 0.0
        for i in range(r1 - r0):
            for j in range(cols):
                db[j] += dz[i, j]
    if l == 0:
        return
    p = l - 1
    units = il[p, N_UNITS]
    da = _rows(dabuf, il[p, CUM_UNITS] * cap, r0, r1, units)
    chunk_dot_transposed_weights(dz, _weights(il, theta, l), _transposed(il, ws.wt, l), da)
    dh = _rows(dhbuf, il[p, CUM_COLS] * cap, r0, r1, _cols(il, p))
    a = _rows(abuf, il[p, CUM_UNITS] * cap, r0, r1, units)
    m = _rows(mbuf, il[p, CUM_UNITS] * cap, r0, r1, units)
    masked = fl[p, DROPOUT] > 0
    pieces = il[p, PIECES]
    if pieces > 1:
        arg = _rows(ibuf, il[p, CUM_UNITS] * cap, r0, r1, units)
        for i in range(r1 - r0):
            for j in range(units):
                g = da[i, j] * m[i, j] if masked else da[i, j]
                for k in range(pieces):
                    dh[i, j * pieces + k] = g if k == arg[i, j] else 0.0
    elif il[p, SLOPE] == _FIXED:
        h = _rows(ws.h, il[p, CUM_COLS] * cap, r0, r1, _cols(il, p))
        db = grow[il[p, B_OFF]:il[p, B_OFF] + units]
        activation_backward(layout.rows, il[p, ACT], h, a, da, dh, fl[p, ALPHA], m, masked, db,
                            _bias_in_activation(il, p))
    else:
        h = _rows(ws.h, il[p, CUM_COLS] * cap, r0, r1, _cols(il, p))
        s = _rows(ws.slope, il[p, CUM_UNITS] * cap, r0, r1, units)
        activation_backward_sloped(layout.rows, il[p, ACT], h, a, da, dh, s, m, masked)
        if il[p, SLOPE] == _LEARNED:
            _slope_gradient(h, da, m, masked, grow[il[p, P_OFF]:il[p, P_OFF] + units])


@kernel()
def _slope_gradient(h, da, m, masked, dslope):
    """Chunk's share of PReLU's slope gradients: the sum over rows of da * mask * min(h, 0), in row order."""
    dslope[:] = 0.0
    for i in range(h.shape[0]):
        for j in range(h.shape[1]):
            g = da[i, j] * m[i, j] if masked else da[i, j]
            dslope[j] += g * d_slope_leaky_relu(h[i, j])


@kernel(inline="always")
def _chunk_pass(c, r0, r1, layout, params, batch, loss_code, scale, ws, cap, mode):
    """Forward, loss and backward of one chunk, for networks without batch norm."""
    il = layout.il
    for l in range(il.shape[0]):
        _linear(l, r0, r1, layout, params, batch.x, ws, cap, mode)
    _loss(c, r0, r1, layout, loss_code, batch, scale, ws, cap)
    for l in range(il.shape[0] - 1, -1, -1):
        _linear_backward(l, c, r0, r1, layout, params.theta, batch.x, ws, cap)


@kernel()
def _sum_losses(closs, nc):
    total = 0.0
    for c in range(nc):
        total += closs[c]
    return total


@kernel()
def reduce_chunks(gchunks, nc, grad, a, e):
    """grad[a:e] = sum of the chunks' gradient rows, in chunk order for every entry (chunk by chunk, so the
    loops run along contiguous rows and vectorise)."""
    out = grad[a:e]
    first = gchunks[0, a:e]
    for j in range(out.size):
        out[j] = first[j]
    for c in range(1, nc):
        row = gchunks[c, a:e]
        for j in range(out.size):
            out[j] += row[j]


@kernel(inline="always")
def batch_gradient(layout, params, batch, n, chunk, loss_code, ws, mode):
    """Training-mode weighted mean loss of the first n rows of ``batch`` (``mode`` gives the dropout seed and
    step, and whether to update the running statistics); its gradient stays split by chunk (row c of
    ``ws.grad_chunks`` for chunk c) until ``reduce_chunks`` or the fused update sums it in chunk order."""
    il = layout.il
    mode = Pass(True, mode.update_running, mode.seed, mode.step)
    cap = _capacity(il, ws.a)
    nc = (n + chunk - 1) // chunk
    wbuf = batch.w
    wsum = 0.0
    for i in range(n):
        wsum += wbuf[i]
    scale = 1.0 / wsum if wsum > 0 else 0.0  # a batch of zero-weight rows has zero loss and gradient
    transpose_weights(il, params.theta, ws.wt)
    if il[:, HAS_BN].sum() == 0:  # no batch statistics to wait for: each chunk goes down and back up alone
        _for_chunks(np.int64(_CHUNK_PASS), np.int64(0), n, chunk, layout, params, batch, loss_code, scale, ws, cap,
                    mode)
        return _sum_losses(ws.loss_chunks, nc) * scale
    _forward_batch(layout, params, batch, n, chunk, ws, mode)
    _for_chunks(np.int64(_LOSS), np.int64(0), n, chunk, layout, params, batch, loss_code, scale, ws, cap, mode)
    loss = _sum_losses(ws.loss_chunks, nc)
    for l in range(il.shape[0] - 1, -1, -1):
        if il[l, HAS_BN] == 1:
            _for_chunks(np.int64(_BN_GRAD), l, n, chunk, layout, params, batch, loss_code, scale, ws, cap, mode)
            cols = _cols(il, l)
            _sum_partials(ws.grad_chunks[:, il[l, BE_OFF]:il[l, BE_OFF] + cols], nc, cols, ws.partial[0], 0, 1.0)
            _sum_partials(ws.grad_chunks[:, il[l, G_OFF]:il[l, G_OFF] + cols], nc, cols, ws.partial[1], 0, 1.0)
            _for_chunks(np.int64(_BN_BACKWARD), l, n, chunk, layout, params, batch, loss_code, scale, ws, cap, mode)
        _for_chunks(np.int64(_LINEAR_BACKWARD), l, n, chunk, layout, params, batch, loss_code, scale, ws, cap, mode)
    return loss * scale


# What ``_for_chunks`` does to each chunk.
_LINEAR, _BN_SUM, _BN_CENTRED, _BN_NORMALISE, _CHUNK_PASS, _LOSS, _BN_GRAD, _BN_BACKWARD, _LINEAR_BACKWARD = range(9)


@kernel(inline="always")
def _chunk_op(op, l, c, r0, r1, n, layout, params, batch, loss_code, scale, ws, cap, mode):
    """Operation ``op`` on layer l (where it has one) for chunk c, rows [r0, r1) of n."""
    il, theta = layout.il, params.theta
    if op == _LINEAR:
        _linear(l, r0, r1, layout, params, batch.x, ws, cap, mode)
    elif op == _BN_SUM or op == _BN_CENTRED:
        _bn_partial(l, c, r0, r1, il, ws, cap, op == _BN_CENTRED)
    elif op == _BN_NORMALISE:
        _bn_normalise(l, r0, r1, layout, theta, ws, cap, mode)
    elif op == _CHUNK_PASS:
        _chunk_pass(c, r0, r1, layout, params, batch, loss_code, scale, ws, cap, mode)
    elif op == _LOSS:
        _loss(c, r0, r1, layout, loss_code, batch, scale, ws, cap)
    elif op == _BN_GRAD:
        _bn_grad_partial(l, c, r0, r1, il, theta, ws, cap)
    elif op == _BN_BACKWARD:
        _bn_backward(l, r0, r1, n, il, theta, ws, cap)
    else:
        _linear_backward(l, c, r0, r1, layout, theta, batch.x, ws, cap)


@kernel(parallel=True)
def _for_chunks(op, l, n, chunk, layout, params, batch, loss_code, scale, ws, cap, mode):
    """``_chunk_op`` on every chunk of the first n rows, in parallel: the only parallel loop of the passes, so
    that Numba compiles one parallel region for them all (each region is compiled with everything it calls:
    nine of them were two thirds of a first run's compile time)."""
    nc = (n + chunk - 1) // chunk
    if nc == 1:  # no parallel region for a lone chunk
        _chunk_op(op, l, np.int64(0), np.int64(0), n, n, layout, params, batch, loss_code, scale, ws, cap, mode)
        return
    for k in prange(nc):
        c = np.int64(k)
        _chunk_op(op, l, c, c * chunk, min(n, c * chunk + chunk), n, layout, params, batch, loss_code, scale, ws,
                  cap, mode)
