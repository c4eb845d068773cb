"""Sizes a layout implies, in Python integers (no overflow, nothing allocated): the parameter count that
bounds a model file's arrays, and the bytes a fit would allocate, checked against the memory available."""

from __future__ import annotations

import os
from dataclasses import dataclass

from astromlp.errors import AstromlpError
from astromlp.nn.activations import ACTIVATIONS

#: Rows the evaluation forward pass (validation loss, predict) handles at once: ``Network.forward``'s block.
FORWARD_BLOCK = 8192


@dataclass(frozen=True)
class LayoutCounts:
    """What ``layers.build_layout`` would produce, counted without building it."""

    n_params: int
    n_stats: int
    total_cols: int  # sum over layers of units * pieces
    total_units: int
    max_cols: int
    slope_units: int = 0  # units of the workspace's per-element slopes: all of them if any layer is sloped
    dropped_inputs: int = 0  # inputs per row of the workspace's input-dropout buffer


def layout_counts(n_inputs: int, layers) -> LayoutCounts:
    """Counts of a layout of LayerSpec-like ``layers`` ([W, b] per layer, or [W, gamma, beta] with batch norm,
    then PReLU's slopes)."""
    n_params = n_stats = total_cols = total_units = max_cols = 0
    n_in = n_inputs
    sloped = any(ACTIVATIONS[spec.activation].slope != "fixed" for spec in layers)
    for spec in layers:
        cols = spec.units * spec.pieces
        n_params += n_in * cols + (2 * cols if spec.batch_norm else cols) + spec.learned_slopes
        n_stats += cols if spec.batch_norm else 0
        total_cols, total_units, max_cols = total_cols + cols, total_units + spec.units, max(max_cols, cols)
        n_in = spec.units
    dropped = n_inputs if layers and layers[0].input_dropout > 0 else 0
    return LayoutCounts(n_params, n_stats, total_cols, total_units, max_cols, total_units if sloped else 0, dropped)


def workspace_bytes(counts: LayoutCounts, capacity: int, chunk: int, itemsize: int) -> int:
    """Bytes of ``workspace.make_workspace(layout, capacity, chunk, dtype)``, buffer by buffer."""
    n_chunks = -(-capacity // chunk)
    cols, units = capacity * counts.total_cols, capacity * counts.total_units
    return (3 * cols * itemsize  # h, z, dh
            + units * (3 * itemsize + 8)  # a, dropout multipliers, da; maxout indices (int64)
            + capacity * (counts.slope_units + counts.dropped_inputs) * itemsize  # slopes, dropped-out inputs
            + 2 * max(counts.n_stats, 1) * itemsize  # batch-norm batch statistics
            + max(n_chunks, 2) * counts.max_cols * 8 + n_chunks * 8  # per-chunk partial sums and losses
            + (n_chunks + 1) * counts.n_params * itemsize)  # per-chunk gradients, transposed weights


def training_bytes(counts: LayoutCounts, *, batch: int, validation_rows: int, chunk: int, itemsize: int,
                   starts: int) -> int:
    """Bytes one fit allocates: per start its parameters, best-epoch copy, three optimizer moments, gradient and
    minibatch workspace; once, the workspace of the validation forward pass (starts are evaluated in turn)."""
    per_start = 6 * counts.n_params * itemsize + 6 * max(counts.n_stats, 1) * itemsize
    per_start += workspace_bytes(counts, batch, chunk, itemsize)
    evaluation = workspace_bytes(counts, min(validation_rows, FORWARD_BLOCK), chunk, itemsize) if validation_rows else 0
    return starts * per_start + evaluation


def available_memory() -> int:
    """Bytes of memory available now: psutil's figure when installed (it counts reclaimable caches), else the
    free physical pages the OS reports."""
    try:
        import psutil
    except ImportError:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return int(psutil.virtual_memory().available)


def _gib(n_bytes: int) -> str:
    return f"{n_bytes / 2**30:,.1f} GiB"


def check_fits(needed: int, available: int, what: str, fix: str) -> None:
    """Refuse, in one line with both figures, a job that would need more memory than is available."""
    if needed > available:
        raise AstromlpError(f"{what} would need about {_gib(needed)} of memory, more than the {_gib(available)} "
                            f"available; {fix}")
