"""The epoch loop in Numba: gather each minibatch, compute its gradient, add the penalty, update."""

import math

import numpy as np
from numba import literal_unroll, prange

from astromlp.nn.kernels.jit import kernel
from astromlp.nn.kernels.network import batch_gradient, batch_gradient_serial, reduce_chunks
from astromlp.nn.kernels.twins import serial_twin
from astromlp.nn.kernels.updates import UPDATE_TABLE, sum_squares


@kernel()
def apply_update(code, theta, g, state, hyper, t, lr, mask, a, e):
    """Row ``code`` of the update table on parameters [a, e); returns the squared norm of the step (and
    leaves the step in ``g``)."""
    k = 0
    s2 = 0.0
    for rule in literal_unroll(UPDATE_TABLE):
        if k == code:
            s2 = rule(theta[a:e], g[a:e], state[0, a:e], state[1, a:e], state[2, a:e], hyper, t, lr, mask[a:e])
        k += 1
    return s2


#: Parameters per block of the parallel update; fixed, so the norms' sums never depend on the thread count
#: (the updated weights do not depend on it at all). Large enough that a small network's update, a few
#: microseconds once vectorised, is not split into a parallel region that costs more to launch; small enough
#: that a block's parameters, gradients and moments stay in the core's cache between the update's passes
#: (the large benchmark net's update: 122 us per batch with blocks of 16,384, 107 us with 4,096).
UPDATE_BLOCK = 4096


@kernel()
def _update_block(b, code, theta, gchunks, nc, grad, state, hyper, t, lr, mask, l1, l2, sums):
    """For a block of parameters: sum the chunks' gradients in chunk order, add the penalty, take the squared
    norm; then apply the rule."""
    a = b * UPDATE_BLOCK
    e = min(theta.size, a + UPDATE_BLOCK)
    reduce_chunks(gchunks, nc, grad, a, e)
    sums[b, 2] = add_penalty(theta, grad, mask, l1, l2, a, e)
    sums[b, 0] = sum_squares(grad[a:e])
    sums[b, 1] = apply_update(code, theta, grad, state, hyper, t, lr, mask, a, e)


@kernel(parallel=True)
def update_parameters(code, theta, gchunks, nc, grad, state, hyper, t, lr, mask, l1, l2, sums):
    """Reduce, penalise and update blocks of parameters in parallel; returns (penalty, |g|, |step|)."""
    nb = (theta.size + UPDATE_BLOCK - 1) // UPDATE_BLOCK
    if nb == 1:
        _update_block(0, code, theta, gchunks, nc, grad, state, hyper, t, lr, mask, l1, l2, sums)
    else:
        for b in prange(nb):
            _update_block(b, code, theta, gchunks, nc, grad, state, hyper, t, lr, mask, l1, l2, sums)
    pen = 0.0
    g2 = 0.0
    s2 = 0.0
    for b in range(nb):
        pen += sums[b, 2]
        g2 += sums[b, 0]
        s2 += sums[b, 1]
    return pen, math.sqrt(g2), math.sqrt(s2)


@kernel(inline="always")
def _masked_norms(w, m):
    """(sum |w_i|, sum w_i^2) over the entries with m_i set, each summed in four interleaved lanes: no
    branch and no single chain of additions, so the loop vectorises."""
    n4 = w.size - w.size % 4
    s0 = s1 = s2 = s3 = 0.0
    q0 = q1 = q2 = q3 = 0.0
    for i in range(0, n4, 4):
        x0, x1, x2, x3 = m[i] * w[i], m[i + 1] * w[i + 1], m[i + 2] * w[i + 2], m[i + 3] * w[i + 3]
        s0 += abs(x0)
        s1 += abs(x1)
        s2 += abs(x2)
        s3 += abs(x3)
        q0 += x0 * x0
        q1 += x1 * x1
        q2 += x2 * x2
        q3 += x3 * x3
    s = (s0 + s1) + (s2 + s3)
    q = (q0 + q1) + (q2 + q3)
    for i in range(n4, w.size):
        x = m[i] * w[i]
        s += abs(x)
        q += x * x
    return s, q


