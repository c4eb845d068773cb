"""The network's layout: dense layers with optional batch normalisation, dropout and maxout, packed into
flat parameter vectors and integer tables that the Numba kernels read (``kernels/network.py``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from astromlp.nn.activations import ACTIVATION_CODES

# Columns of the integer layer table.
N_IN, N_UNITS, PIECES, ACT, HAS_BN, W_OFF, B_OFF, G_OFF, BE_OFF, STAT_OFF, CUM_COLS, CUM_UNITS = range(12)
N_ICOLS = 12
# Columns of the float layer table.
DROPOUT, ALPHA, BN_MOMENTUM, BN_EPS = range(4)
N_FCOLS = 4


@dataclass(frozen=True)
class LayerSpec:
    """One dense layer: ``units`` outputs (each the max of ``pieces`` linear pieces when pieces > 1, i.e.
    maxout), then batch normalisation of the linear output, the activation, and inverted dropout."""

    units: int
    activation: str = "identity"
    alpha: float = 0.0
    pieces: int = 1
    batch_norm: bool = False
    dropout: float = 0.0
    bn_momentum: float = 0.1
    bn_eps: float = 1e-5


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


def build_layout(n_inputs: int, layers: list[LayerSpec] | tuple[LayerSpec, ...]) -> NetworkLayout:
    """Lay out parameters per layer as [W, b], or [W, gamma, beta] with batch norm."""
    il = np.full((len(layers), N_ICOLS), -1, dtype=np.int64)
    fl = np.zeros((len(layers), N_FCOLS), dtype=np.float64)
    offset = stats = cum_cols = cum_units = 0
    n_in = n_inputs
    mask_ranges = []
    for i, spec in enumerate(layers):
        cols = spec.units * spec.pieces
        il[i, [N_IN, N_UNITS, PIECES, HAS_BN]] = n_in, spec.units, spec.pieces, int(spec.batch_norm)
        il[i, ACT] = ACTIVATION_CODES[spec.activation]
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
        il[i, CUM_COLS], il[i, CUM_UNITS] = cum_cols, cum_units
        cum_cols += cols
        cum_units += spec.units
        fl[i] = spec.dropout, spec.alpha, spec.bn_momentum, spec.bn_eps
        n_in = spec.units
    mask = np.zeros(offset, dtype=bool)
    for a, b in mask_ranges:
        mask[a:b] = True
    return NetworkLayout(n_inputs, tuple(layers), il, fl, offset, stats, mask)
