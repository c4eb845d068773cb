"""A generated survey-like HATS catalog of any size, written in chunks (never the whole table in memory),
beside the same rows as plain Parquet files, for bench_scale.py.

Positions are uniform on the sphere; the HEALPix order is the lowest that keeps a pixel at about
PIXEL_ROWS rows or fewer, as hats-import's threshold would, so pixels hold about as many rows at 2M as at
20M rows. Each pixel file is one row group per generated chunk, rows sorted by `_healpix_29` within it.
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


def pixel_order(rows: int) -> int:
    """The lowest HEALPix order whose 12 * 4**k pixels hold about PIXEL_ROWS rows each or fewer."""
    return max(0, math.ceil(math.log(max(rows / (12 * PIXEL_ROWS), 1), 4)))


def _chunk(n: int, first_id: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    from hats.pixel_math.spatial_index import compute_spatial_index

    ra, dec = rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    mags = {b: rng.normal(18.5 + i * 0.3, 1.2, n).astype(np.float32) for i, b in enumerate(BANDS)}
    return {"objid": np.arange(first_id, first_id + n, dtype=np.int64), "ra": ra, "dec": dec, **mags,
            "_healpix_29": compute_spatial_index(ra, dec)}


def build(folder: Path, name: str, rows: int, seed: int) -> tuple[Path, list[Path]]:
    """HATS catalog folder/name and the same rows as Parquet files folder/name_parquet/part_NN.parquet."""
    import hats

    order, rng = pixel_order(rows), np.random.default_rng(seed)
    base, flat = folder / name, folder / f"{name}_parquet"
    flat.mkdir(parents=True)
    writers: dict[int, pq.ParquetWriter] = {}
    files = []
    for number, start in enumerate(range(0, rows, CHUNK)):
        columns = _chunk(min(CHUNK, rows - start), start, rng)
        table = pa.table(columns)
        files.append(flat / f"part_{number:02d}.parquet")
        pq.write_table(table, files[-1])
        table = table.take(np.argsort(columns["_healpix_29"], kind="stable"))
        pixels = np.asarray(table["_healpix_29"]) >> (2 * (29 - order))
        edges = np.flatnonzero(np.diff(pixels)) + 1
        for lo, hi in zip(np.r_[0, edges], np.r_[edges, len(pixels)], strict=True):
            pixel = int(pixels[lo])
            if pixel not in writers:
                path = Path(str(hats.io.paths.pixel_catalog_file(base, hats.pixel_math.HealpixPixel(order, pixel))))
                path.parent.mkdir(parents=True, exist_ok=True)
                writers[pixel] = pq.ParquetWriter(path, table.schema)
            writers[pixel].write_table(table.slice(lo, hi - lo))
    for writer in writers.values():
        writer.close()
    _structure(hats, base, name, order, sorted(writers), rows)
    return base, files


def _structure(hats, base: Path, name: str, order: int, pixels: list[int], rows: int) -> None:
    hats.catalog.PartitionInfo([hats.pixel_math.HealpixPixel(order, p) for p in pixels]).write_to_file(
        base / "partition_info.csv")
    hats.io.write_parquet_metadata(base)
    hats.catalog.TableProperties(catalog_name=name, catalog_type="object", total_rows=rows, ra_column="ra",
                                 dec_column="dec", healpix_column="_healpix_29", healpix_order=29
                                 ).to_properties_file(base)