@kernel()
def add_penalty(theta, grad, mask, l1, l2, a, e):
    """grad[a:e] += the derivative of the elastic-net penalty l1 |w| + l2/2 w^2 on the weights among them
    (``mask``); returns their penalty."""
    if l1 == 0 and l2 == 0:
        return 0.0
    w = theta[a:e]
    g = grad[a:e]
    m = mask[a:e]
    for i in range(w.size):
        g[i] += m[i] * (l1 * np.sign(w[i]) + l2 * w[i])
    abs_sum, square_sum = _masked_norms(w, m)
    return l1 * abs_sum + 0.5 * l2 * square_sum


@kernel()
def _gather(src, idx, start, stop, dst):
    width = src.shape[1]
    for r in range(stop - start):
        row = idx[start + r]
        for j in range(width):
            dst[r * width + j] = src[row, j]


@kernel(nogil=True)
def run_epoch(il, fl, theta, rm, rv, X, Y, w, perm, batch_size, chunk, loss_code, ws, xbuf, ybuf, wbuf, grad,
              opt_code, opt_state, hyper, lr, t0, mask, l1, l2, seed, step0, out):
    """One pass over ``perm`` in minibatches. out = (mean objective, mean |grad|, mean |step|, batches);
    stops at the first non-finite objective, reporting it in out[0]."""
    n = perm.size
    n_batches = (n + batch_size - 1) // batch_size
    sums = np.zeros(((theta.size + UPDATE_BLOCK - 1) // UPDATE_BLOCK, 3))
    total = 0.0
    wtotal = 0.0
    gnorm = 0.0
    snorm = 0.0
    for b in range(n_batches):
        start = b * batch_size
        stop = min(n, start + batch_size)
        _gather(X, perm, start, stop, xbuf)
        _gather(Y, perm, start, stop, ybuf)
        bw = 0.0
        for r in range(stop - start):
            wbuf[r] = w[perm[start + r]]
            bw += wbuf[r]
        if bw == 0:  # only zero-weight rows: nothing to learn from, no step
            continue
        loss = batch_gradient(il, fl, theta, rm, rv, xbuf, ybuf, wbuf, stop - start, chunk, loss_code, ws, True,
                              seed, step0 + b)
        if not math.isfinite(loss):
            out[0] = loss
            out[3] = b + 1
            return
        nc = (stop - start + chunk - 1) // chunk
        pen, gn, sn = update_parameters(opt_code, theta, ws[10], nc, grad, opt_state, hyper, t0 + b + 1, lr, mask,
                                        l1, l2, sums)
        loss += pen  # the penalty at the weights the gradient was taken at
        total += loss * bw
        wtotal += bw
        gnorm += gn
        snorm += sn
    out[0] = total / wtotal
    out[1] = gnorm / n_batches
    out[2] = snorm / n_batches
    out[3] = n_batches


update_parameters_serial = serial_twin(update_parameters)
run_epoch_serial = serial_twin(run_epoch, batch_gradient=batch_gradient_serial,
                               update_parameters=update_parameters_serial)


@kernel(parallel=True)
def run_epoch_many(active, il, fl, thetas, rms, rvs, X, Y, w, perms, batch_size, chunk, loss_code, wss, xbufs,
                   ybufs, wbufs, grads, opt_code, opt_states, hyper, lrs, t0s, mask, l1, l2, seeds, step0, outs):
    """One epoch of every active start, one start per thread: arrays carry a leading start axis, and
    ``wss`` is the workspace tuple with that axis on each member."""
    for k in prange(thetas.shape[0]):
        if active[k]:
            ws = (wss[0][k], wss[1][k], wss[2][k], wss[3][k], wss[4][k], wss[5][k], wss[6][k], wss[7][k],
                  wss[8][k], wss[9][k], wss[10][k], wss[11][k])
            run_epoch_serial(il, fl, thetas[k], rms[k], rvs[k], X, Y, w, perms[k], batch_size, chunk, loss_code,
                             ws, xbufs[k], ybufs[k], wbufs[k], grads[k], opt_code, opt_states[k], hyper, lrs[k],
                             t0s[k], mask, l1, l2, seeds[k], step0, outs[k])
