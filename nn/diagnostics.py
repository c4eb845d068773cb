"""Training diagnostics the course warns about, per epoch and cheaply: per hidden layer the fraction of ReLU
units never active over the validation rows (read from the validation forward pass that scoring already runs,
so no extra pass), the fraction of sigmoid/tanh outputs in saturation, and the gradient norm of each layer's
parameters on at most ``GRADIENT_ROWS`` validation rows."""

from __future__ import annotations

import numpy as np

from astromlp.nn.layers import CUM_COLS, W_OFF

#: |pre-activation| beyond which a unit's output is saturated: tanh within 1 % of +-1 (atanh(0.99) = 2.647),
#: the sigmoid within 0.01 of 0 or 1 (logit(0.99) = 4.595); its gradient is then below 2 % of its maximum.
SATURATION = {"tanh": 2.647, "sigmoid": 4.595}
#: Activations whose units die (zero output and zero gradient on one side of zero), with the sign of each unit's
#: live side by unit index: ReLU's above zero; bipolar ReLU's even units above zero, its odd ones below.
DYING = {"relu": lambda units: np.ones(units),
         "bipolar_relu": lambda units: np.where(np.arange(units) % 2 == 1, -1.0, 1.0)}
#: Validation rows of the per-layer gradient norm: a bounded cost per epoch whatever the validation set's size.
GRADIENT_ROWS = 256


class UnitCounter:
    """Accumulates, block by block of a forward pass, which (bipolar) ReLU units were ever active and how many
    sigmoid/tanh outputs were saturated, for every hidden layer."""

    def __init__(self, layout):
        self.layout = layout
        self.hidden = [(l, s) for l, s in enumerate(layout.layers[:-1]) if s.pieces == 1]
        self.live_side = {l: DYING[s.activation](s.units) for l, s in self.hidden if s.activation in DYING}
        self.active = {l: np.zeros(side.size, bool) for l, side in self.live_side.items()}
        self.saturated = {l: 0 for l, s in self.hidden if s.activation in SATURATION}
        self.rows = 0

    def __call__(self, ws, cap: int, n: int) -> None:
        for l, spec in self.hidden:
            if l not in self.active and l not in self.saturated:
                continue
            start = self.layout.ilayout[l, CUM_COLS] * cap
            h = ws.h[start:start + n * spec.units].reshape(n, spec.units)
            if l in self.active:
                self.active[l] |= (h * self.live_side[l] > 0).any(axis=0)
            else:
                self.saturated[l] += int(np.count_nonzero(np.abs(h) > SATURATION[spec.activation]))
        self.rows += n

    def fractions(self) -> dict[int, dict]:
        """layer index -> {dead_fraction} or {saturated_fraction}."""
        out = {l: {"dead_fraction": float(1 - a.mean())} for l, a in self.active.items()}
        for l, count in self.saturated.items():
            out[l] = {"saturated_fraction": count / max(self.rows * self.layout.layers[l].units, 1)}
        return out


def layer_gradient_norms(net, X, Y, w) -> list[float]:
    """The Euclidean norm of each layer's part of the gradient (weights, biases, batch-norm scale and shift)
    of the loss on the first GRADIENT_ROWS rows."""
    _, grad = net.loss_and_gradient(X[:GRADIENT_ROWS], Y[:GRADIENT_ROWS], w[:GRADIENT_ROWS])
    starts = net.layout.ilayout[:, W_OFF]
    return np.sqrt(np.add.reduceat(grad.astype(np.float64) ** 2, starts)).tolist()


def epoch_diagnostics(net, counter: UnitCounter, validation) -> list[dict]:
    """One record per layer: its activation, gradient norm and (hidden layers) the unit fractions."""
    norms = layer_gradient_norms(net, *validation)
    fractions = counter.fractions()
    return [{"layer": l + 1, "activation": spec.activation, "gradient_norm": norms[l], **fractions.get(l, {})}
            for l, spec in enumerate(net.layout.layers)]
