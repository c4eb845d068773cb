"""Preallocated buffers for the kernels of ``kernels/network.py``, sized once per fit or prediction."""

from __future__ import annotations

import numpy as np

from astromlp.nn.kernels.interface import Workspace
from astromlp.nn.layers import NetworkLayout


def make_workspace(layout: NetworkLayout, capacity: int, chunk: int, dtype) -> Workspace:
    """The workspace for batches of up to ``capacity`` rows split into chunks of ``chunk`` rows (fields
    described in ``kernels/interface.py``)."""
    n_chunks = -(-capacity // chunk)
    cols, units = capacity * layout.total_cols, capacity * layout.total_units
    stats = max(layout.n_stats, 1)
    return Workspace(
        h=np.zeros(cols, dtype),
        z=np.zeros(cols, dtype),
        a=np.zeros(units, dtype),
        drop=np.ones(units, dtype),
        argmax=np.zeros(units, np.int64),
        da=np.zeros(units, dtype),
        dh=np.zeros(cols, dtype),
        bn_mean=np.zeros(stats, dtype),
        bn_invstd=np.zeros(stats, dtype),
        partial=np.zeros((max(n_chunks, 2), layout.max_cols), np.float64),
        grad_chunks=np.zeros((n_chunks, layout.n_params), dtype),
        loss_chunks=np.zeros(n_chunks, np.float64),
        slope=np.zeros(units if layout.sloped else 0, dtype),
        x_drop=np.zeros(capacity * layout.n_inputs if layout.layers[0].input_dropout > 0 else 0, dtype),
        wt=np.zeros(layout.n_params, dtype),
    )


def stacked(record, starts: int):
    """``record`` with every field repeated along a new leading axis of ``starts`` (one row per start)."""
    return type(record)(*(np.repeat(field[np.newaxis], starts, axis=0) for field in record))
