"""Forward and backward passes of a minibatch, split into fixed-size chunks of rows.

Chunks run in parallel (``prange``) and every sum over rows is taken per chunk, then over chunks in chunk
order, so the result depends on the chunk size but never on the number of threads. Matrix products go
through BLAS (``np.dot`` into preallocated views); the caller pins BLAS to one thread (see ``nn/threads.py``).

Buffers are flat 1-D arrays; a layer's rows ``[r0, r1)`` are a contiguous view (``_rows``). ``ws`` is the
workspace tuple made by ``nn/workspace.py``: (h, z, a, mask, argmax, da, dh, bn_mean, bn_invstd, partial,
grad_chunks, loss_chunks).
"""

import math

import numpy as np
from numba import literal_unroll, prange

from astromlp.nn.kernels.elementwise import activate, activation_backward
from astromlp.nn.kernels.jit import kernel
from astromlp.nn.kernels.splitmix import GOLDEN, mix
from astromlp.nn.kernels.twins import serial_twin
from astromlp.nn.layers import (
    ACT,
    ALPHA,
    B_OFF,
    BE_OFF,
    BN_EPS,
    BN_MOMENTUM,
    CUM_COLS,
    CUM_UNITS,
    DROPOUT,
    G_OFF,
    HAS_BN,
    N_IN,
    N_UNITS,
    PIECES,
    STAT_OFF,
    W_OFF,
)
from astromlp.nn.losses import KERNEL_TABLE


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
    x ^= np.uint64(layer * 1000003 + row) * np.uint64(0x94D049BB133111EB)
    x ^= np.uint64(col) * np.uint64(0xD6E8FEB86659FD93)
    return (mix(x) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@kernel()
def _finish(l, r0, r1, il, fl, ws, cap, training, seed, step):
    """From the pre-activation h of a hidden layer to its output a: activation or maxout, then dropout."""
    hbuf, _, abuf, mbuf, ibuf = ws[0], ws[1], ws[2], ws[3], ws[4]
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
    else:
        activate(il[l, ACT], h, a, fl[l, ALPHA])
    rate = fl[l, DROPOUT]
    if training and rate > 0:
        m = _rows(mbuf, il[l, CUM_UNITS] * cap, r0, r1, units)
        keep = 1.0 / (1.0 - rate)
        for i in range(r1 - r0):
            for j in range(units):
                m[i, j] = 0.0 if _uniform(seed, step, l, r0 + i, j) < rate else keep
                a[i, j] *= m[i, j]


@kernel()
def _linear(l, r0, r1, il, fl, theta, rm, rv, xbuf, ws, cap, training, seed, step):
    """h = a_in W + b; with batch norm at evaluation, h = gamma (a_in W - mean) / std + beta from the
    running statistics; at training the linear output goes to z and normalisation waits for batch stats."""
    hbuf, zbuf, abuf = ws[0], ws[1], ws[2]
    cols = _cols(il, l)
    a_in = _input(il, l, r0, r1, xbuf, abuf, cap)
    bn = il[l, HAS_BN] == 1
    if bn and training:
        np.dot(a_in, _weights(il, theta, l), _rows(zbuf, il[l, CUM_COLS] * cap, r0, r1, cols))
        return
    h = _rows(hbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    np.dot(a_in, _weights(il, theta, l), h)
    if bn:
        g, be, s = il[l, G_OFF], il[l, BE_OFF], il[l, STAT_OFF]
        eps = fl[l, BN_EPS]
        for j in range(cols):
            scale = theta[g + j] / math.sqrt(rv[s + j] + eps)
            shift = theta[be + j] - scale * rm[s + j]
            for i in range(r1 - r0):
                h[i, j] = h[i, j] * scale + shift
    else:
        bias = theta[il[l, B_OFF]:il[l, B_OFF] + cols]  # a slice, not theta[b + j]: only then does it vectorise
        for i in range(r1 - r0):
            for j in range(cols):
                h[i, j] += bias[j]
    if l < il.shape[0] - 1:
        _finish(l, r0, r1, il, fl, ws, cap, training, seed, step)


@kernel(inline="always")
def _bn_vectors(l, il, theta, ws):
    """Layer l's gamma, beta, batch mean and 1/std as slices: indexing theta[g + j] in a loop keeps LLVM
    from vectorising it, a slice does not."""
    cols = _cols(il, l)
    g, be, s = il[l, G_OFF], il[l, BE_OFF], il[l, STAT_OFF]
    return theta[g:g + cols], theta[be:be + cols], ws[7][s:s + cols], ws[8][s:s + cols]


@kernel()
def _bn_partial(l, c, r0, r1, il, ws, cap, centre):
    """partial[c] = sum over the chunk's rows of z, or of (z - mean)^2 when ``centre``."""
    zbuf, mean, partial = ws[1], ws[7], ws[9]
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
def _bn_normalise(l, r0, r1, il, fl, theta, ws, cap, seed, step):
    """h = gamma * (z - batch mean) * invstd + beta, then the layer's activation and dropout."""
    hbuf, zbuf = ws[0], ws[1]
    cols = _cols(il, l)
    gamma, beta, mu, istd = _bn_vectors(l, il, theta, ws)
    z = _rows(zbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    h = _rows(hbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    for i in range(r1 - r0):
        for j in range(cols):
            h[i, j] = gamma[j] * (z[i, j] - mu[j]) * istd[j] + beta[j]
    if l < il.shape[0] - 1:
        _finish(l, r0, r1, il, fl, ws, cap, True, seed, step)


@kernel()
def _sum_partials(partial, nc, cols, out, out_off, scale):
    """out[out_off + j] = scale * sum_c partial[c, j], summed in chunk order."""
    for j in range(cols):
        acc = 0.0
        for c in range(nc):
            acc += partial[c, j]
        out[out_off + j] = acc * scale


@kernel(parallel=True)
def _batch_stats(l, n, chunk, il, fl, rm, rv, ws, cap, update_running):
    """Batch mean and 1/std of layer l's linear output (two passes), and the running statistics."""
    mean, invstd, partial = ws[7], ws[8], ws[9]
    nc = (n + chunk - 1) // chunk
    cols = _cols(il, l)
    s = il[l, STAT_OFF]
    for centre in (False, True):
        for c in prange(nc):
            _bn_partial(l, c, c * chunk, min(n, c * chunk + chunk), il, ws, cap, centre)
        _sum_partials(partial, nc, cols, invstd if centre else mean, s, 1.0 / n)
    momentum = fl[l, BN_MOMENTUM]
    for j in range(cols):
        var = invstd[s + j]
        if update_running:
            rm[s + j] = (1 - momentum) * rm[s + j] + momentum * mean[s + j]
            rv[s + j] = (1 - momentum) * rv[s + j] + momentum * var * n / max(n - 1, 1)
        invstd[s + j] = 1.0 / math.sqrt(var + fl[l, BN_EPS])


@kernel(parallel=True)
def forward(il, fl, theta, rm, rv, xbuf, n, chunk, ws, training, update_running, seed, step):
    """Forward pass of the first n rows of xbuf; the outputs are the last layer's rows of h."""
    cap = _capacity(il, ws[2])
    nc = (n + chunk - 1) // chunk
    for l in range(il.shape[0]):
        if nc == 1:
            _linear(l, 0, n, il, fl, theta, rm, rv, xbuf, ws, cap, training, seed, step)
        else:
            for c in prange(nc):
                _linear(l, c * chunk, min(n, c * chunk + chunk), il, fl, theta, rm, rv, xbuf, ws, cap,
                        training, seed, step)
        if il[l, HAS_BN] == 1 and training:
            _batch_stats(l, n, chunk, il, fl, rm, rv, ws, cap, update_running)
            for c in prange(nc):
                _bn_normalise(l, c * chunk, min(n, c * chunk + chunk), il, fl, theta, ws, cap, seed, step)


@kernel()
def loss_chunk(code, z, y, w, scale, dz):
    """Row ``code`` of the loss table applied to one chunk: returns sum w L, writes dz."""
    k = 0
    total = 0.0
    for f in literal_unroll(KERNEL_TABLE):
        if k == code:
            total = f(z, y, w, scale, dz)
        k += 1
    return total


@kernel()
def _loss(c, r0, r1, il, loss_code, ybuf, wbuf, scale, ws, cap):
    hbuf, dhbuf, closs = ws[0], ws[6], ws[11]
    last = il.shape[0] - 1
    k = il[last, N_UNITS]
    base = il[last, CUM_COLS] * cap
    closs[c] = loss_chunk(loss_code, _rows(hbuf, base, r0, r1, k), _rows(ybuf, 0, r0, r1, k),
                          wbuf[r0:r1], scale, _rows(dhbuf, base, r0, r1, k))


@kernel()
def _bn_grad_partial(l, c, r0, r1, il, theta, ws, cap):
    """Chunk c's share of dgamma = sum dh * xhat and dbeta = sum dh, into its gradient row."""
    zbuf, dhbuf, gchunks = ws[1], ws[6], ws[10]
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
    zbuf, dhbuf, partial = ws[1], ws[6], ws[9]
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
def _linear_backward(l, c, r0, r1, il, fl, theta, xbuf, ws, cap):
    """Chunk c's share of dW and db into its gradient row, then dh of the layer below."""
    abuf, mbuf, ibuf, dabuf, dhbuf, gchunks = ws[2], ws[3], ws[4], ws[5], ws[6], ws[10]
    cols = _cols(il, l)
    n_in = il[l, N_IN]
    dz = _rows(dhbuf, il[l, CUM_COLS] * cap, r0, r1, cols)
    a_in = _input(il, l, r0, r1, xbuf, abuf, cap)
    grow = gchunks[c]
    np.dot(a_in.T, dz, grow[il[l, W_OFF]:il[l, W_OFF] + n_in * cols].reshape((n_in, cols)))
    if il[l, HAS_BN] == 0:
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
    np.dot(dz, _weights(il, theta, l).T, da)
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
    else:
        h = _rows(ws[0], il[p, CUM_COLS] * cap, r0, r1, _cols(il, p))
        activation_backward(il[p, ACT], h, a, da, dh, fl[p, ALPHA], m, masked)


@kernel()
def _chunk_pass(c, r0, r1, il, fl, theta, rm, rv, xbuf, ybuf, wbuf, loss_code, scale, ws, cap, seed, step):
    """Forward, loss and backward of one chunk, for networks without batch norm."""
    for l in range(il.shape[0]):
        _linear(l, r0, r1, il, fl, theta, rm, rv, xbuf, ws, cap, True, seed, step)
    _loss(c, r0, r1, il, loss_code, ybuf, wbuf, scale, ws, cap)
    for l in range(il.shape[0] - 1, -1, -1):
        _linear_backward(l, c, r0, r1, il, fl, theta, xbuf, ws, cap)


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


@kernel(parallel=True)
def batch_gradient(il, fl, theta, rm, rv, xbuf, ybuf, wbuf, n, chunk, loss_code, ws, update_running, seed, step):
    """Weighted mean loss of the first n rows; its gradient stays split by chunk in the workspace (row c of
    ``ws[10]`` for chunk c) until ``reduce_chunks`` or the fused update sums it in chunk order."""
    cap = _capacity(il, ws[2])
    nc = (n + chunk - 1) // chunk
    wsum = 0.0
    for i in range(n):
        wsum += wbuf[i]
    scale = 1.0 / wsum if wsum > 0 else 0.0  # a batch of zero-weight rows has zero loss and gradient
    if il[:, HAS_BN].sum() == 0:  # no batch statistics to wait for: each chunk goes down and back up alone
        if nc == 1:
            _chunk_pass(0, 0, n, il, fl, theta, rm, rv, xbuf, ybuf, wbuf, loss_code, scale, ws, cap, seed, step)
        else:
            for c in prange(nc):
                _chunk_pass(c, c * chunk, min(n, c * chunk + chunk), il, fl, theta, rm, rv, xbuf, ybuf, wbuf,
                            loss_code, scale, ws, cap, seed, step)
        return _sum_losses(ws[11], nc) * scale
    forward(il, fl, theta, rm, rv, xbuf, n, chunk, ws, True, update_running, seed, step)
    for c in prange(nc):
        _loss(c, c * chunk, min(n, c * chunk + chunk), il, loss_code, ybuf, wbuf, scale, ws, cap)
    loss = _sum_losses(ws[11], nc)
    for l in range(il.shape[0] - 1, -1, -1):
        if il[l, HAS_BN] == 1:
            for c in prange(nc):
                _bn_grad_partial(l, c, c * chunk, min(n, c * chunk + chunk), il, theta, ws, cap)
            cols = _cols(il, l)
            _sum_partials(ws[10][:, il[l, BE_OFF]:il[l, BE_OFF] + cols], nc, cols, ws[9][0], 0, 1.0)
            _sum_partials(ws[10][:, il[l, G_OFF]:il[l, G_OFF] + cols], nc, cols, ws[9][1], 0, 1.0)
            for c in prange(nc):
                _bn_backward(l, c * chunk, min(n, c * chunk + chunk), n, il, theta, ws, cap)
        if nc == 1:
            _linear_backward(l, 0, 0, n, il, fl, theta, xbuf, ws, cap)
        else:
            for c in prange(nc):
                _linear_backward(l, c, c * chunk, min(n, c * chunk + chunk), il, fl, theta, xbuf, ws, cap)
    return loss * scale


_batch_stats_serial = serial_twin(_batch_stats)
forward_serial = serial_twin(forward, _batch_stats=_batch_stats_serial)
batch_gradient_serial = serial_twin(batch_gradient, forward=forward_serial)
