"""Optimizers: one class per update rule, each with one ``update`` method.

An optimizer holds its hyperparameters and moment vectors; the arithmetic is the Numba row of
``kernels/updates.py`` named by the class's ``rule`` (its ``code`` is that row's place in the table), so the
training kernel applies exactly the same rule.
"""

from __future__ import annotations

import numpy as np

from astromlp.nn.kernels.interface import Hyper
from astromlp.nn.kernels.training import apply_update
from astromlp.nn.kernels.updates import UPDATE_CODES
from astromlp.nn.table_rows import UPDATE_ROWS, update_subset


class Optimizer:
    """Base: ``update(theta, grad, lr)`` moves ``theta`` in place and counts the step."""

    rule = ""  # the name of the row of kernels/updates.UPDATE_TABLE that updates
    code = -1
    rows = None  # the update-rule rows its kernels compile (``nn/table_rows.py``)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.code = UPDATE_CODES[cls.rule]
        cls.rows = UPDATE_ROWS[update_subset(cls.rule)]

    def __init__(self, learning_rate: float = 1e-3, *, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, momentum: float = 0.9, weight_decay: float = 0.0, rho: float = 0.9):
        self.learning_rate = learning_rate
        self.hyper = Hyper(float(beta1), float(beta2), float(eps), float(momentum), float(weight_decay), float(rho))
        self.state: np.ndarray | None = None
        self.t = 0

    def reset(self, n_params: int, dtype) -> None:
        """Zero the moments for a parameter vector of ``n_params`` entries."""
        self.state = np.zeros((3, n_params), dtype=dtype)
        self.t = 0

    def update(self, theta: np.ndarray, grad: np.ndarray, lr: float | None = None,
               weight_mask: np.ndarray | None = None, l1: float = 0.0) -> float:
        """One step on ``theta`` (in place), with L1 ``l1`` on the masked weights as a proximal step (soft
        thresholding by the rule's per-parameter step times ``l1``); returns the norm of the step."""
        if self.state is None or self.state.shape[1] != theta.size:
            self.reset(theta.size, theta.dtype)
        mask = np.ones(theta.size, dtype=bool) if weight_mask is None else weight_mask
        self.t += 1
        rate = self.learning_rate if lr is None else lr
        step = np.array(grad, dtype=np.result_type(grad, theta))  # the kernel leaves the step there
        return float(np.sqrt(apply_update(self.rows, self.code, theta, step, self.state, self.hyper, self.t, rate,
                                          mask, float(l1), 0, theta.size)))


class SGD(Optimizer):
    """theta -= lr g."""

    rule = "sgd"


class Momentum(Optimizer):
    """Classical momentum: v = mu v - lr g; theta += v."""

    rule = "momentum"


class Nesterov(Optimizer):
    """Nesterov accelerated gradient: v = mu v - lr g; theta += mu v - lr g."""

    rule = "nesterov"


class AdaGrad(Optimizer):
    """Per-parameter rates shrinking with the sum of squared gradients."""

    rule = "adagrad"


class RMSProp(Optimizer):
    """Per-parameter rates from a moving average of squared gradients, decaying by its own ``rho`` (0.9, Hinton's
    value; no bias correction, so Adam's beta2 = 0.999 would make the first step about 10x larger)."""

    rule = "rmsprop"


class Adam(Optimizer):
    """Adam with bias-corrected first and second moments."""

    rule = "adam"


class AMSGrad(Optimizer):
    """Adam whose second moment never decreases (running maximum)."""

    rule = "amsgrad"


class AdamW(Optimizer):
    """Adam with decoupled weight decay on the weights (not biases or batch-norm parameters)."""

    rule = "adamw"

    def __init__(self, learning_rate: float = 1e-3, *, weight_decay: float = 1e-2, **kw):
        super().__init__(learning_rate, weight_decay=weight_decay, **kw)


OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD, "momentum": Momentum, "nesterov": Nesterov, "adagrad": AdaGrad,
    "rmsprop": RMSProp, "adam": Adam, "amsgrad": AMSGrad, "adamw": AdamW,
}
