"""Issue 17, section 5: predictions carry their provenance, and a photo-z model flags rows outside its training
domain (a class it was not trained on, features beyond the training range) with one warning line."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from click.testing import CliRunner

import astromlp
from astromlp.pipeline.cli import main

COLOURS = {"u_g": ("u", "g"), "g_r": ("g", "r"), "r_i": ("r", "i"), "i_z": ("i", "z")}
MARGIN = 1e-6  # rows this close to a training edge are left out of the exact checks


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def photoz_run(sdss_small, tmp_path_factory, config_text):
    """A photo-z run trained on the galaxies of the 3000-row sample only."""
    folder = tmp_path_factory.mktemp("photoz")
    config = folder / "galaxies.toml"
    config.write_text(config_text(sdss_small, kind="photoz", target="redshift",
                                  extra_data='select = { class = ["GALAXY"] }'))
    result = _invoke("run", config, "--scheduler", "synchronous", "--quiet")
    assert result.exit_code == 0, result.output
    return folder / "runs" / "galaxies"


def _features(table: pd.DataFrame) -> np.ndarray:
    return np.column_stack([table[a] - table[b] for a, b in COLOURS.values()] + [table["r"]])


def _expected_flags(catalog: pd.DataFrame, run_dir) -> tuple[np.ndarray, np.ndarray]:
    """Flags computed from the raw catalog: not a galaxy, or a feature beyond the training rows' range; and
    which rows are far enough from every training edge to be judged exactly."""
    rows = np.load(run_dir / "prepared" / "rows_train.npy")
    X = _features(catalog)
    low, high = X[rows].min(axis=0), X[rows].max(axis=0)
    beyond = np.any((X < low - MARGIN) | (X > high + MARGIN), axis=1)
    near_edge = np.any((np.abs(X - low) <= MARGIN) | (np.abs(X - high) <= MARGIN), axis=1) & ~beyond
    return (catalog["class"].to_numpy() != "GALAXY") | beyond, ~near_edge | np.isin(np.arange(len(X)), rows)


def test_photoz_predictions_flag_rows_outside_the_training_domain(photoz_run, sdss_small, tmp_path):
    out = tmp_path / "all.parquet"
    result = _invoke("predict", photoz_run / "model.zip", sdss_small, "-o", out)
    assert result.exit_code == 0, result.output
    predicted, catalog = pd.read_parquet(out), pd.read_csv(sdss_small)
    expected, judged = _expected_flags(catalog, photoz_run)
    flags = predicted["out_of_domain"].to_numpy()
    np.testing.assert_array_equal(flags[judged], expected[judged])
    rows = np.load(photoz_run / "prepared" / "rows_train.npy")
    assert not flags[rows].any()  # every training row is inside its own domain, bit for bit
    assert flags.sum() > (catalog["class"] != "GALAXY").sum()  # stars and QSOs, and some galaxies too
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert re.match(rf"warning: {flags.sum()} of 3000 rows are outside the model's training domain", warnings[0])
    assert "class in ['GALAXY']" in warnings[0]


def test_parquet_predictions_record_model_hash_version_features_and_training_files(photoz_run, sdss_small,
                                                                                   tmp_path):
    out = tmp_path / "all.parquet"
    assert _invoke("predict", photoz_run / "model.zip", sdss_small, "-o", out, "--quiet").exit_code == 0
    meta = {k.decode(): v.decode() for k, v in pq.read_metadata(out).metadata.items()}
    model_hash = hashlib.sha256((photoz_run / "model.zip").read_bytes()).hexdigest()
    assert meta["astromlp_model_sha256"] == model_hash
    assert meta["astromlp_version"] == astromlp.__version__
    assert json.loads(meta["astromlp_features"])[0] == ["u_g", "u - g"]
    training = json.loads(meta["astromlp_training_files"])
    assert training == [{"path": str(sdss_small), "sha256": hashlib.sha256(sdss_small.read_bytes()).hexdigest()}]


def test_fits_predictions_record_the_same_in_the_table_header(photoz_run, sdss_small, tmp_path):
    out = tmp_path / "all.fits"
    assert _invoke("predict", photoz_run / "model.zip", sdss_small, "-o", out, "--quiet").exit_code == 0
    header = fits.getheader(out, 1)
    assert header["astromlp_model_sha256"] == hashlib.sha256(
        (photoz_run / "model.zip").read_bytes()).hexdigest()
    assert header["astromlp_version"] == astromlp.__version__
    assert json.loads(header["astromlp_training_files"])[0]["path"] == str(sdss_small)
    with fits.open(out) as hdul:
        assert hdul[1].data["out_of_domain"].dtype == bool and hdul[1].data["out_of_domain"].any()


def test_a_classifier_gets_no_domain_flag(photoz_run, sdss_small, tmp_path, config_text):
    config = tmp_path / "classes.toml"
    config.write_text(config_text(sdss_small))
    assert _invoke("run", config, "--scheduler", "synchronous", "--quiet").exit_code == 0
    out = tmp_path / "classes.parquet"
    result = _invoke("predict", tmp_path / "runs" / "classes" / "model.zip", sdss_small, "-o", out)
    assert result.exit_code == 0 and "warning" not in result.output
    assert "out_of_domain" not in pd.read_parquet(out).columns
