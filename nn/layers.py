"""The network's layout: dense layers with optional batch normalisation, dropout and maxout, packed into
flat parameter vectors and integer tables that the Numba kernels read (``kernels/network.py``). PReLU's slopes
are parameters like the weights, after the layer's bias (or batch-norm scale and shift), but not weights: no
penalty touches them."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from astromlp.nn.activations import ACTIVATION_CODES, ACTIVATIONS, RRELU_RANGE, SLOPES

# Columns of the integer layer table (SLOPE: the activation's ``SLOPES`` code; P_OFF: PReLU's slopes).
N_IN, N_UNITS, PIECES, ACT, HAS_BN, W_OFF, B_OFF, G_OFF, BE_OFF, STAT_OFF, CUM_COLS, CUM_UNITS, SLOPE, P_OFF = range(14)
N_ICOLS = 14
# Columns of the float layer table (ALPHA_HI: RReLU's upper slope; IN_DROPOUT: dropout of the layer's inputs).
DROPOUT, ALPHA, BN_MOMENTUM, BN_EPS, ALPHA_HI, IN_DROPOUT = range(6)
N_FCOLS = 6


@dataclass(frozen=True)
class LayerSpec:
    """One dense layer: ``units`` outputs (each the max of ``pieces`` linear pieces when pieces > 1, i.e.
    maxout), then batch normalisation of the linear output, the activation, and inverted dropout."""

    units: int
    activation: str = "identity"
    alpha: float = 0.0  # the activation's parameter; PReLU's initial slope; RReLU's lower slope
    pieces: int = 1
    batch_norm: bool = False
    dropout: float = 0.0
    bn_momentum: float = 0.1
    bn_eps: float = 1e-5
    alpha_upper: float = RRELU_RANGE[1]  # RReLU's upper slope
    input_dropout: float = 0.0  # dropout of the layer's inputs; only the first layer's is used

    @property
    def learned_slopes(self) -> int:
        """Parameters of the layer's activation in theta: one slope per unit for PReLU, else none."""
        return self.units if ACTIVATIONS[self.activation].slope == "learned" else 0


@dataclass(frozen=True)
class NetworkLayout:
    """Offsets of every layer's parameters in the flat vector, and the tables the kernels read."""

    n_inputs: int
    layers: tuple[LayerSpec, ...]
    ilayout: np.ndarray  # int64 (n_layers, N_ICOLS)
    flayout: np.ndarray  # float64 (n_layers, N_FCOLS); cast to the parameter dtype by the caller
    n_params: int
    n_stats: int  # length of the batch-norm running mean / variance vectors
    weight_mask: np.ndarray  # bool (n_params,): True on weights, the entries regularisation touches

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].units

    @property
    def max_cols(self) -> int:
        return int(max(s.units * s.pieces for s in self.layers))

    @property
    def total_cols(self) -> int:
        return int(sum(s.units * s.pieces for s in self.layers))

    @property
    def total_units(self) -> int:
        return int(sum(s.units for s in self.layers))

    @property
    def sloped(self) -> bool:
        """Whether any layer's activation takes one parameter per element (the workspace's ``slope``)."""
        return bool(np.any(self.ilayout[:, SLOPE] != SLOPES["fixed"]))

    def weights(self, theta: np.ndarray, layer: int) -> np.ndarray:
        """The (n_in, units * pieces) weight matrix of ``layer``, a view into ``theta``."""
        row = self.ilayout[layer]
        cols = row[N_UNITS] * row[PIECES]
        return theta[row[W_OFF]:row[W_OFF] + row[N_IN] * cols].reshape(row[N_IN], cols)

    def segment(self, theta: np.ndarray, layer: int, column: int) -> np.ndarray:
        """A per-column parameter vector of ``layer`` (``B_OFF``, ``G_OFF`` or ``BE_OFF``), a view."""
        row = self.ilayout[layer]
        cols = row[N_UNITS] * row[PIECES]
        return theta[row[column]:row[column] + cols]


def network_specs(hidden, n_outputs: int, input_dropout: float = 0.0) -> tuple[LayerSpec, ...]:
    """The hidden layers, then a linear output layer of ``n_outputs`` units; the first layer drops out its
    inputs at ``input_dropout``."""
    specs = [*hidden, LayerSpec(n_outputs)]
    specs[0] = replace(specs[0], input_dropout=float(input_dropout))
    return tuple(specs)


def build_layout(n_inputs: int, layers: list[LayerSpec] | tuple[LayerSpec, ...]) -> NetworkLayout:
    """Lay out parameters per layer as [W, b], or [W, gamma, beta] with batch norm, then PReLU's slopes."""
    il = np.full((len(layers), N_ICOLS), -1, dtype=np.int64)
    fl = np.zeros((len(layers), N_FCOLS), dtype=np.float64)
    offset = stats = cum_cols = cum_units = 0
    n_in = n_inputs
    mask_ranges = []
    for i, spec in enumerate(layers):
        cols = spec.units * spec.pieces
        il[i, [N_IN, N_UNITS, PIECES, HAS_BN]] = n_in, spec.units, spec.pieces, int(spec.batch_norm)
        il[i, ACT] = ACTIVATION_CODES[spec.activation]
        il[i, SLOPE] = SLOPES[ACTIVATIONS[spec.activation].slope]
        il[i, W_OFF] = offset
        mask_ranges.append((offset, offset + n_in * cols))
        offset += n_in * cols
        if spec.batch_norm:  # beta replaces the bias, which normalisation would cancel
            il[i, G_OFF], il[i, BE_OFF], il[i, STAT_OFF] = offset, offset + cols, stats
            offset += 2 * cols
            stats += cols
        else:
            il[i, B_OFF] = offset
            offset += cols
        if spec.learned_slopes:
            il[i, P_OFF] = offset
            offset += spec.learned_slopes
        il[i, CUM_COLS], il[i, CUM_UNITS] = cum_cols, cum_units
        cum_cols += cols
        cum_units += spec.units
        fl[i] = spec.dropout, spec.alpha, spec.bn_momentum, spec.bn_eps, spec.alpha_upper, spec.input_dropout
        n_in = spec.units
    mask = np.zeros(offset, dtype=bool)
    for a, b in mask_ranges:
        mask[a:b] = True
    return NetworkLayout(n_inputs, tuple(layers), il, fl, offset, stats, mask)
