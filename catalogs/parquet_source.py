"""Parquet files read by row group through pyarrow, with units and descriptions from astropy's metadata. A
fixed-size list column (B numbers per row, e.g. the PDF column ``predict`` writes) is read as B scalar columns
named as the FITS reader names a vector column's elements (``z_pdf_0``, ...), so both formats give one table."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from astromlp.catalogs.columns import ColumnInfo, check_unique
from astromlp.catalogs.sources import conform, element_names, empty_table_error, nullable, reason
from astromlp.catalogs.vector_columns import list_matrix
from astromlp.errors import AstromlpError

ASTROPY_META_KEY = b"table_meta_yaml"
_INTEGERS = (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64())
#: Values per row of a fixed-size list column that astromlp splits into scalar columns (a PDF has a few hundred).
MAX_ELEMENTS = 10_000
_NULLABLE_INTS = {arrow: nullable(np.dtype(arrow.to_pandas_dtype())) for arrow in _INTEGERS}


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Integers through pandas nullable types, so nulls never turn 64-bit ids into floats."""
    return table.to_pandas(types_mapper=_NULLABLE_INTS.get)


def _astropy_header(schema: pa.Schema) -> dict:
    """The table header astropy stored in the schema metadata (written by astropy or astromlp), if any."""
    raw = (schema.metadata or {}).get(ASTROPY_META_KEY)
    if raw is None:
        return {}
    from astropy.table import meta as table_meta  # only for files that carry astropy's metadata

    return table_meta.get_header_from_yaml(raw.decode("utf-8").split("\n"))


def _mask_columns(header: dict) -> dict[str, str]:
    """data column -> mask column for masked columns astropy serialised as a pair ('u' and 'u.mask')."""
    serialized = header.get("meta", {}).get("__serialized_columns__", {})
    return {entry["data"]["name"]: entry["mask"]["name"] for entry in serialized.values()
            if str(entry.get("__class__", "")).endswith("MaskedColumn") and {"data", "mask"} <= set(entry)}


def _apply_masks(frame: pd.DataFrame, masks: dict[str, str]) -> pd.DataFrame:
    for name, mask_name in masks.items():
        if name in frame.columns:
            frame[name] = frame[name].astype(nullable(frame[name].dtype)).mask(frame[mask_name].to_numpy(bool))
    return frame.drop(columns=[m for m in masks.values() if m in frame.columns])


def _has_nulls(metadata: pq.FileMetaData, index: int) -> bool:
    """Whether a column may hold nulls: True unless every row group's statistics say none."""
    for group in range(metadata.num_row_groups):
        stats = metadata.row_group(group).column(index).statistics
        if stats is None or not stats.has_null_count or stats.null_count > 0:
            return True
    return False


def _meta(schema: pa.Schema, metadata: pq.FileMetaData, masks: dict[str, str]) -> pd.DataFrame:
    empty = arrow_to_pandas(schema.empty_table())
    nullable_ints = set(_NULLABLE_INTS.values())
    numpy_ints = {name: np.dtype(str(dtype).lower()) for name, dtype in empty.dtypes.items()
                  if dtype in nullable_ints and name not in masks
                  and not _has_nulls(metadata, metadata.schema.names.index(name))}
    return empty.astype(numpy_ints).drop(columns=list(masks.values()))


def _vector_elements(schema: pa.Schema, label: str) -> dict[str, list[str]]:
    """Each fixed-size list column's element column names (at most MAX_ELEMENTS: a file's schema may claim any)."""
    taken = {name.casefold() for name in schema.names}
    elements = {}
    for field in schema:
        if pa.types.is_fixed_size_list(field.type):
            if field.type.list_size > MAX_ELEMENTS:
                raise AstromlpError(f"{label} has list column {field.name!r} of {field.type.list_size:,} values per "
                                    f"row; astromlp reads at most {MAX_ELEMENTS:,} as scalar columns: write the "
                                    "file without it")
            elements[field.name] = element_names(field.name, [(str(j),) for j in range(field.type.list_size)], taken)
            taken |= {name.casefold() for name in elements[field.name]}
    return elements


def _origins(elements: dict[str, list[str]]) -> dict[str, str]:
    """element column -> its list column."""
    return {element: name for name, names in elements.items() for element in names}


def split_lists(schema: pa.Schema, meta: pd.DataFrame, label: str) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """``meta`` with each fixed-size list column's element columns in its place, and the element names by list
    column (what ``split_vectors`` does to each table read)."""
    elements = _vector_elements(schema, label)
    return (_split_meta(meta, schema, elements) if elements else meta), elements


