"""What the prepare stage leaves in the run directory, and reading it back for the later stages.

Arrays are .npy files (deterministic bytes, no pickle), the rest JSON and Parquet, so an unchanged
preparation hashes the same and the stages after it stay reusable.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from astromlp.files import write_bytes, write_json, write_with
from astromlp.pipeline.normalisers import Normaliser
from astromlp.pipeline.rundir import RunDirectory, read_json
from astromlp.pipeline.splits import SPLITS
from astromlp.pipeline.stages import Prepared

ARRAYS = "prepared"
PREPARATION = "preparation.json"
DATA_SUMMARY = "data_summary.json"
SPLIT_COUNTS = "split_counts.json"
TEST_ROWS = "test_rows.parquet"
#: X, y and the row indices of each split, and its per-row weights (ones without a [data] weight column)
LETTERS = ("X", "y", "rows", "w")
PREPARED_FILES = (*(f"{ARRAYS}/{letter}_{split}.npy" for split in SPLITS for letter in LETTERS),
                  PREPARATION, DATA_SUMMARY, SPLIT_COUNTS, TEST_ROWS)
"""Every file save_prepared writes, relative to the run directory."""


def ordered_features(features: dict[str, str]) -> list[list[str]]:
    """Features as [name, expression] pairs: JSON objects may be reordered, the network's inputs may not."""
    return [[name, expression] for name, expression in features.items()]


def features_from(pairs: list[list[str]]) -> dict[str, str]:
    return {name: expression for name, expression in pairs}


def _save_array(path, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    write_bytes(path, buffer.getvalue())


def save_prepared(run: RunDirectory, prepared: Prepared) -> None:
    """Write the prepared split as the files of PREPARED_FILES."""
    (run / ARRAYS).mkdir(exist_ok=True)
    weights = prepared.weights or {split: np.ones(len(prepared.y[split])) for split in SPLITS}
    for split in SPLITS:
        for letter, arrays in zip(LETTERS, (prepared.X, prepared.y, prepared.rows, weights), strict=True):
            _save_array(run / f"{ARRAYS}/{letter}_{split}.npy", arrays[split])
    write_json(run / PREPARATION, {"task": prepared.task, "target": prepared.target,
                                   "features": ordered_features(prepared.features), "classes": prepared.classes,
                                   "normaliser": prepared.normaliser.to_dict(),
                                   "fill_values": prepared.fill_values, "weighted": prepared.weights is not None})
    write_json(run / DATA_SUMMARY, prepared.summary)
    write_json(run / SPLIT_COUNTS, prepared.counts)
    write_with(run / TEST_ROWS, lambda path: prepared.test_rows.to_parquet(path, index=False))


def load_prepared(run: RunDirectory) -> Prepared:
    """The prepared split exactly as the prepare stage wrote it."""
    record = read_json(run / PREPARATION)
    X, y, rows, weights = ({split: np.load(run / f"{ARRAYS}/{letter}_{split}.npy", allow_pickle=False)
                            for split in SPLITS} for letter in LETTERS)
    return Prepared(record["task"], record["target"], features_from(record["features"]), X, y, record["classes"],
                    Normaliser.from_dict(record["normaliser"]), record["fill_values"],
                    pd.read_parquet(run / TEST_ROWS), rows, read_json(run / DATA_SUMMARY),
                    read_json(run / SPLIT_COUNTS), weights if record.get("weighted") else None)
