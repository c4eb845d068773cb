"""Parquet output, one row group per chunk, with astropy's metadata so Table.read keeps units.

astropy reads text columns back at the width recorded under `table::len::<name>`, known only after the last
chunk; the file's key-value metadata (pandas dtypes, astropy YAML, widths) is therefore written at close,
and the Arrow schema is not stored by the writer (it would carry the metadata as it was at the start). Parquet
has no fixed-length list, so a file with a vector column (one PDF per row) gets the Arrow schema record
(`ARROW:schema`, base64 of its IPC serialisation, as pyarrow stores it) at close, with the final metadata:
pyarrow and astropy then read that column back as fixed-size lists, an (n, B) column.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from astromlp.catalogs.column_meta import ColumnInfos, astropy_yaml
from astromlp.catalogs.parquet_source import ASTROPY_META_KEY


def _longest(table: pa.Table, name: str) -> int:
    return pc.max(pc.utf8_length(table.column(name))).as_py() or 0


def parquet_schema(meta: pd.DataFrame) -> pa.Schema:
    """The Arrow schema a frame of `meta`'s columns is written with (pandas metadata, no index)."""
    return _readable_by_pandas(pa.Schema.from_pandas(meta, preserve_index=False))


def arrow_chunk(chunk: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """`chunk` as an Arrow table of `schema`, NaN as null, as pa.Table.from_pandas gives it, at a third of its
    cost: numeric numpy columns are wrapped without a copy (NaN marked by a mask), pandas' nullable and Arrow
    columns give their own arrays; an object column (e.g. one vector per row) sends the chunk through
    from_pandas."""
    columns = dict(chunk.items())
    if any(columns[field.name].dtype == object for field in schema):
        return pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
    return pa.Table.from_arrays([_arrow_column(columns[field.name], field.type) for field in schema], schema=schema)


def _arrow_column(column: pd.Series, kind: pa.DataType) -> pa.Array:
    if isinstance(column.dtype, np.dtype):
        values = column.to_numpy()
        return pa.array(values, type=kind, mask=np.isnan(values) if values.dtype.kind == "f" else None)
    return pa.array(column.array, type=kind, from_pandas=True)


def write_parquet(chunks: Iterable[pd.DataFrame | pa.Table], meta: pd.DataFrame, path: Path,
                  info: ColumnInfos | None = None, metadata: Mapping[str, str] | None = None) -> int:
    """Stream `chunks` into one Parquet file at `path`, `metadata` among its key-value metadata; returns rows.
    A chunk may already be an Arrow table of `parquet_schema(meta)` (converted where it was computed)."""
    schema = parquet_schema(meta)
    widths = {f.name: 1 for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)}
    rows = 0
    dictionary = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    with pq.ParquetWriter(path, schema, store_schema=False, use_dictionary=dictionary) as writer:
        for chunk in chunks:
            table = chunk if isinstance(chunk, pa.Table) else arrow_chunk(chunk, schema)
            widths = {name: max(width, _longest(table, name)) for name, width in widths.items()}
            writer.write_table(table)
            rows += table.num_rows
        records = {**(schema.metadata or {}), **(metadata or {}),
                   ASTROPY_META_KEY: astropy_yaml(meta, info, metadata).encode(),
                   **{f"table::len::{name}": str(n) for name, n in widths.items()}}
        writer.add_key_value_metadata({**records, **_arrow_schema_record(schema, records)})
    return rows


def _readable_by_pandas(schema: pa.Schema) -> pa.Schema:
    """`schema` with fixed-size list columns recorded as object columns in its pandas metadata: pandas cannot
    rebuild their Arrow dtype from its name, so pd.read_parquet would fail; it now gives one array per row."""
    vectors = {field.name for field in schema if pa.types.is_fixed_size_list(field.type)}
    if not vectors:
        return schema
    record = json.loads(schema.metadata[b"pandas"])
    record["columns"] = [{**c, "numpy_type": "object"} if c["name"] in vectors else c for c in record["columns"]]
    return schema.with_metadata({**schema.metadata, b"pandas": json.dumps(record).encode()})


def _arrow_schema_record(schema: pa.Schema, records: Mapping) -> dict[str, bytes]:
    """The `ARROW:schema` record when a column is a fixed-size list (the only type Parquet cannot say)."""
    if not any(pa.types.is_fixed_size_list(field.type) for field in schema):
        return {}
    return {"ARROW:schema": base64.b64encode(schema.with_metadata(records).serialize().to_pybytes())}
