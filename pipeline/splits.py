"""Train / validation / test assignment derived from row content and the seed.

Each row gets a uniform number from a hash of its key columns mixed with the seed, computed partition by
partition; within each stratum (class) rows are ranked by that number and the lowest go to test, then
validation. A row's split therefore depends on its content and on the whole table, never on how the table
was partitioned or how many workers read it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from astromlp.errors import AstromlpError
from astromlp.nn.kernels.splitmix import GOLDEN, mix

SPLITS = ("train", "validation", "test")
TRAIN, VALIDATION, TEST = range(3)


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 (the kernels' own mixer, run by numpy): spreads nearby integers over all 64 bits."""
    return mix.py_func(values.astype(np.uint64) + GOLDEN)


def row_uniforms(frame: pd.DataFrame, key_columns: Sequence[str], seed: int) -> np.ndarray:
    """One number in [0, 1) per row, a function of the row's key values and the seed only."""
    hashes = pd.util.hash_pandas_object(frame[list(key_columns)], index=False).to_numpy(np.uint64)
    with np.errstate(over="ignore"):
        mixed = _splitmix64(hashes ^ _splitmix64(np.array([seed], dtype=np.uint64))[0])
    return (mixed >> np.uint64(11)).astype(np.float64) * 2.0**-53


def split_sizes(n_rows: int, test: float, validation: float) -> tuple[int, int, int]:
    """(train, validation, test) counts for one stratum; a non-zero fraction gets at least one row."""
    n_test = max(1, round(n_rows * test)) if test > 0 else 0
    n_val = max(1, round(n_rows * validation)) if validation > 0 else 0
    return n_rows - n_test - n_val, n_val, n_test


def assign_splits(uniforms: np.ndarray, strata: np.ndarray | pd.Categorical | None, test: float,
                  validation: float) -> np.ndarray:
    """Split code (TRAIN, VALIDATION, TEST) per row, exactly stratified by `strata` (None: one stratum)."""
    codes = np.full(len(uniforms), TRAIN, dtype=np.int8)
    named = strata is not None
    stratum_of, names = _factorize(strata if named else np.zeros(len(uniforms), dtype=np.int8))
    for stratum, name in enumerate(names):
        rows = np.flatnonzero(stratum_of == stratum)
        n_train, n_val, n_test = split_sizes(len(rows), test, validation)
        if n_train < 1:
            where = f"class {str(name)!r}" if named else "the table"
            raise AstromlpError(
                f"too few rows for the split: {where} has {len(rows)} rows, but test = {test} "
                f"and validation = {validation} need at least {len(rows) - n_train + 1}; add rows or lower "
                "[split] test / validation")
        ranked = rows[np.argsort(uniforms[rows], kind="stable")]
        codes[ranked[:n_test]] = TEST
        codes[ranked[n_test:n_test + n_val]] = VALIDATION
    return codes


def split_counts(codes: np.ndarray, strata: np.ndarray | pd.Categorical | None = None) -> dict:
    """Rows per split, and per class within each split when strata are given (for the run directory)."""
    counts = {name: int(np.count_nonzero(codes == code)) for code, name in enumerate(SPLITS)}
    if strata is None:
        return counts
    stratum_of, labels = _factorize(strata)
    cells = codes.astype(np.int64) * len(labels) + stratum_of
    table = np.bincount(cells, minlength=len(SPLITS) * len(labels)).reshape(len(SPLITS), len(labels))
    per_class = {name: {str(label): int(n) for label, n in zip(labels, table[code], strict=True)}
                 for code, name in enumerate(SPLITS)}
    return {**counts, "per_class": per_class}


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into the sorted distinct values, by hashing (np.unique sorts every row, slow for strings)."""
    return pd.factorize(values, sort=True)
