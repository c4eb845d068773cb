"""Findings from the training diagnostics (``nn/diagnostics.py``) of the chosen start's last recorded epoch: a
line per layer that is mostly dead or saturated, saying what to try."""

from __future__ import annotations

from numbers import Integral

import numpy as np

SEQUENCES = (list, tuple, np.ndarray)  # what a record's lists may be: JSON's, or numpy's from the Python API

#: (diagnostic, fraction above which it is a finding, what it means, what to try)
RULES = (
    ("dead_fraction", 0.5, "of ReLU units never active", "lower the learning rate or use leaky_relu"),
    ("saturated_fraction", 0.5, "of sigmoid/tanh outputs saturated",
     "standardise the inputs, lower the learning rate or use relu"),
)


def rollback_epochs(start: dict) -> list[int]:
    """The epochs (0-based) whose loss spike sent the start back to its best weights (``nn/training.py``),
    those of its loss curve only: a model file's record is not trusted."""
    values, curve = start.get("rollbacks"), start.get("loss_curve")
    if not isinstance(values, SEQUENCES) or not isinstance(curve, SEQUENCES):
        return []
    return [int(v) for v in values if isinstance(v, Integral) and not isinstance(v, bool) and 0 <= v < len(curve)]


def last_diagnostics(start: dict | None) -> list[dict]:
    """The per-layer records of the start's last epoch with diagnostics (empty without validation rows)."""
    epochs = (start or {}).get("diagnostics") or []
    return list(epochs[-1]) if epochs else []


def diagnostic_findings(layers: list[dict]) -> list[str]:
    """'layer 2: 61 % of ReLU units never active; lower the learning rate or use leaky_relu' and the like."""
    return [f"layer {layer['layer']}: {100 * layer[key]:.0f} % {meaning}; {advice}"
            for layer in layers for key, limit, meaning, advice in RULES
            if layer.get(key) is not None and layer[key] > limit]
