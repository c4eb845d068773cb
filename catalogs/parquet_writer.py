"""Parquet output, one row group per chunk, with astropy's metadata so Table.read keeps units.

astropy reads text columns back at the width recorded under `table::len::<name>`, known only after the last
chunk; the file's key-value metadata (pandas dtypes, astropy YAML, widths) is therefore written at close,
and the Arrow schema is not stored separately (it would carry the metadata as it was at the start).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from astromlp.catalogs.column_meta import ColumnInfos, astropy_yaml
from astromlp.catalogs.parquet_source import ASTROPY_META_KEY


def _longest(table: pa.Table, name: str) -> int:
    return pc.max(pc.utf8_length(table.column(name))).as_py() or 0


def write_parquet(chunks: Iterable[pd.DataFrame], meta: pd.DataFrame, path: Path,
                  info: ColumnInfos | None = None, metadata: Mapping[str, str] | None = None) -> int:
    """Stream `chunks` into one Parquet file at `path`, `metadata` among its key-value metadata; returns rows."""
    schema = pa.Schema.from_pandas(meta, preserve_index=False)
    widths = {f.name: 1 for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)}
    rows = 0
    dictionary = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    with pq.ParquetWriter(path, schema, store_schema=False, use_dictionary=dictionary) as writer:
        for chunk in chunks:
            table = pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
            widths = {name: max(width, _longest(table, name)) for name, width in widths.items()}
            writer.write_table(table)
            rows += table.num_rows
        writer.add_key_value_metadata({**(schema.metadata or {}), **(metadata or {}),
                                       ASTROPY_META_KEY: astropy_yaml(meta, info).encode(),
                                       **{f"table::len::{name}": str(n) for name, n in widths.items()}})
    return rows
