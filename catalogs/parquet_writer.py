"""Parquet output, one row group per chunk, with astropy's metadata so Table.read keeps units.

Text widths are not known before the last chunk, so astropy's reader measures them itself (it warns that
`table::len::<name>` is absent); units and descriptions travel in the `table_meta_yaml` key it reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from astromlp.catalogs.column_meta import ColumnInfos, astropy_yaml
from astromlp.catalogs.parquet_source import ASTROPY_META_KEY


def _schema(meta: pd.DataFrame, info: ColumnInfos | None) -> pa.Schema:
    schema = pa.Schema.from_pandas(meta, preserve_index=False)
    return schema.with_metadata({**(schema.metadata or {}), ASTROPY_META_KEY: astropy_yaml(meta, info).encode()})


def write_parquet(chunks: Iterable[pd.DataFrame], meta: pd.DataFrame, path: Path,
                  info: ColumnInfos | None = None) -> int:
    """Stream `chunks` into one Parquet file at `path`; returns the number of rows written."""
    schema = _schema(meta, info)
    rows = 0
    with pq.ParquetWriter(path, schema) as writer:
        for chunk in chunks:
            table = pa.Table.from_pandas(chunk, schema=schema, preserve_index=False)
            writer.write_table(table)
            rows += table.num_rows
    return rows
