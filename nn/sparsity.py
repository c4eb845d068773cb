"""What L1 switched off: the fraction of exactly-zero weights per layer, and the inputs whose every weight into
the first layer is zero (the network no longer reads them)."""

from __future__ import annotations

import numpy as np


def weight_sparsity(coefs: list[np.ndarray], feature_names: list[str]) -> dict:
    """``{"layers": [{layer, weights, zero_fraction}], "switched_off": [feature name]}`` from a fitted
    estimator's ``coefs_`` (layer 1 is the first hidden layer, or the output layer of a linear model)."""
    layers = [{"layer": k + 1, "weights": int(w.size), "zero_fraction": float(np.mean(w == 0))}
              for k, w in enumerate(coefs)]
    off = np.flatnonzero(np.all(coefs[0] == 0, axis=1))
    return {"layers": layers, "switched_off": [str(feature_names[i]) for i in off]}
