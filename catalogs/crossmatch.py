"""A labelled (e.g. spectroscopic) catalog cross-matched against a photometric one with lsdb: each label
takes its nearest photometric object within a radius, so the matched rows become a training set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from astromlp.catalogs.hats_source import require
from astromlp.catalogs.sources import nullable

LABEL_ROW = "_astromlp_label_row"
SEPARATION = "_dist_arcsec"  # the column lsdb's nearest-neighbour cross-match adds


@dataclass(frozen=True)
class LabelMatch:
    """The matched rows (photometric columns, then the labels' columns; index 0..n-1 in the labels' order),
    how many labels found an object and how many did not, and each match's separation in arcseconds."""

    frame: pd.DataFrame
    matched: int
    unmatched: int
    separations: np.ndarray
    radius_arcsec: float

    def summary(self) -> dict:
        """Counts and separation quantiles, for ingest.json and the report."""
        quantiles = dict(zip(("p50", "p90", "p99", "max"), np.quantile(self.separations, [0.5, 0.9, 0.99, 1.0])
                             if self.matched else [None] * 4, strict=True))
        return {"radius_arcsec": self.radius_arcsec, "matched": self.matched, "unmatched": self.unmatched,
                "separation_arcsec": {key: None if value is None else float(value) for key, value in quantiles.items()}}


def _numpy_backed(frame: pd.DataFrame) -> pd.DataFrame:
    """A plain pandas frame (lsdb computes a NestedFrame), its Arrow-backed columns as the numpy (or nullable
    integer) dtypes the readers give."""
    frame = pd.DataFrame(frame.to_dict("series"))
    changes = {}
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.ArrowDtype):
            numpy = dtype.numpy_dtype
            changes[name] = "str" if numpy.kind in "OSU" else nullable(numpy) if frame[name].isna().any() else numpy
    return frame.astype(changes) if changes else frame


def _margin(radius_arcsec: float) -> float:
    """The margin (arcsec) a catalog built here gets: enough for a match across a pixel edge."""
    return max(5.0, 2 * radius_arcsec)


def _labels_catalog(lsdb, labels: pd.DataFrame, ra: str, dec: str):
    frame = labels.assign(**{LABEL_ROW: np.arange(len(labels))})
    return lsdb.from_dataframe(frame, ra_column=ra, dec_column=dec, margin_threshold=None)  # the left needs none


def _photometric_catalog(lsdb, photometric: pd.DataFrame | Path, ra: str, dec: str, columns: Sequence[str],
                         radius_arcsec: float):
    """A HATS catalog opened lazily with only `columns`, or an in-memory frame partitioned by lsdb."""
    if isinstance(photometric, Path):
        return lsdb.open_catalog(photometric, columns=list(columns))
    return lsdb.from_dataframe(photometric[list(columns)], ra_column=ra, dec_column=dec,
                               margin_threshold=_margin(radius_arcsec))


def crossmatch_labels(photometric: pd.DataFrame | Path, labels: pd.DataFrame, *, ra: tuple[str, str],
                      dec: tuple[str, str], columns: Sequence[str], label_columns: Sequence[str],
                      radius_arcsec: float) -> LabelMatch:
    """Each row of `labels` matched to its nearest `photometric` object (a frame, or a HATS catalog path)
    within `radius_arcsec`; `ra`/`dec` name the (photometric, labels) position columns. The result holds the
    photometric `columns` then the labels' `label_columns`, for labels in their own order."""
    lsdb = require("lsdb", "cross-matching [data] labels")
    left = _labels_catalog(lsdb, labels[list(dict.fromkeys([ra[1], dec[1], *label_columns]))], ra[1], dec[1])
    right = _photometric_catalog(lsdb, photometric, ra[0], dec[0], list(dict.fromkeys([ra[0], dec[0], *columns])),
                                 radius_arcsec)
    matched = left.crossmatch(right, n_neighbors=1, radius_arcsec=radius_arcsec, suffixes=("_labels", ""),
                              suffix_method="all_columns", log_changes=False).compute(progress_bar=False)
    matched = matched.sort_values(f"{LABEL_ROW}_labels", kind="stable").reset_index(drop=True)
    frame = pd.concat([matched[list(columns)],
                       matched[[f"{name}_labels" for name in label_columns]].set_axis(list(label_columns), axis=1)],
                      axis=1)
    return LabelMatch(frame=_numpy_backed(frame), matched=len(matched), unmatched=len(labels) - len(matched),
                      separations=matched[SEPARATION].to_numpy(np.float64), radius_arcsec=float(radius_arcsec))
