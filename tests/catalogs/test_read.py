"""Reading every format into Dask: values equal what astropy wrote, units kept, chunks and files joined."""

from __future__ import annotations

import bz2
import gzip
import shutil

import astropy.units as u
import dask
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.table import Table

from astromlp.catalogs import describe_columns, read
from astromlp.catalogs.fits_source import FitsSource
from tests.catalogs.conftest import ASTROPY_FITS_DATA, catalog_table

FORMATS = ["fits", "fits.gz", "votable", "ecsv", "parquet", "csv"]


def expected_numbers(table: Table, name: str) -> np.ndarray:
    column = table[name]
    return np.ma.filled(np.ma.asarray(column).astype("float64"), np.nan)


def as_float(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype="float64", na_value=np.nan)


@pytest.mark.parametrize("kind", FORMATS)
def test_every_format_reads_the_values_astropy_wrote(catalog_files, table, kind):
    frame = read(catalog_files[kind]).compute()
    assert list(frame.columns) == table.colnames
    assert frame.index.equals(pd.RangeIndex(len(table)))
    for name in ["objid", "RA", "Dec", "u", "g", "nobs"]:
        np.testing.assert_allclose(as_float(frame[name]), expected_numbers(table, name), rtol=1e-6,
                                   equal_nan=True, err_msg=f"{kind}: {name}")
    assert frame["class"].tolist() == table["class"].tolist()
    assert frame["u"].isna().sum() == np.sum(table["u"].mask) == 7
    assert frame["nobs"].isna().sum() == np.sum(table["nobs"].mask) == 10


@pytest.mark.parametrize("kind", ["fits", "fits.gz", "votable", "ecsv", "parquet"])
def test_units_and_descriptions_come_from_the_file(catalog_files, kind):
    info = describe_columns(catalog_files[kind])
    assert info["RA"].unit == "deg" and info["u"].unit == "mag" and info["g"].unit == "mag"
    assert info["RA"].description == "Right ascension (J2000)"
    assert info["u"].description == "u-band PSF magnitude"
    assert info["objid"].unit is None and info["class"].dtype in {"str", "string"}


def test_csv_has_no_units_but_the_same_columns(catalog_files):
    info = describe_columns(catalog_files["csv"])
    assert list(info) == catalog_table().colnames and all(i.unit is None for i in info.values())


@pytest.mark.parametrize("kind", FORMATS)
def test_chunked_read_equals_whole_read(catalog_files, kind, tmp_path):
    path = catalog_files[kind]
    if kind == "parquet":  # Parquet partitions follow row groups: write several
        path = tmp_path / "groups.parquet"
        pq.write_table(pq.read_table(catalog_files["parquet"]), path, row_group_size=8)
    whole = read(path, chunk_rows=10_000)
    chunked = read(path, chunk_rows=8)
    assert whole.npartitions == 1 and chunked.npartitions > 1
    assert chunked.divisions[0] == 0 and chunked.divisions[-1] == 49
    pd.testing.assert_frame_equal(chunked.compute(), whole.compute())


def test_fits_chunks_are_exact_row_ranges(catalog_files):
    frame = read(catalog_files["fits"], chunk_rows=8)
    assert frame.npartitions == 7
    assert frame.divisions == (0, 8, 16, 24, 32, 40, 48, 49)
    assert len(frame.get_partition(6).compute()) == 2


def test_many_files_equal_their_concatenation_with_global_row_numbers(catalog_files, tmp_path):
    second = catalog_table(n_rows=30, seed=11)
    second.rename_column("RA", "ra")  # other spelling, same column
    second.write(tmp_path / "b.fits")
    shutil.copy(catalog_files["fits"], tmp_path / "a.fits")
    frame = read(str(tmp_path / "*.fits"), chunk_rows=16).compute()
    first = read(tmp_path / "a.fits").compute()
    other = read(tmp_path / "b.fits").compute().rename(columns={"ra": "RA"})
    expected = pd.concat([first, other], ignore_index=True)
    pd.testing.assert_frame_equal(frame, expected)
    assert list(frame.columns)[1] == "RA" and frame.index[-1] == 79


