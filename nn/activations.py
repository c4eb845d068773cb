"""Activation functions with their derivatives side by side, one row per activation.

Each value/derivative pair is a scalar Numba function; kernels apply a row by its index in ``ACTIVATIONS``
(see ``kernels/elementwise.py``), so adding an activation is adding a row here and its test.
``derivative(x, y, alpha)`` receives the pre-activation ``x`` and the activation value ``y = value(x)``,
so that sigmoid and tanh reuse ``y`` instead of recomputing exponentials.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from astromlp.nn.kernels.jit import kernel

# Inlined into the kernels that unroll the table: a call through a function pointer would stop Numba caching them.
_jit = kernel(inline="always")


@_jit
def identity(x, alpha):
    return x


@_jit
def d_identity(x, y, alpha):
    return 1.0


@_jit
def sigmoid(x, alpha):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@_jit
def d_sigmoid(x, y, alpha):
    return y * (1.0 - y)


@_jit
def tanh(x, alpha):
    return math.tanh(x)


@_jit
def d_tanh(x, y, alpha):
    return 1.0 - y * y


@_jit
def relu(x, alpha):
    return x if x > 0 else 0.0 * x


@_jit
def d_relu(x, y, alpha):
    return 1.0 if x > 0 else 0.0


@_jit
def leaky_relu(x, alpha):
    return x if x > 0 else alpha * x


@_jit
def d_leaky_relu(x, y, alpha):
    return 1.0 if x > 0 else alpha


@_jit
def elu(x, alpha):
    return x if x > 0 else alpha * math.expm1(x)


@_jit
def d_elu(x, y, alpha):
    return 1.0 if x > 0 else y + alpha


@_jit
def softplus(x, alpha):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


@_jit
def d_softplus(x, y, alpha):
    return sigmoid(x, alpha)


@_jit
def softsign(x, alpha):
    return x / (1.0 + abs(x))


@_jit
def d_softsign(x, y, alpha):
    d = 1.0 + abs(x)
    return 1.0 / (d * d)


@_jit
def arctan(x, alpha):
    return math.atan(x)


@_jit
def d_arctan(x, y, alpha):
    return 1.0 / (1.0 + x * x)


@_jit
def isru(x, alpha):
    """Inverse square root unit (Carlile et al. 2017): x / sqrt(1 + alpha x^2), saturating at +-1/sqrt(alpha)."""
    return x / math.sqrt(1.0 + alpha * x * x)


@_jit
def d_isru(x, y, alpha):
    r = 1.0 / math.sqrt(1.0 + alpha * x * x)
    return r * r * r


@_jit
def isrlu(x, alpha):
    """Inverse square root linear unit: x for x >= 0, ISRU below (an ELU without the exponential)."""
    return x if x >= 0 else x / math.sqrt(1.0 + alpha * x * x)


@_jit
def d_isrlu(x, y, alpha):
    if x >= 0:
        return 1.0
    r = 1.0 / math.sqrt(1.0 + alpha * x * x)
    return r * r * r


@_jit
def sqnl(x, alpha):
    """Square nonlinearity (Wuraola & Patel 2018): a tanh-like quadratic, exactly +-1 beyond |x| = 2."""
    if x > 2.0:
        return 1.0
    if x < -2.0:
        return -1.0
    return x - x * abs(x) / 4.0


@_jit
def d_sqnl(x, y, alpha):
    return max(1.0 - abs(x) / 2.0, 0.0)


@_jit
def bipolar_relu(x, alpha):
    """Bipolar ReLU (Eidnes & Noekland 2017): relu(x) on even units, -relu(-x) on odd ones, so that a layer's
    mean output stays near zero; ``alpha`` is the unit's parity (0 even, 1 odd), which the kernel passes."""
    return x if (x > 0 if alpha == 0 else x < 0) else 0.0 * x


@_jit
def d_bipolar_relu(x, y, alpha):
    return 1.0 if (x > 0 if alpha == 0 else x < 0) else 0.0


