"""Numba kernels of the optimizer update rules, one per rule, all with one signature:
``rule(theta, g, s0, s1, s2, hyper, t, lr, mask, l1) -> squared norm of the step``; each overwrites ``g`` with
the step it took, so that its loop carries no sum and vectorises (the norm is summed after, in fixed lanes).
Each then applies the L1 penalty ``l1 |w|`` on the weights as a proximal step (soft thresholding by the rule's
own per-parameter step times ``l1``), so that weights whose gradient stays below ``l1`` land on exactly 0 and
stay there, which a subgradient ``l1 sign(w)`` in ``g`` never does.
s0, s1, s2 are the rows of the optimizer's (3, n_params) moments, passed one by one: 1-D slices stay
contiguous for LLVM, a 2-D slice would not.

``hyper`` is a ``Hyper`` record (``kernels/interface.py``), ``t`` the 1-based step count (for bias correction)
and ``mask`` marks the weights (decoupled weight decay touches weights only). The classes in
``nn/optimizers.py`` name and configure these rows; a row's code is its place in ``UPDATE_TABLE``
(``UPDATE_CODES``), never written by hand.
"""

import math

from astromlp.nn.kernels.jit import kernel


@kernel(inline="always")
def sum_squares(x):
    """sum of x^2 in four interleaved lanes: vectorisable, and the same order whatever the thread count."""
    n4 = x.size - x.size % 4
    a0 = a1 = a2 = a3 = 0.0
    for i in range(0, n4, 4):
        a0 += x[i] * x[i]
        a1 += x[i + 1] * x[i + 1]
        a2 += x[i + 2] * x[i + 2]
        a3 += x[i + 3] * x[i + 3]
    total = (a0 + a1) + (a2 + a3)
    for i in range(n4, x.size):
        total += x[i] * x[i]
    return total


@kernel(inline="always")
def _clip(x, tau):
    """The part of ``x`` that soft thresholding by ``tau`` removes: ``x - _clip(x, tau)`` is the proximal step
    of ``tau |x|`` (0 when ``|x| <= tau``). With tau = 0 it is 0, so theta and the step are bit-identical to
    the rule without L1."""
    return min(max(x, -tau), tau)


@kernel()
def sgd(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    for i in range(theta.size):
        d = -lr * g[i]
        c = _clip(theta[i] + d, lr * l1 * mask[i])
        theta[i] += d - c
        g[i] = d - c
    return sum_squares(g)


@kernel()
def momentum(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    """v = mu v - lr g; theta += v."""
    mu = hyper.momentum
    v = s0
    for i in range(theta.size):
        v[i] = mu * v[i] - lr * g[i]
        c = _clip(theta[i] + v[i], lr * l1 * mask[i])
        theta[i] += v[i] - c
        g[i] = v[i] - c
    return sum_squares(g)


@kernel()
def nesterov(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    """v = mu v - lr g; theta += mu v - lr g (Sutskever et al. 2013, the form that needs no look-ahead)."""
    mu = hyper.momentum
    v = s0
    for i in range(theta.size):
        v[i] = mu * v[i] - lr * g[i]
        d = mu * v[i] - lr * g[i]
        c = _clip(theta[i] + d, lr * l1 * mask[i])
        theta[i] += d - c
        g[i] = d - c
    return sum_squares(g)


@kernel()
def adagrad(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    """G += g^2; theta -= lr g / (sqrt(G) + eps)."""
    eps = hyper.eps
    acc = s0
    for i in range(theta.size):
        acc[i] += g[i] * g[i]
        rate = lr / (math.sqrt(acc[i]) + eps)
        d = -rate * g[i]
        c = _clip(theta[i] + d, rate * l1 * mask[i])
        theta[i] += d - c
        g[i] = d - c
    return sum_squares(g)


@kernel()
def rmsprop(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    """s = rho s + (1 - rho) g^2; theta -= lr g / (sqrt(s) + eps) (Hinton's lecture 6e; rho its own
    hyperparameter, 0.9 there, not Adam's beta2)."""
    rho, eps = hyper.rho, hyper.eps
    s = s0
    for i in range(theta.size):
        s[i] = rho * s[i] + (1 - rho) * g[i] * g[i]
        rate = lr / (math.sqrt(s[i]) + eps)
        d = -rate * g[i]
        c = _clip(theta[i] + d, rate * l1 * mask[i])
        theta[i] += d - c
        g[i] = d - c
    return sum_squares(g)


@kernel(inline="always")
def _adam_like(theta, g, s0, s1, s2, hyper, t, lr, mask, l1, amsgrad, decay):
    """Adam with bias correction (Kingma & Ba 2015); AMSGrad keeps the running maximum of v (Reddi et al.
    2018, bias-corrected as in PyTorch); AdamW first shrinks weights by lr * weight_decay (Loshchilov &
    Hutter 2019). The L1 threshold is l1 times the per-parameter rate that divides m."""
    b1, b2, eps, wd = hyper.beta1, hyper.beta2, hyper.eps, hyper.weight_decay
    m, v, vmax = s0, s1, s2
    r1 = lr / (1.0 - b1 ** t)  # the bias corrections as factors: a division per element is what costs
    r2 = 1.0 / (1.0 - b2 ** t)
    for i in range(theta.size):
        d = -lr * wd * theta[i] if decay and mask[i] else 0.0
        m[i] = b1 * m[i] + (1 - b1) * g[i]
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
        vhat = v[i]
        if amsgrad:
            vmax[i] = max(vmax[i], v[i])
            vhat = vmax[i]
        rate = r1 / (math.sqrt(vhat * r2) + eps)
        d -= rate * m[i]
        c = _clip(theta[i] + d, rate * l1 * mask[i])
        theta[i] += d - c
        g[i] = d - c
    return sum_squares(g)


@kernel()
def adam(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    return _adam_like(theta, g, s0, s1, s2, hyper, t, lr, mask, l1, False, False)


@kernel()
def amsgrad(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    return _adam_like(theta, g, s0, s1, s2, hyper, t, lr, mask, l1, True, False)


@kernel()
def adamw(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    return _adam_like(theta, g, s0, s1, s2, hyper, t, lr, mask, l1, False, True)


UPDATE_TABLE = (sgd, momentum, nesterov, adagrad, rmsprop, adam, amsgrad, adamw)
#: rule name -> its code, the row of UPDATE_TABLE that ``apply_update`` runs for it.
UPDATE_CODES = {rule.py_func.__name__: code for code, rule in enumerate(UPDATE_TABLE)}
