"""Preallocated buffers for the kernels of ``kernels/network.py``, sized once per fit or prediction."""

from __future__ import annotations

import numpy as np

from astromlp.nn.layers import NetworkLayout


def make_workspace(layout: NetworkLayout, capacity: int, chunk: int, dtype) -> tuple:
    """The workspace tuple for batches of up to ``capacity`` rows split into chunks of ``chunk`` rows."""
    n_chunks = -(-capacity // chunk)
    cols, units = capacity * layout.total_cols, capacity * layout.total_units
    stats = max(layout.n_stats, 1)
    return (
        np.zeros(cols, dtype),  # h: pre-activation (after batch norm), outputs of the last layer
        np.zeros(cols, dtype),  # z: linear output before batch norm
        np.zeros(units, dtype),  # a: layer outputs after activation and dropout
        np.ones(units, dtype),  # dropout multipliers (0 or 1 / keep)
        np.zeros(units, np.int64),  # maxout: index of the winning piece
        np.zeros(units, dtype),  # da
        np.zeros(cols, dtype),  # dh
        np.zeros(stats, dtype),  # batch-norm batch mean
        np.zeros(stats, dtype),  # batch-norm batch 1 / std
        np.zeros((max(n_chunks, 2), layout.max_cols), np.float64),  # per-chunk partial sums
        np.zeros((n_chunks, layout.n_params), dtype),  # per-chunk gradients
        np.zeros(n_chunks, np.float64),  # per-chunk losses
    )