def test_files_of_different_formats_read_together(catalog_files):
    frame = read([catalog_files["fits"], catalog_files["parquet"]], columns=["ra", "u"]).compute()
    assert list(frame.columns) == ["RA", "u"] and len(frame) == 100
    np.testing.assert_array_equal(frame["RA"].to_numpy()[:50], frame["RA"].to_numpy()[50:])


def test_columns_match_case_insensitively_and_keep_the_file_spelling(catalog_files):
    frame = read(catalog_files["fits"], columns=["ra", "DEC", "U"])
    assert list(frame.columns) == ["RA", "Dec", "u"]
    assert frame.compute().shape == (50, 3)


def test_selecting_columns_after_read_reads_the_same_values(catalog_files):
    frame = read(catalog_files["fits.gz"], chunk_rows=9)
    pd.testing.assert_series_equal(frame["u"].compute(), frame.compute()["u"])


def test_tnull_and_nan_become_missing(tmp_path):
    counts = np.array([5, -99, 7, -99], dtype=np.int32)
    flux = np.array([1.5, np.nan, 2.5, 3.5])
    hdu = fits.BinTableHDU.from_columns([fits.Column(name="COUNTS", format="J", null=-99, array=counts),
                                         fits.Column(name="FLUX", format="D", unit="nmgy", array=flux)])
    hdu.writeto(tmp_path / "nulls.fits")
    frame = read(tmp_path / "nulls.fits", chunk_rows=3).compute()
    assert frame["COUNTS"].isna().tolist() == [False, True, False, True]
    assert frame["COUNTS"].dropna().tolist() == [5, 7]
    assert frame["FLUX"].isna().tolist() == [False, True, False, False]
    assert describe_columns(tmp_path / "nulls.fits")["FLUX"].unit == "nmgy"


NUMBERS = {"b": np.uint8, "i": np.int16, "j": np.int32, "k": np.int64, "e": np.float32, "d": np.float64}


@pytest.mark.parametrize("compressed", [False, True])
def test_plain_fits_numbers_read_from_the_bytes_equal_astropy(tmp_path, compressed):
    """Columns of one unscaled number (B I J K E D) skip astropy's decoding; the values and dtypes are
    astropy's, NaN included, plain or gzipped, alone or beside a text, scaled or TNULL column."""
    rng = np.random.default_rng(4)
    table = Table({name: (rng.normal(0, 1e3, 1000) if dtype().dtype.kind == "f" else rng.integers(0, 200, 1000)
                          ).astype(dtype) for name, dtype in NUMBERS.items()})
    table["e"][::7] = np.nan
    table["name"], table["u16"] = [f"obj{i}" for i in range(1000)], np.arange(1000, dtype=np.uint16)
    path = tmp_path / "numbers.fits"
    table.write(path)
    if compressed:
        path = tmp_path / "numbers.fits.gz"
        with open(tmp_path / "numbers.fits", "rb") as raw, gzip.open(path, "wb") as packed:
            shutil.copyfileobj(raw, packed)
    source = FitsSource.open(path)
    assert source.plain == tuple(NUMBERS)  # not the text column, nor uint16 (stored with TZERO = 32768)
    expected = Table.read(path).to_pandas()
    plain = read(path, columns=list(NUMBERS), chunk_rows=333).compute()
    pd.testing.assert_frame_equal(plain, expected[list(NUMBERS)])
    assert list(plain.dtypes) == [np.dtype(dtype) for dtype in NUMBERS.values()]
    mixed = read(path, chunk_rows=333).compute()  # astropy's path for every column of a chunk
    pd.testing.assert_frame_equal(mixed[list(NUMBERS)], plain)
    assert mixed["u16"].tolist() == list(range(1000)) and mixed["name"].iloc[999] == "obj999"


