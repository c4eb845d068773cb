"""A generated survey-like HATS catalog of any size, written one pixel at a time (never the whole table in
memory), beside the same rows as plain Parquet files, for bench_scale.py.

Positions are uniform on the sphere; the HEALPix order is the lowest that keeps a pixel at about
PIXEL_ROWS rows or fewer, as hats-import's threshold would, so pixels hold about as many rows at 2M as at
20M rows. HEALPix pixels have equal areas, so each pixel's row count is a multinomial draw, and its rows are
the centres of uniformly drawn order-29 cells inside it (nested numbering: pixel p's cells are a range),
whose numbers are the `_healpix_29` column itself: no sorting of whole chunks, no position-to-pixel pass.
Each pixel file is one row group sorted by `_healpix_29`, as hats-import writes it; the plain files hold the
same rows in the same order, CHUNK rows each. Dictionary encoding is off in both (random numbers do not
repeat: pyarrow's default builds a dictionary, gives up, and costs 5x the write).
The structure files (properties, partition_info.csv, dataset/_metadata) come from the hats library itself.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 1_000_000
PIXEL_ROWS = 250_000
BANDS = "ugriz"
ORDER = 29  # the order of the spatial index column, _healpix_29
WRITE = {"use_dictionary": False}


def pixel_order(rows: int) -> int:
    """The lowest HEALPix order whose 12 * 4**k pixels hold about PIXEL_ROWS rows each or fewer."""
    return max(0, math.ceil(math.log(max(rows / (12 * PIXEL_ROWS), 1), 4)))


def _pixel_rows(pixel: int, order: int, n: int, first_id: int, rng: np.random.Generator) -> pa.Table:
    """`n` rows uniform over one pixel, sorted by their order-29 cell."""
    from cdshealpix.nested import healpix_to_lonlat

    shift = 2 * (ORDER - order)
    cells = np.sort((np.int64(pixel) << shift) + rng.integers(0, 1 << shift, n, dtype=np.int64))
    lon, lat = healpix_to_lonlat(cells, ORDER)
    mags = {b: rng.normal(18.5 + i * 0.3, 1.2, n).astype(np.float32) for i, b in enumerate(BANDS)}
    return pa.table({"objid": np.arange(first_id, first_id + n, dtype=np.int64), "ra": lon.deg, "dec": lat.deg,
                     **mags, "_healpix_29": cells})


class _PlainFiles:
    """The same rows as Parquet files of CHUNK rows each, appended in order."""

    def __init__(self, folder: Path):
        self.folder, self.files, self.writer, self.rows = folder, [], None, 0

    def append(self, table: pa.Table) -> None:
        while table.num_rows:
            if self.writer is None or self.rows == CHUNK:
                self.close()
                self.files.append(self.folder / f"part_{len(self.files):02d}.parquet")
                self.writer, self.rows = pq.ParquetWriter(self.files[-1], table.schema, **WRITE), 0
            taken = min(CHUNK - self.rows, table.num_rows)
            self.writer.write_table(table.slice(0, taken))
            self.rows, table = self.rows + taken, table.slice(taken)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def build(folder: Path, name: str, rows: int, seed: int) -> tuple[Path, list[Path]]:
    """HATS catalog folder/name and the same rows as Parquet files folder/name_parquet/part_NN.parquet."""
    import hats

    order, rng = pixel_order(rows), np.random.default_rng(seed)
    base, flat = folder / name, folder / f"{name}_parquet"
    flat.mkdir(parents=True)
    plain, written, first_id = _PlainFiles(flat), [], 0
    counts = rng.multinomial(rows, np.full(12 * 4**order, 1 / (12 * 4**order)))
    for pixel in np.flatnonzero(counts):
        table = _pixel_rows(int(pixel), order, int(counts[pixel]), first_id, rng)
        path = Path(str(hats.io.paths.pixel_catalog_file(base, hats.pixel_math.HealpixPixel(order, int(pixel)))))
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path, **WRITE)
        plain.append(table)
        written.append(int(pixel))
        first_id += table.num_rows
    plain.close()
    _structure(hats, base, name, order, written, rows)
    return base, plain.files


def _structure(hats, base: Path, name: str, order: int, pixels: list[int], rows: int) -> None:
    hats.catalog.PartitionInfo([hats.pixel_math.HealpixPixel(order, p) for p in pixels]).write_to_file(
        base / "partition_info.csv")
    hats.io.write_parquet_metadata(base)
    hats.catalog.TableProperties(catalog_name=name, catalog_type="object", total_rows=rows, ra_column="ra",
                                 dec_column="dec", healpix_column="_healpix_29", healpix_order=29
                                 ).to_properties_file(base)
