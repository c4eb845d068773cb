"""A Dask frame read from a HATS catalog written back as a HATS catalog with the same pixels, one Dask task
per pixel, so lsdb can open and cross-match the output. The catalog is built by `astromlp.files.atomic_directory`
(a temporary directory beside the target, moved into place once complete; only a HATS catalog is replaced)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import dask
import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from astromlp.catalogs.formats import by_suffix
from astromlp.catalogs.hats_source import HatsSource, require
from astromlp.catalogs.parquet_writer import arrow_chunk
from astromlp.catalogs.paths import HATS_PREFIX, is_hats
from astromlp.errors import AstromlpError
from astromlp.files import atomic_directory, output_errors


def _write_pixel(part: pd.DataFrame, path: Path, schema: pa.Schema, metadata: Mapping[str, str]) -> int:
    """One pixel's rows as one Parquet file (nothing for an empty pixel); returns its row count."""
    if len(part) == 0:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    table = arrow_chunk(part, schema)
    pq.write_table(table.replace_schema_metadata({**(schema.metadata or {}), **metadata}), path)
    return table.num_rows


def _write_structure(hats, source: HatsSource, target: Path, pixels: list, rows: list[int],
                     metadata: Mapping[str, str]) -> None:
    """properties, partition_info.csv and dataset/_metadata of the pixels written."""
    hats.io.write_parquet_metadata(target)
    hats.catalog.PartitionInfo(pixels).write_to_file(target / "partition_info.csv")
    info = hats.read_hats(source.path)
    info = getattr(info, "main_catalog", info).catalog_info
    properties = {key: value for key, value in metadata.items() if key.isascii()}
    info.copy_and_update(catalog_name=target.name, total_rows=sum(rows), hats_max_rows=max(rows),
                         skymap_order=None, skymap_alt_orders=None, default_columns=None,
                         **properties).to_properties_file(target)


def hats_output(inputs: list[Path], out: Path) -> HatsSource | None:
    """The HATS input whose pixels the output keeps, when `out` is a HATS catalog: `hats:DIR`, or a name
    without a file suffix while the input is one HATS catalog; None for a FITS or Parquet output."""
    explicit = str(out).startswith(HATS_PREFIX)
    single = len(inputs) == 1 and is_hats(inputs[0])
    if not explicit and (not single or by_suffix(out) is not None):
        return None
    if not single:
        raise AstromlpError(f"a HATS output ({out}) keeps its input's HEALPix partitioning: give one HATS catalog "
                            "as input, or write .parquet or .fits")
    return HatsSource.open(inputs[0])


def write_hats(df: dd.DataFrame, source: HatsSource, out: Path, *, metadata: Mapping[str, str] | None = None,
               overwrite: bool = True) -> int:
    """Write `df` (one partition per non-empty pixel of `source`, in order) as a HATS catalog at `out`;
    returns the rows written. `metadata` goes into each file's key-value metadata and the properties."""
    hats = require("hats", f"writing the HATS catalog {out}")
    sizes = [stop - start for start, stop in zip(source.starts[:-1], source.starts[1:], strict=True)]
    pixels = [pixel for pixel, size in zip(source.pixels, sizes, strict=True) if size]
    if df.npartitions != len(pixels):
        raise ValueError(f"{df.npartitions} partitions for {len(pixels)} pixels of {source.label}")
    pixels = [hats.pixel_math.HealpixPixel(order, pixel) for order, pixel in pixels]
    schema = pa.Schema.from_pandas(df._meta, preserve_index=False)
    advice = f"free some space or choose another output (any previous {out.name} is unchanged)"
    with output_errors(str(out), advice), atomic_directory(
            out, overwrite=overwrite, replaceable=is_hats, kind="a HATS catalog") as temporary:
        files = [Path(str(hats.io.paths.pixel_catalog_file(temporary, pixel))) for pixel in pixels]
        tasks = [dask.delayed(_write_pixel)(part, path, schema, dict(metadata or {}))
                 for part, path in zip(df.to_delayed(), files, strict=True)]
        rows = list(dask.compute(*tasks))
        written = [(pixel, count) for pixel, count in zip(pixels, rows, strict=True) if count]
        if not written:
            raise AstromlpError(f"no rows to write to {out}: every row was left out; loosen the selection")
        _write_structure(hats, source, temporary, *map(list, zip(*written, strict=True)), metadata or {})
    return sum(rows)