def test_hdu_chosen_by_name_in_any_case_or_by_index(tmp_path):
    stars = fits.BinTableHDU(Table({"mag": [1.0, 2.0]}), name="STARS")
    galaxies = fits.BinTableHDU(Table({"mag": [3.0, 4.0, 5.0]}), name="GALAXIES")
    fits.HDUList([fits.PrimaryHDU(), stars, galaxies]).writeto(tmp_path / "two.fits")
    assert read(tmp_path / "two.fits").compute()["mag"].tolist() == [1.0, 2.0]
    assert read(tmp_path / "two.fits", hdu="galaxies").compute()["mag"].tolist() == [3.0, 4.0, 5.0]
    assert read(tmp_path / "two.fits", hdu=2).compute()["mag"].tolist() == [3.0, 4.0, 5.0]
    assert read(tmp_path / "two.fits", hdu="2").compute()["mag"].tolist() == [3.0, 4.0, 5.0]


def test_bzip2_fits_streams_like_gzip(catalog_files, tmp_path):
    path = tmp_path / "cat.fits.bz2"
    path.write_bytes(bz2.compress(catalog_files["fits"].read_bytes()))
    pd.testing.assert_frame_equal(read(path, chunk_rows=6).compute(), read(catalog_files["fits"]).compute())


def test_vector_columns_become_numbered_scalar_columns(tmp_path):
    table = Table({"psfMag": np.arange(15.0).reshape(3, 5) * u.mag, "id": [1, 2, 3]})
    table.write(tmp_path / "vector.fits")
    frame = read(tmp_path / "vector.fits", chunk_rows=2).compute()
    assert list(frame.columns) == [f"psfMag_{j}" for j in range(5)] + ["id"]
    np.testing.assert_array_equal(frame.filter(like="psfMag").to_numpy(), np.arange(15.0).reshape(3, 5))
    assert describe_columns(tmp_path / "vector.fits")["psfMag_3"].unit == "mag"


def test_a_parquet_fixed_size_list_column_is_read_as_a_fits_vector_column_is(tmp_path):
    """A PDF column as ``predict`` writes it (issue 19) reads back as numbers, named as in FITS, not as text."""
    import dask.dataframe as dd

    from astromlp.catalogs import write
    from astromlp.catalogs.columns import ColumnInfo
    from astromlp.catalogs.vector_columns import vector_array

    values = np.random.default_rng(4).random((9, 4)).astype(np.float32)
    frame = pd.DataFrame({"z": np.arange(9.0), "z_pdf": vector_array(values)})
    info = {"z_pdf": ColumnInfo("z_pdf", "float32", description="bin probabilities")}
    read_back = {}
    for name in ("pdf.parquet", "pdf.fits"):
        write(dd.from_pandas(frame, npartitions=3), tmp_path / name, info=info)
        read_back[name] = read(tmp_path / name, chunk_rows=4).compute()
        assert describe_columns(tmp_path / name)["z_pdf_2"].description == "bin probabilities"
    pd.testing.assert_frame_equal(read_back["pdf.parquet"], read_back["pdf.fits"])
    assert list(read_back["pdf.fits"].columns) == ["z", *(f"z_pdf_{j}" for j in range(4))]
    np.testing.assert_array_equal(read_back["pdf.parquet"].filter(like="z_pdf_").to_numpy(), values)
    picked = read(tmp_path / "pdf.parquet", columns=["z_pdf_3", "z"]).compute()
    assert list(picked.columns) == ["z_pdf_3", "z"] and picked["z_pdf_3"].tolist() == values[:, 3].tolist()


