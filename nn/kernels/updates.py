"""Numba kernels of the optimizer update rules, one per rule, all with one signature:
``rule(theta, g, state, hyper, t, lr, mask) -> squared norm of the step``.

``state`` is a (3, n_params) array of the rule's moments, ``hyper`` = (beta1, beta2, eps, momentum,
weight_decay), ``t`` the 1-based step count (for bias correction) and ``mask`` marks the weights (decoupled
weight decay touches weights only). The classes in ``nn/optimizers.py`` name and configure these rows.
"""

import math

from numba import njit

BETA1, BETA2, EPS, MOMENTUM, WEIGHT_DECAY = range(5)


@njit(cache=True)
def sgd(theta, g, state, hyper, t, lr, mask):
    s2 = 0.0
    for i in range(theta.size):
        d = -lr * g[i]
        theta[i] += d
        s2 += d * d
    return s2


@njit(cache=True)
def momentum(theta, g, state, hyper, t, lr, mask):
    """v = mu v - lr g; theta += v."""
    mu = hyper[MOMENTUM]
    v = state[0]
    s2 = 0.0
    for i in range(theta.size):
        v[i] = mu * v[i] - lr * g[i]
        theta[i] += v[i]
        s2 += v[i] * v[i]
    return s2


@njit(cache=True)
def nesterov(theta, g, state, hyper, t, lr, mask):
    """v = mu v - lr g; theta += mu v - lr g (Sutskever et al. 2013, the form that needs no look-ahead)."""
    mu = hyper[MOMENTUM]
    v = state[0]
    s2 = 0.0
    for i in range(theta.size):
        v[i] = mu * v[i] - lr * g[i]
        d = mu * v[i] - lr * g[i]
        theta[i] += d
        s2 += d * d
    return s2


@njit(cache=True)
def adagrad(theta, g, state, hyper, t, lr, mask):
    """G += g^2; theta -= lr g / (sqrt(G) + eps)."""
    eps = hyper[EPS]
    acc = state[0]
    s2 = 0.0
    for i in range(theta.size):
        acc[i] += g[i] * g[i]
        d = -lr * g[i] / (math.sqrt(acc[i]) + eps)
        theta[i] += d
        s2 += d * d
    return s2


@njit(cache=True)
def rmsprop(theta, g, state, hyper, t, lr, mask):
    """s = rho s + (1 - rho) g^2 with rho = beta2; theta -= lr g / (sqrt(s) + eps)."""
    rho, eps = hyper[BETA2], hyper[EPS]
    s = state[0]
    s2 = 0.0
    for i in range(theta.size):
        s[i] = rho * s[i] + (1 - rho) * g[i] * g[i]
        d = -lr * g[i] / (math.sqrt(s[i]) + eps)
        theta[i] += d
        s2 += d * d
    return s2


@njit(cache=True, inline="always")
def _adam_like(theta, g, state, hyper, t, lr, mask, amsgrad, decay):
    """Adam with bias correction (Kingma & Ba 2015); AMSGrad keeps the running maximum of v (Reddi et al.
    2018, bias-corrected as in PyTorch); AdamW first shrinks weights by lr * weight_decay (Loshchilov &
    Hutter 2019)."""
    b1, b2, eps, wd = hyper[BETA1], hyper[BETA2], hyper[EPS], hyper[WEIGHT_DECAY]
    m, v, vmax = state[0], state[1], state[2]
    c1 = 1.0 - b1 ** t
    c2 = 1.0 - b2 ** t
    s2 = 0.0
    for i in range(theta.size):
        d = -lr * wd * theta[i] if decay and mask[i] else 0.0
        m[i] = b1 * m[i] + (1 - b1) * g[i]
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
        vhat = v[i]
        if amsgrad:
            vmax[i] = max(vmax[i], v[i])
            vhat = vmax[i]
        d -= lr * (m[i] / c1) / (math.sqrt(vhat / c2) + eps)
        theta[i] += d
        s2 += d * d
    return s2


@njit(cache=True)
def adam(theta, g, state, hyper, t, lr, mask):
    return _adam_like(theta, g, state, hyper, t, lr, mask, False, False)


@njit(cache=True)
def amsgrad(theta, g, state, hyper, t, lr, mask):
    return _adam_like(theta, g, state, hyper, t, lr, mask, True, False)


@njit(cache=True)
def adamw(theta, g, state, hyper, t, lr, mask):
    return _adam_like(theta, g, state, hyper, t, lr, mask, False, True)


UPDATE_TABLE = (sgd, momentum, nesterov, adagrad, rmsprop, adam, amsgrad, adamw)
