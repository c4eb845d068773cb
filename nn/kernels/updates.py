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
    of ``tau |x|`` (0 when ``|x| <= tau``)."""
    return min(max(x, -tau), tau)


@kernel(inline="always")
def _apply(step, theta, g, s0, s1, s2, mask, k, l1):
    """theta += the rule's step for every parameter (``step(i, theta, g, s0, s1, s2, mask, k)`` returns it and
    the parameter's rate; ``k`` holds the rule's constants), then the L1 proximal step; leaves each step taken
    in ``g`` and returns its squared norm. The test of l1 is outside the loops: without L1 (the default) the
    loop has no clip and reads no mask, and still no second kernel is compiled."""
    if l1 == 0:
        for i in range(theta.size):
            d = step(i, theta, g, s0, s1, s2, mask, k)[0]
            theta[i] += d
            g[i] = d
    else:
        for i in range(theta.size):
            d, rate = step(i, theta, g, s0, s1, s2, mask, k)
            c = _clip(theta[i] + d, rate * l1 * mask[i])
            theta[i] += d - c
            g[i] = d - c
    return sum_squares(g)


@kernel(inline="always")
def _sgd_step(i, theta, g, s0, s1, s2, mask, k):
    lr = k[0]
    return -lr * g[i], lr


@kernel()
def sgd(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    return _apply(_sgd_step, theta, g, s0, s1, s2, mask, (lr,), l1)


@kernel(inline="always")
def _momentum_step(i, theta, g, s0, s1, s2, mask, k):
    mu, lr = k
    s0[i] = mu * s0[i] - lr * g[i]
    return s0[i], lr


@kernel()
def momentum(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    """v = mu v - lr g; theta += v."""
    return _apply(_momentum_step, theta, g, s0, s1, s2, mask, (hyper.momentum, lr), l1)


@kernel(inline="always")
def _nesterov_step(i, theta, g, s0, s1, s2, mask, k):
    mu, lr = k
    s0[i] = mu * s0[i] - lr * g[i]
    return mu * s0[i] - lr * g[i], lr


@kernel()
def nesterov(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    """v = mu v - lr g; theta += mu v - lr g (Sutskever et al. 2013, the form that needs no look-ahead)."""
    return _apply(_nesterov_step, theta, g, s0, s1, s2, mask, (hyper.momentum, lr), l1)


@kernel(inline="always")
def _adagrad_step(i, theta, g, s0, s1, s2, mask, k):
    eps, lr = k
    s0[i] += g[i] * g[i]
    rate = lr / (math.sqrt(s0[i]) + eps)
    return -rate * g[i], rate


@kernel()
def adagrad(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    """G += g^2; theta -= lr g / (sqrt(G) + eps)."""
    return _apply(_adagrad_step, theta, g, s0, s1, s2, mask, (hyper.eps, lr), l1)


@kernel(inline="always")
def _rmsprop_step(i, theta, g, s0, s1, s2, mask, k):
    rho, eps, lr = k
    s0[i] = rho * s0[i] + (1 - rho) * g[i] * g[i]
    rate = lr / (math.sqrt(s0[i]) + eps)
    return -rate * g[i], rate


@kernel()
def rmsprop(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    """s = rho s + (1 - rho) g^2; theta -= lr g / (sqrt(s) + eps) (Hinton's lecture 6e; rho its own
    hyperparameter, 0.9 there, not Adam's beta2)."""
    return _apply(_rmsprop_step, theta, g, s0, s1, s2, mask, (hyper.rho, hyper.eps, lr), l1)


@kernel(inline="always")
def _adam_like(i, theta, g, m, v, vmax, mask, k, amsgrad, decay):
    """Adam with bias correction (Kingma & Ba 2015); AMSGrad keeps the running maximum of v (Reddi et al.
    2018, bias-corrected as in PyTorch); AdamW first shrinks weights by lr * weight_decay (Loshchilov &
    Hutter 2019). The rate that divides m is also the L1 threshold's."""
    b1, b2, eps, shrink, r1, r2 = k
    d = -shrink * theta[i] if decay and mask[i] else 0.0
    m[i] = b1 * m[i] + (1 - b1) * g[i]
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
    vhat = v[i]
    if amsgrad:
        vmax[i] = max(vmax[i], v[i])
        vhat = vmax[i]
    rate = r1 / (math.sqrt(vhat * r2) + eps)
    return d - rate * m[i], rate


@kernel(inline="always")
def _adam_constants(hyper, t, lr):
    """beta1, beta2, eps, the weight-decay factor and the bias corrections as factors (a division per element
    is what costs)."""
    b1, b2 = hyper.beta1, hyper.beta2
    return b1, b2, hyper.eps, lr * hyper.weight_decay, lr / (1.0 - b1 ** t), 1.0 / (1.0 - b2 ** t)


@kernel(inline="always")
def _adam_step(i, theta, g, s0, s1, s2, mask, k):
    return _adam_like(i, theta, g, s0, s1, s2, mask, k, False, False)


@kernel(inline="always")
def _amsgrad_step(i, theta, g, s0, s1, s2, mask, k):
    return _adam_like(i, theta, g, s0, s1, s2, mask, k, True, False)


@kernel(inline="always")
def _adamw_step(i, theta, g, s0, s1, s2, mask, k):
    return _adam_like(i, theta, g, s0, s1, s2, mask, k, False, True)


@kernel()
def adam(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    return _apply(_adam_step, theta, g, s0, s1, s2, mask, _adam_constants(hyper, t, lr), l1)


@kernel()
def amsgrad(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    return _apply(_amsgrad_step, theta, g, s0, s1, s2, mask, _adam_constants(hyper, t, lr), l1)


@kernel()
def adamw(theta, g, s0, s1, s2, hyper, t, lr, mask, l1):
    return _apply(_adamw_step, theta, g, s0, s1, s2, mask, _adam_constants(hyper, t, lr), l1)


UPDATE_TABLE = (sgd, momentum, nesterov, adagrad, rmsprop, adam, amsgrad, adamw)
#: rule name -> its code, the row of UPDATE_TABLE that ``apply_update`` runs for it.
UPDATE_CODES = {rule.py_func.__name__: code for code, rule in enumerate(UPDATE_TABLE)}