def test_parquet_list_columns_keep_null_rows_and_free_names(tmp_path):
    """A null list row gives missing elements; an element name another column holds switches to name[j]."""
    ints = pa.array([[1, 2], None, [5, 6]], pa.list_(pa.int32(), 2))
    floats = pa.array([[0.5, 1.5], [2.5, 3.5], None], pa.list_(pa.float64(), 2))
    pq.write_table(pa.table({"flags": ints, "mag": floats, "mag_0": [7.0, 8.0, 9.0]}), tmp_path / "lists.parquet")
    frame = read(tmp_path / "lists.parquet").compute()
    assert list(frame.columns) == ["flags_0", "flags_1", "mag[0]", "mag[1]", "mag_0"]
    assert frame["flags_1"].tolist()[::2] == [2, 6] and frame["flags_1"].isna().tolist() == [False, True, False]
    assert frame["mag[1]"].tolist()[:2] == [1.5, 3.5] and np.isnan(frame["mag[1]"].iloc[2])


def test_a_parquet_list_column_too_long_to_split_is_refused_in_one_line(tmp_path):
    from astromlp.catalogs.parquet_source import MAX_ELEMENTS
    from astromlp.errors import AstromlpError

    wide = pa.FixedSizeListArray.from_arrays(pa.array(np.zeros(MAX_ELEMENTS + 1)), MAX_ELEMENTS + 1)
    pq.write_table(pa.table({"id": [1], "spectrum": wide}), tmp_path / "wide.parquet")
    with pytest.raises(AstromlpError, match=r"wide.parquet has list column 'spectrum' of 10,001 values per row"):
        read(tmp_path / "wide.parquet")


def test_astropy_ascii_table_with_null_strings_is_masked():
    frame = read(ASTROPY_FITS_DATA / "ascii.fits", chunk_rows=2).compute()
    assert frame["a"].round(3).tolist()[:3] == [10.123, 5.2, 15.61]
    assert frame.isna().sum().tolist() == [1, 1] and frame["b"].dropna().tolist() == [37, 23, 17, 345]
    assert describe_columns(ASTROPY_FITS_DATA / "ascii.fits")["a"].unit == "pixels"


def test_descriptions_from_ttype_comments_in_astropy_test_file():
    info = describe_columns(ASTROPY_FITS_DATA / "tb.fits")
    assert info["c1"].description == "label for field   1" and info["c3"].dtype == "float64"


def test_format_override_reads_a_csv_without_suffix(catalog_files, tmp_path):
    path = tmp_path / "catalog.dat"
    shutil.copy(catalog_files["csv"], path)
    assert read(path, format="csv").compute().shape == (50, 7)


def test_sdss_csv_reads_fully_in_blocks(sdss_csv):
    frame = read(sdss_csv, chunk_rows=1500)
    assert frame.npartitions >= 6 and frame.divisions[-1] == 9999
    counts = frame["class"].value_counts().compute().to_dict()
    assert counts == {"GALAXY": 4998, "STAR": 4152, "QSO": 850}
    whole = pd.read_csv(sdss_csv)
    np.testing.assert_allclose(frame["redshift"].compute().to_numpy(), whole["redshift"].to_numpy())


def test_parquet_row_groups_merge_up_to_chunk_rows(tmp_path):
    table = pa.table({"x": np.arange(100.0)})
    pq.write_table(table, tmp_path / "x.parquet", row_group_size=10)
    assert read(tmp_path / "x.parquet").npartitions == 10
    merged = read(tmp_path / "x.parquet", chunk_rows=30)
    assert merged.npartitions == 4 and merged.compute()["x"].tolist() == list(np.arange(100.0))


def test_partitions_are_read_in_worker_processes(catalog_files):
    """Partition readers are plain picklable objects: a process scheduler gets the same rows."""
    lazy = [read(catalog_files[kind], chunk_rows=12) for kind in ("fits", "fits.gz", "csv", "parquet")]
    with dask.config.set(scheduler="processes", num_workers=2):
        in_processes = dask.compute(*lazy)
    for frame, result in zip(lazy, in_processes, strict=True):
        pd.testing.assert_frame_equal(result, frame.compute(scheduler="sync"))
