"""The epoch loop in Numba: gather each minibatch, compute its gradient, add the penalty, update."""

import math

import numpy as np
from numba import prange

from astromlp.nn.kernels.interface import Batch, Params, Pass, row
from astromlp.nn.kernels.jit import kernel
from astromlp.nn.kernels.network import batch_gradient, reduce_chunks
from astromlp.nn.kernels.prefetch import prefetch_row
from astromlp.nn.kernels.rows import row_dispatch
from astromlp.nn.kernels.twins import serial_twin
from astromlp.nn.kernels.updates import UPDATE_TABLE, sum_squares


@kernel(inline="always")
def _apply_rule(rule, theta, g, state, hyper, t, lr, mask, l1, a, e):
    return rule(theta[a:e], g[a:e], state[0, a:e], state[1, a:e], state[2, a:e], hyper, t, lr, mask[a:e], l1)


_rule_row = row_dispatch("rule", UPDATE_TABLE, _apply_rule, returns=True)


@kernel()
def apply_update(rows, code, theta, g, state, hyper, t, lr, mask, l1, a, e):
    """Row ``code`` of the update table (among ``rows``) on parameters [a, e), with L1 ``l1`` as its proximal
    step; returns the squared norm of the step (and leaves the step in ``g``)."""
    return _rule_row(rows, code, theta, g, state, hyper, t, lr, mask, l1, a, e)


#: Parameters per block of the parallel update; fixed, so the norms' sums never depend on the thread count
#: (the updated weights do not depend on it at all). Large enough that a small network's update, a few
#: microseconds once vectorised, is not split into a parallel region that costs more to launch; small enough
#: that a block's parameters, gradients and moments stay in the core's cache between the update's passes, and
#: that the threads get shares of about equal size (threads take equal runs of blocks): the default benchmark
#: net's 5,059 parameters, Adam with L2 on 2 threads, took 22-24 us per batch in blocks of 4,096 (one thread
#: updating 4,096, the other 963), 21-23 us in blocks of 2,048 and 14-19 us in blocks of 1,024.
UPDATE_BLOCK = 1024


@kernel()
def _update_block(b, update, hyper, theta, moments, t, lr, gchunks, nc, grad, sums):
    """For a block of parameters: sum the chunks' gradients in chunk order, add the penalty, take the squared
    norm; then apply the rule (``update`` is an ``Update``; ``t`` the 1-based step, ``lr`` the rate)."""
    a = b * UPDATE_BLOCK
    e = min(theta.size, a + UPDATE_BLOCK)
    reduce_chunks(gchunks, nc, grad, a, e)
    sums[b, 2] = add_penalty(theta, grad, update.weight_mask, update.l1, update.l2, a, e)
    sums[b, 0] = sum_squares(grad[a:e])
    sums[b, 1] = apply_update(update.rows, update.rule, theta, grad, moments, hyper, t, lr, update.weight_mask,
                              update.l1, a, e)


@kernel(parallel=True)
def update_parameters(update, hyper, theta, moments, t, lr, gchunks, nc, grad, sums):
    """Reduce, penalise and update blocks of parameters in parallel; returns (penalty, |g|, |step|)."""
    nb = (theta.size + UPDATE_BLOCK - 1) // UPDATE_BLOCK
    if nb == 1:
        _update_block(np.int64(0), update, hyper, theta, moments, t, lr, gchunks, nc, grad, sums)
    else:
        for k in prange(nb):
            _update_block(np.int64(k), update, hyper, theta, moments, t, lr, gchunks, nc, grad, sums)
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
    """grad[a:e] += the derivative of l2/2 w^2 on the weights among them (``mask``); returns their elastic-net
    penalty l1 |w| + l2/2 w^2. L1 is not in the gradient: the update rule applies it as a proximal step."""
    if l1 == 0 and l2 == 0:
        return 0.0
    w = theta[a:e]
    g = grad[a:e]
    m = mask[a:e]
    for i in range(w.size):
        g[i] += m[i] * l2 * w[i]
    abs_sum, square_sum = _masked_norms(w, m)
    return l1 * abs_sum + 0.5 * l2 * square_sum