@_jit
def d_slope_leaky_relu(x):
    """d leaky_relu(x, alpha) / d alpha: the gradient of PReLU's learned slope."""
    return min(x, 0.0)


class Activation(NamedTuple):
    """One row of the table: the function, its derivative, the default of its parameter, its init family, and
    where the kernel takes the parameter from (a key of ``SLOPES``)."""

    value: object
    derivative: object
    default_alpha: float
    init: str
    slope: str = "fixed"


#: Where an activation's parameter comes from, per element: the layer's alpha ("fixed"), a learned parameter
#: per unit in theta ("learned", PReLU), a draw uniform in [alpha, alpha_upper] per element in training and
#: their mean at prediction ("random", RReLU), or the unit's index mod 2 ("parity", bipolar ReLU). Only "fixed"
#: rows go through the generic kernels; the others have their own small table, so that a default run does not
#: compile them into the generic path.
SLOPES: dict[str, int] = {"fixed": 0, "learned": 1, "random": 2, "parity": 3}

#: RReLU's default range of negative slopes, [1/8, 1/3] (Xu et al. 2015, as in PyTorch).
RRELU_RANGE = (1.0 / 8.0, 1.0 / 3.0)
#: PReLU's initial slope (He et al. 2015).
PRELU_INIT = 0.25


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation(identity, d_identity, 0.0, "glorot_uniform"),
    "sigmoid": Activation(sigmoid, d_sigmoid, 0.0, "glorot_uniform"),
    "tanh": Activation(tanh, d_tanh, 0.0, "glorot_uniform"),
    "relu": Activation(relu, d_relu, 0.0, "he_normal"),
    "leaky_relu": Activation(leaky_relu, d_leaky_relu, 0.1, "he_normal"),
    "elu": Activation(elu, d_elu, 1.0, "he_normal"),
    "softplus": Activation(softplus, d_softplus, 0.0, "he_normal"),
    "softsign": Activation(softsign, d_softsign, 0.0, "glorot_uniform"),
    "arctan": Activation(arctan, d_arctan, 0.0, "glorot_uniform"),
    "isru": Activation(isru, d_isru, 1.0, "glorot_uniform"),
    "isrlu": Activation(isrlu, d_isrlu, 1.0, "he_normal"),
    "sqnl": Activation(sqnl, d_sqnl, 0.0, "glorot_uniform"),
    "prelu": Activation(leaky_relu, d_leaky_relu, PRELU_INIT, "he_normal", "learned"),
    "rrelu": Activation(leaky_relu, d_leaky_relu, RRELU_RANGE[0], "he_normal", "random"),
    "bipolar_relu": Activation(bipolar_relu, d_bipolar_relu, 0.0, "he_normal", "parity"),
}
#: Other names users know these by (scikit-learn says "logistic").
ALIASES = {"logistic": "sigmoid"}

_FIXED = [row for row in ACTIVATIONS.values() if row.slope == "fixed"]
# The sloped rows' distinct function pairs (PReLU and RReLU are both leaky_relu): each is one more case that
# every fit compiles, so a pair shared by two rows is compiled once.
_SLOPED = list(dict.fromkeys((row.value, row.derivative) for row in ACTIVATIONS.values() if row.slope != "fixed"))
#: Kernel index of each activation: its position in its kernel table, the fixed-parameter one or the sloped one
#: (``SLOPES``).
ACTIVATION_CODES: dict[str, int] = {
    name: _FIXED.index(row) if row.slope == "fixed" else _SLOPED.index((row.value, row.derivative))
    for name, row in ACTIVATIONS.items()
}

VALUE_TABLE = tuple(row.value for row in _FIXED)
DERIVATIVE_TABLE = tuple(row.derivative for row in _FIXED)
SLOPED_VALUE_TABLE = tuple(value for value, _ in _SLOPED)
SLOPED_DERIVATIVE_TABLE = tuple(derivative for _, derivative in _SLOPED)
