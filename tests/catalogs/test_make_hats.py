"""The benchmarks' HATS generator: a valid catalog whose pixels hold their rows, beside the same rows as Parquet."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("hats")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import make_hats  # noqa: E402


def test_generated_catalog_is_valid_and_equals_its_parquet_copy(tmp_path, monkeypatch):
    import hats
    import pyarrow.parquet as pq
    from hats.pixel_math.spatial_index import compute_spatial_index

    monkeypatch.setattr(make_hats, "PIXEL_ROWS", 1_000)
    monkeypatch.setattr(make_hats, "CHUNK", 7_000)
    base, files = make_hats.build(tmp_path, "sky", 30_000, seed=3)
    catalog = hats.read_hats(base)
    pixels = catalog.get_healpix_pixels()
    assert catalog.catalog_info.total_rows == 30_000 and {p.order for p in pixels} == {1} and len(pixels) == 48
    whole = pq.read_table(base / "dataset").sort_by("objid")
    # the stored HEALPix index is the one hats computes from the position
    index = whole["_healpix_29"].to_numpy()
    np.testing.assert_array_equal(compute_spatial_index(whole["ra"].to_numpy(), whole["dec"].to_numpy()), index)
    for pixel in pixels:  # each pixel file: one row group, its own rows only, sorted
        path = hats.io.paths.pixel_catalog_file(base, pixel)
        assert pq.ParquetFile(path).metadata.num_row_groups == 1
        cells = pq.read_table(path, columns=["_healpix_29"])["_healpix_29"].to_numpy()
        assert np.all(cells >> (2 * (29 - pixel.order)) == pixel.pixel) and np.all(np.diff(cells) >= 0)
    plain = pq.read_table(files).sort_by("objid")
    assert [pq.ParquetFile(f).metadata.num_rows for f in files] == [7_000] * 4 + [2_000]
    assert plain.equals(whole.select(plain.column_names))
    # uniform on the sphere: a quarter of the rows above dec = 30 (1 - sin 30 = half of a hemisphere)
    assert abs(np.mean(whole["dec"].to_numpy() > 30) - 0.25) < 0.01
