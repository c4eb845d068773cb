"""Writers round-trip through astropy (masks, units, descriptions), stream partitions, never leave halves."""

from __future__ import annotations

import warnings

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import Table

from astromlp.catalogs import ColumnInfo, describe_columns, identifier_columns, join_predictions, read, write
from astromlp.errors import AstromlpError

OUTPUTS = ["out.fits", "out.fits.gz", "out.parquet"]


def astropy_read(path) -> Table:
    """Table.read, failing on any warning (e.g. astropy guessing text widths of a Parquet file)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return Table.read(path)


@pytest.mark.parametrize("name", OUTPUTS)
def test_round_trip_through_astropy_keeps_values_masks_units_descriptions(catalog_files, table, tmp_path, name):
    frame = read(catalog_files["fits"], chunk_rows=9)
    rows = write(frame, tmp_path / name, info=describe_columns(catalog_files["fits"]))
    back = astropy_read(tmp_path / name)
    assert rows == len(back) == 50 and back.colnames == table.colnames
    assert str(back["RA"].unit) == "deg" and str(back["u"].unit) == "mag"
    assert back["RA"].description == "Right ascension (J2000)" and back["u"].description == "u-band PSF magnitude"
    np.testing.assert_array_equal(back["objid"], table["objid"])
    u = np.ma.filled(np.ma.asarray(back["u"]).astype(float), np.nan)
    np.testing.assert_array_equal(np.isnan(u), table["u"].mask)
    np.testing.assert_allclose(u[~table["u"].mask], table["u"][~table["u"].mask])
    np.testing.assert_array_equal(np.asarray(back["g"], dtype=np.float32), table["g"])
    assert [str(c) for c in back["class"]] == list(table["class"])
    again = describe_columns(tmp_path / name)
    assert (again["u"].unit, again["u"].description) == ("mag", "u-band PSF magnitude")


def test_masked_integers_keep_a_tnull_in_fits(catalog_files, table, tmp_path):
    write(read(catalog_files["fits"], chunk_rows=7), tmp_path / "n.fits")
    back = Table.read(tmp_path / "n.fits")
    np.testing.assert_array_equal(back["nobs"].mask, table["nobs"].mask)
    np.testing.assert_array_equal(back["nobs"][~table["nobs"].mask], table["nobs"][~table["nobs"].mask])
    assert fits.getheader(tmp_path / "n.fits", 1)["TNULL6"] == np.iinfo(np.int32).min


@pytest.mark.parametrize("name", OUTPUTS)
def test_write_then_read_gives_the_same_frame(catalog_files, tmp_path, name):
    frame = read(catalog_files["fits"], chunk_rows=11)
    write(frame, tmp_path / name)
    again = read(tmp_path / name).compute()
    pd.testing.assert_frame_equal(again, frame.compute(), check_dtype=False)
    assert list(again.dtypes.astype(str))[:6] == list(frame.compute().dtypes.astype(str))[:6]


def test_pandas_frames_with_derived_columns_are_written(tmp_path):
    frame = pd.DataFrame({"id": np.arange(5), "z_pred": np.linspace(0.1, 0.5, 5), "label": ["a", "bb", "c", "d", "e"]})
    info = {"z_pred": ColumnInfo("z_pred", "float64", unit="", description="predicted redshift")}
    write(frame, tmp_path / "p.fits", info=info)
    back = Table.read(tmp_path / "p.fits")
    assert back["z_pred"].description == "predicted redshift" and list(back["label"]) == list(frame["label"])


def test_an_empty_frame_writes_a_valid_empty_table(tmp_path):
    frame = pd.DataFrame({"x": pd.Series([], dtype="float64"), "name": pd.Series([], dtype="str")})
    write(frame, tmp_path / "e.fits")
    write(frame, tmp_path / "e.parquet")
    assert len(Table.read(tmp_path / "e.fits")) == 0 and len(astropy_read(tmp_path / "e.parquet")) == 0


def _failing_frame(fail_at: int) -> dd.DataFrame:
    """A Dask frame whose partition `fail_at` raises while being computed, after earlier ones succeeded."""
    def part(i: int) -> pd.DataFrame:
        if i == fail_at:
            raise AstromlpError("cannot decode rows of broken.fits; check that the file is complete")
        return pd.DataFrame({"x": np.arange(10.0) + 10 * i}, index=pd.RangeIndex(10 * i, 10 * i + 10))
    return dd.from_map(part, range(4), meta=pd.DataFrame({"x": pd.Series([], dtype="float64")}))


@pytest.mark.parametrize("name", OUTPUTS)
def test_failure_mid_stream_leaves_the_old_file_and_no_temporary(tmp_path, name):
    target = tmp_path / name
    write(pd.DataFrame({"x": [1.0, 2.0]}), target)
    before = target.read_bytes()
    with dask.config.set(scheduler="synchronous"), pytest.raises(AstromlpError, match="broken.fits"):
        write(_failing_frame(fail_at=2), target, overwrite=True)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_failure_writing_a_new_file_leaves_nothing(tmp_path):
    with pytest.raises(AstromlpError):
        write(_failing_frame(fail_at=1), tmp_path / "new.parquet")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".fits", ".fits.gz"])
def test_non_ascii_text_goes_to_fits_as_utf8_sized_in_bytes(tmp_path, suffix):
    labels = ["Cañon", "☃" * 30, None, "x"]  # 30 snowmen are 90 bytes, more than the 30 characters
    write(pd.DataFrame({"name": labels}), tmp_path / f"t{suffix}")
    back = read(tmp_path / f"t{suffix}").compute()["name"]
    assert back.tolist()[:2] == labels[:2] and back.isna().tolist() == [False, False, True, False]
    assert Table.read(tmp_path / f"t{suffix}")["name"].dtype == np.dtype("S90")


@pytest.mark.parametrize("name", ["probability_Cañon", "probability_" + "x" * 57, "a\x1bb"])
def test_a_column_name_fits_cannot_hold_is_refused_before_writing(tmp_path, name):
    with pytest.raises(AstromlpError, match="cannot be named in a FITS file .* at most 68 characters"):
        write(pd.DataFrame({name: [1.0], "ok": [2.0]}), tmp_path / "t.fits")
    assert list(tmp_path.iterdir()) == []
    write(pd.DataFrame({"probability_" + "x" * 56: [1.0]}), tmp_path / "longest.fits")  # 68 characters fit


@pytest.mark.parametrize(("name", "overwrite", "message"), [
    ("out.csv", True, "astromlp writes .fits, .fits.gz and .parquet"),
    ("out.parquet.gz", True, "astromlp writes .fits, .fits.gz and .parquet"),
    ("missing_dir/out.fits", True, "does not exist; create it first"),
    ("exists.fits", False, "already exists"),
])
def test_bad_destinations_are_one_line(tmp_path, name, overwrite, message):
    (tmp_path / "exists.fits").write_bytes(b"old")
    with pytest.raises(AstromlpError, match=message):
        write(pd.DataFrame({"x": [1.0]}), tmp_path / name, overwrite=overwrite)
    assert (tmp_path / "exists.fits").read_bytes() == b"old"


def test_predictions_join_the_identifying_columns_of_their_rows(catalog_files, table):
    catalog = read(catalog_files["fits"], chunk_rows=8)
    assert identifier_columns(list(catalog.columns)) == ["objid", "RA", "Dec"]
    predictions = pd.DataFrame({"z_pred": [0.5, 0.25, 0.75]}, index=[41, 3, 17])
    joined = join_predictions(catalog, predictions)
    assert list(joined.columns) == ["objid", "RA", "Dec", "z_pred"] and joined.index.tolist() == [41, 3, 17]
    np.testing.assert_array_equal(joined["objid"], table["objid"][[41, 3, 17]])
    np.testing.assert_allclose(joined["RA"], table["RA"][[41, 3, 17]])
    assert join_predictions(catalog, predictions, ["ra"]).columns.tolist() == ["RA", "z_pred"]


def test_predictions_for_rows_the_catalog_lacks_are_refused(catalog_files):
    catalog = read(catalog_files["fits"])
    with pytest.raises(AstromlpError, match="row 50 which"):
        join_predictions(catalog, pd.DataFrame({"p": [1.0]}, index=[50]))


@pytest.mark.parametrize("name", OUTPUTS)
def test_a_fixed_length_array_column_round_trips_as_an_n_by_b_column(tmp_path, name):
    """One PDF per row (issue 19): a fixed-size list in Parquet, a TDIM vector column in FITS, over partitions."""
    from astromlp.catalogs.vector_columns import vector_array

    values = np.random.default_rng(3).random((25, 7)).astype(np.float32)
    values[4] = np.nan  # a row without a prediction
    frame = pd.DataFrame({"id": np.arange(25), "label": [f"g{k}" for k in range(25)], "pdf": vector_array(values)})
    info = {"pdf": ColumnInfo("pdf", "float32", description="bin probabilities")}
    assert write(dd.from_pandas(frame, npartitions=4), tmp_path / name, info=info, metadata={"grid": "[0, 1]"}) == 25
    table = astropy_read(tmp_path / name)
    assert table["pdf"].shape == (25, 7) and table["pdf"].dtype.str[1:] == "f4"
    np.testing.assert_array_equal(np.asarray(table["pdf"]), values)
    assert table["pdf"].description == "bin probabilities"
    assert list(table["label"]) == list(frame["label"])
    if name.endswith(".parquet"):
        import pyarrow.parquet as pq

        arrow = pq.read_table(tmp_path / name)
        assert arrow.schema.field("pdf").type.list_size == 7 and arrow.schema.metadata[b"grid"] == b"[0, 1]"
        assert table.meta["grid"] == "[0, 1]"  # astropy's own record too, as FITS gives its header cards
        np.testing.assert_array_equal(np.stack(pd.read_parquet(tmp_path / name)["pdf"]), values)
    else:
        header = fits.getheader(tmp_path / name, 1)
        assert (header["TFORM3"], header["TDIM3"], header["grid"]) == ("7E", "(7)", "[0, 1]")


def test_arrow_chunks_equal_pyarrow_from_pandas():
    """The writer's own conversion gives exactly pa.Table.from_pandas' table (NaN as null, masks, text)."""
    import pyarrow as pa

    from astromlp.catalogs.parquet_writer import arrow_chunk, parquet_schema

    frame = pd.DataFrame({"f32": np.array([1.5, np.nan, -9999.0, np.inf], dtype=np.float32),
                          "f64": [np.nan, 2.0, 3.0, -0.0], "i64": np.array([1, 2, 3, 2**62]),
                          "u8": np.array([0, 1, 255, 7], dtype=np.uint8), "flag": [True, False, True, True],
                          "nullable": pd.array([1, None, 3, -4], dtype="Int32"),
                          "name": pd.array(["a", None, "ccc", "é"], dtype="str")})
    schema = parquet_schema(frame.iloc[:0])
    ours, theirs = arrow_chunk(frame, schema), pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    assert ours.equals(theirs)
    assert ours.column("f32").null_count == 1 and ours.column("f64").null_count == 1
    assert ours.column("nullable").null_count == 1 and ours.column("name").null_count == 1
