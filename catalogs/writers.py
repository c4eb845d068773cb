"""`write`: a Dask or pandas frame to FITS or Parquet (chosen by extension), streamed and atomic."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import dask.dataframe as dd
import pandas as pd

from astromlp.catalogs.column_meta import ColumnInfos
from astromlp.catalogs.formats import by_suffix
from astromlp.catalogs.parquet_writer import arrow_chunk, parquet_schema, write_parquet
from astromlp.catalogs.partitions import iter_chunks, meta_of
from astromlp.errors import AstromlpError
from astromlp.files import atomic_path, check_destination, output_errors

Frame = pd.DataFrame | dd.DataFrame


def _fits(df: Frame, path: Path, target: Path, info: ColumnInfos | None, metadata: Mapping[str, str]) -> int:
    from astromlp.catalogs.fits_writer import check_column_names, text_widths, write_fits  # astropy: when needed

    meta = meta_of(df)
    check_column_names(meta.columns, path)
    compress = path.name.lower().endswith(".gz")
    return write_fits(iter_chunks(df), meta, target, text_widths(df, meta), info, compress=compress,
                      metadata=metadata)


def _parquet(df: Frame, path: Path, target: Path, info: ColumnInfos | None, metadata: Mapping[str, str]) -> int:
    meta = meta_of(df)
    convert = functools.partial(arrow_chunk, schema=parquet_schema(meta))  # in the partitions' tasks
    return write_parquet(iter_chunks(df, convert=convert), meta, target, info, metadata=metadata)


WRITERS: dict[str, Callable[[Frame, Path, Path, ColumnInfos | None, Mapping[str, str]], int]] = {
    "fits": _fits, "parquet": _parquet}


def write(df: Frame, path: str | os.PathLike, *, overwrite: bool = True, info: ColumnInfos | None = None,
          metadata: Mapping[str, str] | None = None) -> int:
    """Write `df` to `path` as FITS (.fits, .fits.gz) or Parquet (.parquet), partition by partition, through
    a temporary file renamed into place; `info` supplies units and descriptions, `metadata` (ASCII key ->
    ASCII text) file-level records: HIERARCH cards of the table header, or Parquet key-value metadata.
    Returns rows written."""
    path = Path(path)
    kind = by_suffix(path)
    if kind is None or kind.name not in WRITERS or (path.name.lower().endswith(".gz") and kind.name != "fits"):
        raise AstromlpError(f"cannot write {path.name}: astromlp writes .fits, .fits.gz and .parquet files; "
                            "change the extension")
    advice = f"free some space or choose another output (any previous {path.name} is unchanged)"
    check_destination(path, overwrite)
    with output_errors(str(path), advice), atomic_path(path, overwrite=overwrite) as target:
        return WRITERS[kind.name](df, path, target, info, metadata or {})
