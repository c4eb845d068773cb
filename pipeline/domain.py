"""A model's training domain, recorded at training time and checked by `predict`: rows with a feature beyond
the training range, or a [data] select column (e.g. class) holding a value training did not keep, are flagged.

Ranges are compared in the network's input units (after [normalise]): the same arithmetic as in training, so
every training row is inside its own range bit for bit. The catalog units are kept too, for messages.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from astromlp.pipeline.normalisers import Normaliser

DOMAIN_TASKS = ("photoz", "photoz-pdf")  # tasks whose predictions get the out_of_domain flag
FLAG = "out_of_domain"


def training_domain(X_train: np.ndarray, normaliser: Normaliser, select: dict | None) -> dict:
    """Per-feature min / max of the training rows (network inputs, and catalog units) and the select lists."""
    low, high = (np.min(X_train, axis=0), np.max(X_train, axis=0)) if len(X_train) else (X_train[0:0],) * 2
    return {"input_min": low.tolist(), "input_max": high.tolist(),
            "min": (low * normaliser.scale + normaliser.center).tolist(),
            "max": (high * normaliser.scale + normaliser.center).tolist(),
            "select": {column: list(values) for column, values in (select if isinstance(select, dict) else {}).items()
                       if isinstance(values, list | tuple)}}


def outside(Z: np.ndarray, domain: dict) -> np.ndarray:
    """Rows of network inputs Z with any feature below the training minimum or above the maximum."""
    low, high = np.asarray(domain["input_min"]), np.asarray(domain["input_max"])
    return np.any((Z < low) | (Z > high), axis=1)


def not_selected(part: pd.DataFrame, columns: dict[str, str], domain: dict) -> np.ndarray:
    """Rows whose value in a select column training used (catalog spelling in `columns`) was not kept."""
    flagged = np.zeros(len(part), dtype=bool)
    for name, allowed in domain.get("select", {}).items():
        if name in columns:
            values = part[columns[name]]
            flagged |= (values.notna() & ~values.isin(list(allowed))).to_numpy()
    return flagged


def describe(domain: dict, features: list[str]) -> str:
    """The training domain in one phrase, for the warning line."""
    ranges = ", ".join(f"{name} in [{low:.4g}, {high:.4g}]"
                       for name, low, high in zip(features, domain["min"], domain["max"], strict=True))
    kept = "; ".join(f"{column} in {values}" for column, values in domain.get("select", {}).items())
    return ranges + (f"; {kept}" if kept else "")
