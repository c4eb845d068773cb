"""Issue 23: HATS catalogs (written by lsdb from the bundled SDSS sample) read as one more catalog format."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from astromlp.catalogs import describe_columns, inspect_text, read
from astromlp.errors import AstromlpError
from tests.catalogs.hats_samples import sdss_frame, write_hats

lsdb = pytest.importorskip("lsdb")
COLUMNS = ["ra", "dec", "u", "r", "redshift", "class"]


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    return sdss_frame(4000)


@pytest.fixture(scope="module")
def catalog(source, tmp_path_factory):
    return write_hats(source, tmp_path_factory.mktemp("hats") / "sdss_hats")


@pytest.fixture(scope="module")
def collection(source, tmp_path_factory):
    return write_hats(source, tmp_path_factory.mktemp("hats") / "sdss_collection", collection=True)


def _by_position(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["ra", "dec"]).reset_index(drop=True)


def test_read_gives_the_source_rows_with_only_the_asked_columns(catalog, source):
    frame = read(catalog, columns=COLUMNS)
    assert list(frame.columns) == COLUMNS
    read_back = frame.compute()
    assert list(read_back.index) == list(range(len(source)))
    pd.testing.assert_frame_equal(_by_position(read_back), _by_position(source[COLUMNS]), check_dtype=False)


def test_a_list_column_is_read_as_numbered_scalar_columns_as_in_parquet_and_fits(tmp_path):
    """A PDF column (predict's fixed-size list) in a HATS catalog reads back as numbers, not text."""
    from astromlp.catalogs.vector_columns import vector_array

    frame = sdss_frame(300)[["ra", "dec", "redshift"]]
    values = np.random.default_rng(5).random((300, 4)).astype(np.float32)
    frame["z_pdf"] = vector_array(values)
    read_back = _by_position(read(write_hats(frame, tmp_path / "pdf_hats", partition_rows=100)).compute())
    expected = _by_position(pd.DataFrame({"ra": frame["ra"], "dec": frame["dec"],
                                          **{f"z_pdf_{j}": values[:, j] for j in range(4)}}))
    pd.testing.assert_frame_equal(read_back[expected.columns], expected)
    picked = read(tmp_path / "pdf_hats", columns=["dec", "z_pdf_2"]).compute()
    assert list(picked.columns) == ["dec", "z_pdf_2"] and picked["z_pdf_2"].dtype == np.float32


def test_read_follows_lsdb_pixel_by_pixel(catalog):
    """One Dask partition per pixel, rows in lsdb's order, so a partition is one pixel of the catalog."""
    ours = read(catalog, columns=["ra", "dec", "r"])
    theirs = lsdb.open_catalog(catalog, columns=["ra", "dec", "r"])
    assert ours.npartitions == theirs.npartitions > 1
    pixel_rows = [len(theirs.get_partition(p.order, p.pixel).compute()) for p in theirs.get_healpix_pixels()]
    assert [len(part) for part in ours.partitions] == pixel_rows
    np.testing.assert_array_equal(ours.compute().to_numpy(), theirs.compute().to_numpy())


def test_a_collection_and_the_hats_prefix_read_the_main_catalog(collection, source):
    assert (collection / "collection.properties").is_file()
    for name in (collection, f"hats:{collection}"):
        frame = read(name, columns=["ra", "dec", "r"]).compute()
        pd.testing.assert_frame_equal(_by_position(frame), _by_position(source[["ra", "dec", "r"]]))


def test_describe_and_inspect_list_every_column(catalog, source):
    described = describe_columns(catalog)
    assert list(described) == [*source.columns, "_healpix_29"]
    assert described["redshift"].dtype == "float64" and described["run"].dtype == "int64"
    text = inspect_text([catalog])
    assert text.startswith(f"sdss_hats: HATS, {len(source):,} rows, {len(source.columns) + 1} columns")
    assert f"{source['r'].min():g}" in text


def test_a_plain_directory_is_refused_with_one_line(tmp_path):
    (tmp_path / "a.fits").write_bytes(b"")
    with pytest.raises(AstromlpError, match="is a directory, not a catalog file"):
        read(tmp_path)
    with pytest.raises(AstromlpError, match="is not a HATS catalog: .* holds none of hats.properties"):
        read(f"hats:{tmp_path}")


def test_a_format_override_must_agree(catalog, tmp_path):
    with pytest.raises(AstromlpError, match="is a HATS catalog directory, not a FITS file"):
        read(catalog, format="fits")
    path = tmp_path / "plain.parquet"
    sdss_frame(10).to_parquet(path)
    with pytest.raises(AstromlpError, match="is a file, not a HATS catalog directory"):
        read(path, format="hats")


def test_a_missing_pixel_file_is_one_line_naming_it(source, tmp_path):
    broken = write_hats(source.iloc[:1500], tmp_path / "broken")
    pixel = sorted((broken / "dataset").rglob("Npix=*.parquet"))[0]
    pixel.unlink()
    with pytest.raises(AstromlpError, match=f"cannot read {pixel.name} of the HATS catalog broken"):
        read(broken, columns=["r"]).compute(scheduler="synchronous")


def test_without_the_extra_a_hats_input_names_what_to_install(catalog, monkeypatch):
    monkeypatch.setitem(sys.modules, "hats", None)  # what `import hats` meets when the package is absent
    with pytest.raises(AstromlpError, match=r"needs the optional package 'hats'; install it with "
                                            r"pip install 'astromlp\[hats\]'"):
        read(catalog)