def column_info(meta: pd.DataFrame, header: dict, elements: dict[str, list[str]]) -> dict[str, ColumnInfo]:
    """Each column's ColumnInfo, units and descriptions from astropy's header (an element: its list column's)."""
    origin = _origins(elements)
    attributes = {col["name"]: col for col in header.get("datatype", [])}
    return {name: ColumnInfo(name, str(dtype), attributes.get(origin.get(name, name), {}).get("unit"),
                             attributes.get(origin.get(name, name), {}).get("description"))
            for name, dtype in meta.dtypes.items()}


def stored_columns(columns: list[str] | None, elements: dict[str, list[str]]) -> list[str] | None:
    """The file's columns that hold ``columns`` (an element is held by its list column); None: all."""
    origin = _origins(elements)
    return None if columns is None else list(dict.fromkeys(origin.get(c, c) for c in columns))


def _split_meta(meta: pd.DataFrame, schema: pa.Schema, elements: dict[str, list[str]]) -> pd.DataFrame:
    """``meta`` with each vector column replaced by its element columns (integers nullable: a row may be null)."""
    split = arrow_to_pandas(split_vectors(schema.empty_table(), elements))
    columns = {}
    for name in meta.columns:
        for part in elements.get(name, [name]):
            columns[part] = split[part].astype(nullable(split[part].dtype)) if name in elements else meta[part]
    return pd.DataFrame(columns)


def split_vectors(table: pa.Table, elements: dict[str, list[str]]) -> pa.Table:
    """``table`` with each fixed-size list column replaced by its element columns (a null row: null elements)."""
    names, arrays = [], []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if name not in elements:
            names.append(name)
            arrays.append(column)
            continue
        values, nulls = list_matrix(column.combine_chunks())
        names += elements[name]
        arrays += [pa.array(values[:, j], mask=nulls) for j in range(values.shape[1])]
    return pa.Table.from_arrays(arrays, names=names)


@dataclass
class ParquetSource:
    """A Parquet file; partitions follow its row groups, merged up to the requested number of rows."""

    path: Path
    label: str
    n_rows: int
    group_starts: list[int]
    masks: dict[str, str]
    info: dict[str, ColumnInfo]
    meta: pd.DataFrame
    elements: dict[str, list[str]]  # a fixed-size list column's element columns

    @classmethod
    def open(cls, path: Path, hdu: int | str | None = None, chunk_rows: int | None = None) -> ParquetSource:
        try:
            metadata = pq.ParquetFile(path).metadata
        except (OSError, pa.ArrowException) as exc:
            raise AstromlpError(f"{path.name} is not a readable Parquet file ({reason(exc)}); check that it is "
                                "complete") from None
        if metadata.num_rows == 0:
            raise empty_table_error(path.name)
        schema = metadata.schema.to_arrow_schema()
        check_unique(schema.names, path.name)
        header = _astropy_header(schema)
        masks = _mask_columns(header)
        meta, elements = split_lists(schema, _meta(schema, metadata, masks), path.name)
        info = column_info(meta, header, elements)
        sizes = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
        starts = [int(s) for s in np.cumsum([0, *sizes])]
        return cls(path=path, label=path.name, n_rows=metadata.num_rows, group_starts=starts, masks=masks,
                   info=info, meta=meta, elements=elements)

    def row_ranges(self, chunk_rows: int | None) -> list[tuple[int, int]]:
        """Whole row groups, several merged while they stay below `chunk_rows` rows."""
        ranges: list[tuple[int, int]] = []
        for start, stop in zip(self.group_starts[:-1], self.group_starts[1:], strict=True):
            if stop == start:
                continue
            if ranges and chunk_rows is not None and stop - ranges[-1][0] <= chunk_rows:
                ranges[-1] = (ranges[-1][0], stop)
            else:
                ranges.append((start, stop))
        return ranges

    def read_rows(self, start: int, stop: int, columns: list[str] | None) -> pd.DataFrame:
        first = bisect.bisect_right(self.group_starts, start) - 1
        last = bisect.bisect_left(self.group_starts, stop)
        masks = {name: mask for name, mask in self.masks.items() if columns is None or name in columns}
        wanted = None if columns is None else stored_columns([*columns, *masks.values()], self.elements)
        try:
            table = pq.ParquetFile(self.path).read_row_groups(range(first, last), columns=wanted)
        except (OSError, pa.ArrowException) as exc:
            raise AstromlpError(f"cannot read rows {start}-{stop} of {self.label} ({reason(exc)}); check that the "
                                "file is complete") from None
        offset = start - self.group_starts[first]
        frame = _apply_masks(arrow_to_pandas(split_vectors(table.slice(offset, stop - start), self.elements)), masks)
        return conform(frame, self.meta if columns is None else self.meta[columns])
