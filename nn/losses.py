"""Loss functions with their gradients, one row per loss, computed from the network's raw outputs (logits).

Every loss kernel has the signature ``loss(z, y, w, scale, dz) -> float``: ``z`` the outputs and ``y`` the
targets of a chunk of rows (2-D; one-hot rows for the classification losses), ``w`` the per-sample weights.
It returns ``sum_i w_i L_i`` and writes ``dz = scale * w_i * dL_i/dz``. Per-sample losses average over the
output columns, so a multi-output regression weighs every output equally.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from astromlp.nn.kernels.jit import kernel
from astromlp.nn.kernels.vexp import exp_nonpositive

_jit = kernel()

#: MAPE divides by |y|; targets this close to zero are refused at fit time rather than silently clipped.
MAPE_MIN_ABS_TARGET = 1e-12
#: Huber's switch from quadratic to linear, in target units.
HUBER_DELTA = 1.0


# The element functions are inlined into the loss that uses them (a call through a function pointer would
# stop Numba caching it).
_element = kernel(inline="always")


@_element
def _mean_over_outputs(f, z, y, w, scale, dz):
    """sum_i w_i mean_j f(z_ij, y_ij) for an element loss f returning (value, derivative in z)."""
    n, k = z.shape
    total = 0.0
    for i in range(n):
        s = 0.0
        for j in range(k):
            value, grad = f(z[i, j], y[i, j])
            s += value
            dz[i, j] = scale * w[i] * grad / k
        total += w[i] * s / k
    return total


@_element
def _sign(r):
    return 1.0 if r > 0 else (-1.0 if r < 0 else 0.0)


@_element
def _squared(z, y):
    r = z - y
    return r * r, 2.0 * r


@_element
def _absolute(z, y):
    return abs(z - y), _sign(z - y)


@_element
def _absolute_percentage(z, y):
    inv = 1.0 / abs(y)
    return abs(z - y) * inv, _sign(z - y) * inv


@_element
def _huber(z, y):
    r = z - y
    if abs(r) <= HUBER_DELTA:
        return 0.5 * r * r, r
    return HUBER_DELTA * (abs(r) - 0.5 * HUBER_DELTA), HUBER_DELTA * _sign(r)


@_element
def _binary_cross_entropy(z, y):
    """log(1 + e^-|z|) + max(z, 0) - z*y: the stable form of -y log s(z) - (1-y) log(1-s(z))."""
    p = 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))
    return max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z))), p - y


@_jit
def squared_error(z, y, w, scale, dz):
    return _mean_over_outputs(_squared, z, y, w, scale, dz)


@_jit
def absolute_error(z, y, w, scale, dz):
    return _mean_over_outputs(_absolute, z, y, w, scale, dz)


@_jit
def absolute_percentage_error(z, y, w, scale, dz):
    return _mean_over_outputs(_absolute_percentage, z, y, w, scale, dz)


@_jit
def huber(z, y, w, scale, dz):
    return _mean_over_outputs(_huber, z, y, w, scale, dz)


@_jit
def binary_cross_entropy(z, y, w, scale, dz):
    return _mean_over_outputs(_binary_cross_entropy, z, y, w, scale, dz)


@_jit
def softmax_cross_entropy(z, y, w, scale, dz):
    """logsumexp(z) - sum_j y_j z_j, with the row maximum subtracted before exponentiating. The exponentials
    are taken in one flat pass over the chunk, which vectorises; the per-row work comes before and after."""
    n, k = z.shape
    for i in range(n):
        m = _row_max(z, i)
        for j in range(k):
            dz[i, j] = z[i, j] - m
    e = dz.ravel()
    for t in range(e.size):
        e[t] = exp_nonpositive(e[t])
    total = 0.0
    for i in range(n):
        se = 0.0
        for j in range(k):
            se += dz[i, j]
        lse = _row_max(z, i) + math.log(se)
        s = 0.0
        sy = 0.0
        for j in range(k):
            s += y[i, j] * (lse - z[i, j])
            sy += y[i, j]
        ratio = sy / se  # sum(y) is 1 for one-hot rows; kept so soft labels get the exact gradient
        sw = scale * w[i]
        for j in range(k):
            dz[i, j] = sw * (ratio * dz[i, j] - y[i, j])
        total += w[i] * s
    return total


@_element
def _row_max(z, i):
    m = z[i, 0]
    for j in range(1, z.shape[1]):
        m = max(m, z[i, j])
    return m


@_jit
def _margin_loss(z, y, w, scale, dz, margin):
    """max(0, margin + max_{j != t} z_j - z_t) for one-hot targets t (Crammer-Singer)."""
    n, k = z.shape
    total = 0.0
    for i in range(n):
        t = 0
        for j in range(k):
            dz[i, j] = 0.0
            if y[i, j] > y[i, t]:
                t = j
        r = -1
        for j in range(k):
            if j != t and (r < 0 or z[i, j] > z[i, r]):
                r = j
        v = margin + z[i, r] - z[i, t]
        if v > 0:
            total += w[i] * v
            dz[i, r] = scale * w[i]
            dz[i, t] = -scale * w[i]
    return total


@_jit
def multiclass_hinge(z, y, w, scale, dz):
    return _margin_loss(z, y, w, scale, dz, 1.0)


@_jit
def perceptron(z, y, w, scale, dz):
    return _margin_loss(z, y, w, scale, dz, 0.0)


class Loss(NamedTuple):
    """One row: the kernel, the output link used for predictions, and the task it fits."""

    kernel: object
    link: str  # "identity", "sigmoid" or "softmax": how raw outputs become predictions
    task: str  # "regression" or "classification"


LOSSES: dict[str, Loss] = {
    "squared_error": Loss(squared_error, "identity", "regression"),
    "absolute_error": Loss(absolute_error, "identity", "regression"),
    "absolute_percentage_error": Loss(absolute_percentage_error, "identity", "regression"),
    "huber": Loss(huber, "identity", "regression"),
    "binary_cross_entropy": Loss(binary_cross_entropy, "sigmoid", "classification"),
    "softmax_cross_entropy": Loss(softmax_cross_entropy, "softmax", "classification"),
    "multiclass_hinge": Loss(multiclass_hinge, "softmax", "classification"),
    "perceptron": Loss(perceptron, "softmax", "classification"),
}

#: The names users meet in courses and in scikit-learn.
ALIASES = {"mse": "squared_error", "l2": "squared_error", "mae": "absolute_error", "l1": "absolute_error",
           "mape": "absolute_percentage_error", "log_loss": "softmax_cross_entropy",
           "cross_entropy": "softmax_cross_entropy", "hinge": "multiclass_hinge"}

LOSS_CODES: dict[str, int] = {name: i for i, name in enumerate(LOSSES)}
KERNEL_TABLE = tuple(row.kernel for row in LOSSES.values())