#: How many rows ahead the minibatch gather prefetches: enough misses in flight to hide memory's latency (a row
#: is copied every few nanoseconds, a miss takes about a hundred), few enough that a row is still in cache when its
#: turn comes.
PREFETCH_ROWS = 16


@kernel()
def _gather_batch(epoch, perm, start, stop, batch):
    """Copy the rows perm[start:stop] of the training set (inputs, targets, weights) into ``batch``; returns the
    sum of their weights, in row order. The rows lie scattered over the training set: a small network spent a
    sixth of its epoch waiting for them until each was prefetched while earlier ones were copied."""
    x, y, w = epoch.x, epoch.y, epoch.w
    nx, ny = x.shape[1], y.shape[1]
    last = perm.size - 1
    total = 0.0
    for r in range(stop - start):
        ahead = perm[min(start + r + PREFETCH_ROWS, last)]
        prefetch_row(x, ahead)
        prefetch_row(y, ahead)
        prefetch_row(w, ahead)
        row = perm[start + r]
        for j in range(nx):
            batch.x[r * nx + j] = x[row, j]
        for j in range(ny):
            batch.y[r * ny + j] = y[row, j]
        batch.w[r] = w[row]
        total += batch.w[r]
    return total


@kernel(nogil=True)
def run_epoch(layout, epoch, update, hyper, start, ws, scratch):
    """One pass of ``start`` over its row order in minibatches (records of ``kernels/interface.py``; ``hyper``
    is the optimizer's ``Hyper``; ``scratch`` holds the gathered minibatch and the summed gradient). Writes
    start.out = (mean objective, mean |grad|, mean |step|, batches); stops at the first non-finite objective,
    reporting it in out[0]."""
    theta, perm, out = start.theta, start.perm, start.out
    params = Params(theta, start.running_mean, start.running_var)
    batch = Batch(scratch.x, scratch.y, scratch.w)
    batch_size, chunk = epoch.batch_size, epoch.chunk
    n = perm.size
    n_batches = (n + batch_size - 1) // batch_size
    sums = np.zeros(((theta.size + UPDATE_BLOCK - 1) // UPDATE_BLOCK, 3))
    total = 0.0
    wtotal = 0.0
    gnorm = 0.0
    snorm = 0.0
    for b in range(n_batches):
        first = b * batch_size
        stop = min(n, first + batch_size)
        bw = _gather_batch(epoch, perm, first, stop, batch)
        if bw == 0:  # only zero-weight rows: nothing to learn from, no step
            continue
        loss = batch_gradient(layout, params, batch, stop - first, chunk, epoch.loss, ws,
                              Pass(True, True, start.seed, epoch.step0 + b))
        if not math.isfinite(loss):
            out[0] = loss
            out[3] = b + 1
            return
        nc = (stop - first + chunk - 1) // chunk
        pen, gn, sn = update_parameters(update, hyper, theta, start.moments, start.t0 + b + 1, start.lr, ws.grad_chunks,
                                        nc, scratch.grad, sums)
        loss += pen  # the penalty at the weights the gradient was taken at
        total += loss * bw
        wtotal += bw
        gnorm += gn
        snorm += sn
    out[0] = total / wtotal
    out[1] = gnorm / n_batches
    out[2] = snorm / n_batches
    out[3] = n_batches


run_epoch_serial = serial_twin(run_epoch)


@kernel(parallel=True)
def run_epoch_many(layout, epoch, update, hyper, starts, wss, scratches):
    """One epoch of every active start, one start per thread: ``starts``, ``wss`` and ``scratches`` are the
    records of ``run_epoch`` with a leading start axis on every field."""
    for k in prange(starts.theta.shape[0]):
        if starts.active[k]:
            run_epoch_serial(layout, epoch, update, hyper, row(starts, k), row(wss, k), row(scratches, k))
