"""HATS catalogs (Parquet partitioned by HEALPix pixel, as lsdb writes them): one partition per pixel.

The catalog's structure (pixels, schema, row counts) comes from the `hats` library, lsdb's own reader of
the format, from its properties, `partition_info.csv` and `dataset/_metadata`; each pixel is read on demand
with only the requested columns. Requires the optional extra `astromlp[hats]`.
"""

from __future__ import annotations

import bisect
import importlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from astromlp.catalogs.columns import ColumnInfo, check_unique
from astromlp.catalogs.parquet_source import (
    _astropy_header,
    _meta,
    arrow_to_pandas,
    column_info,
    split_lists,
    split_vectors,
    stored_columns,
)
from astromlp.catalogs.sources import conform, empty_table_error, reason
from astromlp.errors import AstromlpError

INSTALL = "pip install 'astromlp[hats]'"


def require(module: str, purpose: str):
    """The optional module `module`, or one line naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise AstromlpError(f"{purpose} needs the optional package {module!r}; install it with {INSTALL}") from None


def open_catalog(path: Path):
    """The hats Catalog at `path` (a collection's main catalog), checked to hold objects or sources."""
    hats = require("hats", f"reading the HATS catalog {path}")
    try:
        catalog = hats.read_hats(path)
    except (OSError, ValueError, TypeError, pa.ArrowException) as exc:
        raise AstromlpError(f"{path} is not a readable HATS catalog ({reason(exc)}); check that it is complete "
                            "(properties, partition_info.csv and dataset/)") from None
    catalog = getattr(catalog, "main_catalog", catalog)
    if not hasattr(catalog, "get_healpix_pixels") or catalog.catalog_info.ra_column is None:
        raise AstromlpError(f"{path} is a HATS {catalog.catalog_info.catalog_type} catalog, not one of objects or "
                            "sources; give the catalog directory itself")
    return catalog


def _pixel_rows(catalog, files: list[Path]) -> list[int]:
    """Rows per pixel file: from dataset/_metadata (one read) when present, else from each file's footer."""
    dataset = Path(str(catalog.catalog_base_dir)) / "dataset"
    counts = dict.fromkeys((str(f.relative_to(dataset)) for f in files), 0)
    if (dataset / "_metadata").is_file():
        metadata = pq.read_metadata(dataset / "_metadata")
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            name = row_group.column(0).file_path
            if name in counts:
                counts[name] += row_group.num_rows
        if sum(counts.values()) == catalog.catalog_info.total_rows:
            return list(counts.values())
    return [pq.read_metadata(f).num_rows for f in files]


@dataclass
class HatsSource:
    """A HATS catalog: its pixels in lsdb's order, one row range (and Dask partition) per pixel."""

    path: Path
    label: str
    n_rows: int
    files: list[Path]
    starts: list[int]
    pixels: list[tuple[int, int]]
    spatial_columns: tuple[str, ...]
    info: dict[str, ColumnInfo]
    meta: pd.DataFrame
    elements: dict[str, list[str]]  # a fixed-size list column's element columns (see parquet_source)

    @classmethod
    def open(cls, path: Path, hdu: int | str | None = None, chunk_rows: int | None = None) -> HatsSource:
        catalog = open_catalog(path)
        pixels = list(catalog.get_healpix_pixels())
        base = Path(str(catalog.catalog_base_dir))
        hats = require("hats", f"reading the HATS catalog {path}")
        files = [Path(str(hats.io.paths.pixel_catalog_file(base, pixel))) for pixel in pixels]
        try:
            rows = _pixel_rows(catalog, files)
            schema = catalog.schema or pq.read_schema(files[0])
        except (OSError, pa.ArrowException) as exc:
            raise AstromlpError(f"cannot read the partitions of the HATS catalog {path} ({reason(exc)}); check "
                                "that it is complete") from None
        if sum(rows) == 0:
            raise empty_table_error(path.name)
        check_unique(schema.names, path.name)
        meta, elements = split_lists(schema, _meta_of(schema, base), path.name)
        info = column_info(meta, _astropy_header(schema), elements)
        starts = [0]
        for count in rows:
            starts.append(starts[-1] + count)
        return cls(path=path, label=path.name, n_rows=starts[-1], files=files, starts=starts,
                   pixels=[(pixel.order, pixel.pixel) for pixel in pixels], info=info, meta=meta, elements=elements,
                   spatial_columns=_spatial_columns(catalog.catalog_info, list(meta.columns)))

    def row_ranges(self, chunk_rows: int | None) -> list[tuple[int, int]]:
        """One range per non-empty pixel, whatever `chunk_rows`: the pixel is the catalog's unit of work."""
        return [(start, stop) for start, stop in zip(self.starts[:-1], self.starts[1:], strict=True) if stop > start]

    def read_rows(self, start: int, stop: int, columns: list[str] | None) -> pd.DataFrame:
        index = bisect.bisect_right(self.starts, start) - 1  # the last pixel starting here: empty ones come first
        if self.starts[index] != start or self.starts[index + 1] != stop:
            raise ValueError(f"rows {start}-{stop} are not one pixel of {self.label}")
        try:
            table = pq.read_table(self.files[index], columns=stored_columns(columns, self.elements))
        except (OSError, pa.ArrowException) as exc:
            raise AstromlpError(f"cannot read {self.files[index].name} of the HATS catalog {self.label} "
                                f"({reason(exc)}); check that the catalog is complete") from None
        frame = arrow_to_pandas(split_vectors(table.replace_schema_metadata(None), self.elements))
        return conform(frame, self.meta if columns is None else self.meta[columns])


def _spatial_columns(info, columns: list[str]) -> tuple[str, ...]:
    """The right ascension, declination and HEALPix index columns the catalog's properties name."""
    names = (info.ra_column, info.dec_column, info.healpix_column or "_healpix_29")
    return tuple(name for name in names if name in columns)


def _meta_of(schema: pa.Schema, base: Path) -> pd.DataFrame:
    """The empty frame of the catalog's columns (never its pandas index): integer columns nullable unless
    dataset/_metadata's statistics show no nulls in any pixel."""
    schema = schema.remove_metadata()
    metadata = base / "dataset" / "_metadata"
    if metadata.is_file():
        return _meta(schema, pq.read_metadata(metadata), {})
    return arrow_to_pandas(schema.empty_table())
