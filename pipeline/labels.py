"""[data] labels: the training rows are the photometric objects a labelled catalog cross-matches, carrying the
labels' [task] target column (see catalogs.crossmatch)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd

from astromlp.catalogs import ColumnInfo, columns_of, frame_of, open_sources, resolve_columns
from astromlp.catalogs.crossmatch import LabelMatch, crossmatch_labels
from astromlp.catalogs.hats_source import HatsSource
from astromlp.pipeline.config import Config

MATCH_PARTITION_ROWS = 1_000_000
SEPARATION_BINS = 20  # the report's histogram of label-object separations


@dataclass(frozen=True)
class Labels:
    """The labelled catalog's positions and target column, read whole (a spectroscopic sample is small)."""

    path: Path
    frame: pd.DataFrame
    ra: str
    dec: str
    target: ColumnInfo


def labels_path(config: Config) -> Path:
    return (config.path.parent / Path(config.data.labels["catalog"]).expanduser()).resolve()


def open_labels(config: Config) -> Labels:
    settings, path = config.data.labels, labels_path(config)
    sources = open_sources([path])
    available = columns_of(sources)
    ra, dec, target = resolve_columns([settings["ra"], settings["dec"], config.task.target], list(available),
                                      f"[data] labels {path.name}")
    frame = frame_of(sources, columns=[ra, dec, target]).compute()
    return Labels(path, frame, ra, dec, available[target])


def with_target(available: dict[str, ColumnInfo], labels: Labels) -> dict[str, ColumnInfo]:
    """The photometric columns, the target taken from the labels (replacing a photometric namesake)."""
    kept = {name: info for name, info in available.items() if name.casefold() != labels.target.name.casefold()}
    return {**kept, labels.target.name: labels.target}


def _positions(sources: list, available: list[str], settings: dict) -> tuple[str, str]:
    """The photometric position columns: a HATS catalog's own, else [data] labels ra/dec."""
    if len(sources) == 1 and isinstance(sources[0], HatsSource):
        return sources[0].spatial_columns[0], sources[0].spatial_columns[1]
    ra, dec = resolve_columns([settings["ra"], settings["dec"]], available, "[data] catalogs")
    return ra, dec


def match_labels(config: Config, labels: Labels, sources: list, needed: list[str]) -> tuple[dd.DataFrame, dict]:
    """The matched rows as a frame indexed 0..n-1 with the `needed` columns, and the match summary."""
    available = list(columns_of(sources))
    ra, dec = _positions(sources, available, config.data.labels)
    columns = [name for name in needed if name != labels.target.name]
    photometric = sources[0].path if len(sources) == 1 and isinstance(sources[0], HatsSource) \
        else frame_of(sources, columns=list(dict.fromkeys([ra, dec, *columns]))).compute()
    match: LabelMatch = crossmatch_labels(photometric, labels.frame, ra=(ra, labels.ra), dec=(dec, labels.dec),
                                          columns=list(dict.fromkeys([*columns, ra, dec])),
                                          label_columns=[labels.target.name],
                                          radius_arcsec=config.data.labels["radius_arcsec"])
    rows = config.data.chunk_rows or MATCH_PARTITION_ROWS
    frame = dd.from_pandas(match.frame[needed], npartitions=max(1, -(-match.matched // rows)), sort=True)
    counts, edges = np.histogram(match.separations, bins=SEPARATION_BINS, range=(0.0, match.radius_arcsec))
    return frame, {"catalog": labels.path.name, **match.summary(),
                   "separation_histogram": {"edges": edges.tolist(), "counts": counts.tolist()}}
