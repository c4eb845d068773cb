"""Metrics in bins of another quantity (true redshift, magnitude): where along it a model fails."""

from __future__ import annotations

import numpy as np

from astromlp.reports.scoring import Metric


def quantile_edges(values: np.ndarray, n_bins: int) -> np.ndarray:
    """Edges giving bins of about equal size over the finite values (fewer when values repeat)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.empty(0)
    edges = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, n_bins + 1)))
    return edges if len(edges) > 1 else np.repeat(edges, 2)


def bin_table(case, by: np.ndarray, metrics: dict[str, Metric], n_bins: int, name: str) -> dict:
    """Every metric on the rows of each bin [low, high) of `by` (the last bin includes its high edge)."""
    edges = quantile_edges(by, n_bins)
    finite = np.isfinite(by)
    which = np.clip(np.searchsorted(edges, by, side="right") - 1, 0, max(len(edges) - 2, 0))
    rows = []
    for b in range(len(edges) - 1):
        members = np.flatnonzero(finite & (which == b))
        subset = case.take(members)
        rows.append(
            {
                "low": edges[b],
                "high": edges[b + 1],
                "count": len(members),
                "values": {
                    key: metric.compute(subset) if len(members) else float("nan")
                    for key, metric in metrics.items()
                },
            }
        )
    return {
        "by": name,
        "columns": [{"key": key, "label": metric.label} for key, metric in metrics.items()],
        "rows": rows,
        "rows_without_value": int(np.sum(~finite)),
    }
