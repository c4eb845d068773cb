"""Predictions joined to the identifying columns (id, ra, dec) of the catalog rows they belong to."""

from __future__ import annotations

from collections.abc import Sequence

import dask.dataframe as dd
import pandas as pd

from astromlp.catalogs.columns import column_key, resolve_columns
from astromlp.errors import AstromlpError

IDENTIFIER_CANDIDATES = ("objid", "object_id", "objectid", "source_id", "sourceid", "specobjid", "id", "ra",
                         "dec")


def identifier_columns(columns: Sequence[str]) -> list[str]:
    """The catalog's identifying columns among IDENTIFIER_CANDIDATES (any case), in the catalog's order."""
    wanted = {column_key(c) for c in IDENTIFIER_CANDIDATES}
    return [name for name in columns if column_key(name) in wanted]


def join_predictions(catalog: pd.DataFrame | dd.DataFrame, predictions: pd.DataFrame,
                     id_columns: Sequence[str] | None = None, *, source: str = "the catalog") -> pd.DataFrame:
    """Identifying columns of the catalog rows whose row numbers index `predictions`, then the predictions.

    `catalog` is indexed by row number (as `read` returns it); only the rows predicted are computed.
    """
    names = resolve_columns(list(id_columns), list(catalog.columns), source) if id_columns is not None \
        else identifier_columns(list(catalog.columns))
    clashes = [name for name in names if name in predictions.columns]
    if clashes:
        raise AstromlpError(f"prediction column {clashes[0]!r} has the name of a column of {source}; rename it")
    wanted = pd.Index(predictions.index)
    ids = catalog[names]
    if isinstance(ids, dd.DataFrame):
        ids = ids.map_partitions(lambda part: part[part.index.isin(wanted)], meta=ids._meta).compute()
    missing = wanted.difference(ids.index)
    if len(missing):
        raise AstromlpError(f"predictions refer to row {missing[0]} which {source} does not have; predict on rows "
                            "read from this catalog")
    return pd.concat([ids.loc[wanted], predictions], axis=1)
