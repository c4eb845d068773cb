"""Carrying units and descriptions from ColumnInfo onto astropy columns and astropy's YAML metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from astromlp.catalogs.columns import ColumnInfo
from astromlp.catalogs.vector_columns import item_dtype, vector_length

if TYPE_CHECKING:  # astropy is imported when a file is written, not with the package
    import astropy.units as u
    from astropy.table import Table

ColumnInfos = Mapping[str, ColumnInfo]


def numpy_dtype(dtype: object) -> np.dtype:
    """The numpy dtype astropy would hold a pandas column of `dtype` in (text -> unicode; a fixed-length list
    -> its elements' dtype)."""
    if vector_length(dtype) is not None:
        return item_dtype(dtype)
    if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
        return np.dtype("U1")
    if isinstance(dtype, np.dtype):
        return dtype
    return np.dtype(getattr(dtype, "numpy_dtype", "float64"))


def parse_unit(text: str | None) -> u.UnitBase | None:
    import astropy.units as u

    return None if text is None else u.Unit(text, parse_strict="silent")


def annotate(table: Table, info: ColumnInfos | None) -> Table:
    """Set units and descriptions on `table`'s columns from `info` (columns not described stay bare)."""
    for name, column_info in (info or {}).items():
        if name in table.colnames:
            table[name].unit = parse_unit(column_info.unit)
            table[name].description = column_info.description
    return table


def _row_shape(dtype: object) -> tuple[int, ...]:
    length = vector_length(dtype)
    return () if length is None else (length,)


def astropy_yaml(frame_meta: pd.DataFrame, info: ColumnInfos | None, records: Mapping[str, str] | None = None) -> str:
    """astropy's table header YAML (names, datatypes, units, descriptions) for the columns of `frame_meta`, with
    `records` as the table's meta (what Table.read returns in `.meta`, as it does a FITS header's cards)."""
    from astropy.table import Column, Table
    from astropy.table import meta as table_meta

    empty = Table([Column(np.zeros((0, *_row_shape(dtype)), numpy_dtype(dtype)), name=name)
                   for name, dtype in frame_meta.dtypes.items()], meta=dict(records or {}))
    return "\n".join(table_meta.get_yaml_from_table(annotate(empty, info)))
