"""`read` and `describe_columns`: catalog files of any supported format as one lazy Dask DataFrame."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dask.dataframe as dd
import pandas as pd

from astromlp.catalogs.columns import ColumnInfo
from astromlp.catalogs.formats import open_source
from astromlp.catalogs.paths import expand_paths
from astromlp.catalogs.schema import ReadPlan, plan_read
from astromlp.catalogs.sources import Source, conform

PathsLike = str | os.PathLike | Iterable[str | os.PathLike]


def open_sources(paths: PathsLike, *, hdu: int | str | None = None, format: str | None = None,
                 chunk_rows: int | None = None) -> list[Source]:
    """One opened, checked Source per file named by `paths`."""
    return [open_source(p, hdu=hdu, format=format, chunk_rows=chunk_rows) for p in expand_paths(paths)]


@dataclass(frozen=True)
class _PartitionReader:
    """Reads one partition (source index, rows, first global row); dask projects `columns` into it."""

    sources: tuple[Source, ...]
    plan: ReadPlan

    def __call__(self, part: tuple[int, int, int, int], columns: list[str] | None = None) -> pd.DataFrame:
        index, start, stop, first_row = part
        names = list(self.plan.meta.columns) if columns is None else list(columns)
        spelled = dict(zip(self.plan.meta.columns, self.plan.spellings[index], strict=True))
        frame = self.sources[index].read_rows(start, stop, [spelled[n] for n in names])
        frame.columns = names
        frame.index = pd.RangeIndex(first_row, first_row + len(frame))
        return conform(frame, self.plan.meta[names])


def read(paths: PathsLike, *, hdu: int | str | None = None, format: str | None = None,
         columns: Sequence[str] | None = None, chunk_rows: int | None = None) -> dd.DataFrame:
    """Catalog files (path, glob or list) as one Dask DataFrame, indexed by global row number 0..N-1.

    Files are opened and checked now (headers; CSV row counts; VOTable and ECSV parsed whole), rows are read
    lazily in partitions of `chunk_rows` (default: about 8 MiB of table data; Parquet: row groups; CSV:
    byte blocks). FITS is memory-mapped, or streamed when gzip/bzip2-compressed. Column names keep the first
    file's spelling and match case-insensitively in the others. `hdu` picks a FITS HDU or a VOTable table
    (index or name); `format` overrides detection ("fits", "parquet", "votable", "ecsv", "csv").
    """
    sources = open_sources(paths, hdu=hdu, format=format, chunk_rows=chunk_rows)
    return frame_of(sources, columns=columns, chunk_rows=chunk_rows)


def frame_of(sources: Sequence[Source], *, columns: Sequence[str] | None = None,
             chunk_rows: int | None = None) -> dd.DataFrame:
    """The Dask DataFrame of already opened `sources`, one partition per row range."""
    plan = plan_read(sources, columns)
    parts, offset = [], 0
    for index, source in enumerate(sources):
        parts += [(index, start, stop, offset + start) for start, stop in source.row_ranges(chunk_rows)]
        offset += source.n_rows
    divisions = [part[3] for part in parts] + [offset - 1]
    return dd.from_map(_PartitionReader(tuple(sources), plan), parts, meta=plan.meta, divisions=divisions,
                       label="read-catalog", enforce_metadata=False)


def describe_columns(paths: PathsLike, *, hdu: int | str | None = None,
                     format: str | None = None) -> dict[str, ColumnInfo]:
    """Name, dtype, unit and description of every column, as `read` would return them."""
    return columns_of(open_sources(paths, hdu=hdu, format=format))


def columns_of(sources: Sequence[Source]) -> dict[str, ColumnInfo]:
    """Name, dtype, unit and description of every column of already opened `sources`, as `frame_of` gives
    them (the first file's spelling and units)."""
    plan = plan_read(sources, None)
    first = sources[0].info
    return {name: ColumnInfo(name, str(dtype), first[name].unit, first[name].description)
            for name, dtype in plan.meta.dtypes.items()}
