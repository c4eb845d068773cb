"""Issue 23: `astromlp run` trains on a HATS catalog, and `astromlp predict` over one writes a HATS catalog
with the input's pixels whose predictions equal those over the same rows as Parquet."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from astromlp.pipeline.cli import main
from tests.catalogs.hats_samples import sdss_frame, write_hats

lsdb = pytest.importorskip("lsdb")


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    return sdss_frame(3000)


@pytest.fixture(scope="module")
def catalog(source, tmp_path_factory):
    return write_hats(source, tmp_path_factory.mktemp("hats") / "sdss_hats", partition_rows=1000)


@pytest.fixture(scope="module")
def model(catalog, tmp_path_factory, config_text):
    """A classifier trained by `astromlp run` on the HATS catalog itself."""
    folder = tmp_path_factory.mktemp("run")
    config = folder / "hats.toml"
    config.write_text(config_text(catalog))
    result = _invoke("run", config, "--scheduler", "synchronous", "--quiet")
    assert result.exit_code == 0, result.output
    return folder / "runs" / "hats" / "model.zip"


def _by_position(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["ra", "dec"]).reset_index(drop=True)


def test_predict_over_hats_equals_predict_over_the_same_rows_as_parquet(model, catalog, source, tmp_path):
    parquet = tmp_path / "same_rows.parquet"
    source.to_parquet(parquet)
    assert _invoke("predict", model, parquet, "-o", tmp_path / "flat.parquet").exit_code == 0
    result = _invoke("predict", model, catalog, "-o", tmp_path / "predicted", "--scheduler", "synchronous")
    assert result.exit_code == 0, result.output
    assert f"wrote {len(source)} rows" in result.output
    flat = pd.read_parquet(tmp_path / "flat.parquet")
    hats = lsdb.open_catalog(tmp_path / "predicted").compute()
    columns = list(flat.columns)
    pd.testing.assert_frame_equal(_by_position(hats[columns]), _by_position(flat), check_dtype=False)


def test_the_output_reopens_with_lsdb_with_the_input_pixels(model, catalog, source, tmp_path):
    out = tmp_path / "predicted"
    assert _invoke("predict", model, f"hats:{catalog}", "-o", f"hats:{out}").exit_code == 0
    reopened, original = lsdb.open_catalog(out), lsdb.open_catalog(catalog)
    assert reopened.get_healpix_pixels() == original.get_healpix_pixels()
    assert len(reopened.compute()) == len(source) == reopened.hc_structure.catalog_info.total_rows
    properties = (out / "hats.properties").read_text()
    assert "astromlp_model_sha256" in properties and "hats_col_ra=ra" in properties
    matched = lsdb.open_catalog(catalog, columns=["ra", "dec", "class"]).crossmatch(reopened, radius_arcsec=0.01)
    assert len(matched.compute()) == len(source)


def test_a_selection_leaves_out_rows_and_a_pixel_left_empty(model, catalog, tmp_path):
    """Pixels follow the order of the HEALPix index, so a cut on it empties the first pixel only."""
    original = lsdb.open_catalog(catalog)
    pixels = original.get_healpix_pixels()
    second = original.get_partition(pixels[1].order, pixels[1].pixel).compute()
    out = tmp_path / "rest"
    result = _invoke("predict", model, catalog, "-o", out, "--select", f"_healpix_29 >= {second.index.min()}")
    assert result.exit_code == 0, result.output
    reopened = lsdb.open_catalog(out)
    assert reopened.get_healpix_pixels() == pixels[1:]
    first = original.get_partition(pixels[0].order, pixels[0].pixel).compute()
    assert len(reopened.compute()) == len(original.compute()) - len(first)


def test_an_existing_output_is_replaced_only_when_it_is_a_hats_catalog(model, catalog, tmp_path):
    out = tmp_path / "predicted"
    assert _invoke("predict", model, catalog, "-o", out).exit_code == 0
    again = _invoke("predict", model, catalog, "-o", out, "--select", "r < 17")
    assert again.exit_code == 0, again.output
    assert len(lsdb.open_catalog(out).compute()) < len(lsdb.open_catalog(catalog).compute())
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    other = tmp_path / "notes"
    other.mkdir()
    refused = _invoke("predict", model, catalog, "-o", other)
    assert refused.exit_code == 2 and "already exists and is not a HATS catalog" in refused.output


def test_a_hats_output_needs_one_hats_input(model, tmp_path):
    parquet = tmp_path / "rows.parquet"
    sdss_frame(50).to_parquet(parquet)
    result = _invoke("predict", model, parquet, "-o", f"hats:{tmp_path / 'out'}")
    assert result.exit_code == 2
    assert "keeps its input's HEALPix partitioning: give one HATS catalog" in result.output
