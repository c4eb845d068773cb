"""Issue 23: [data] labels builds the training set by cross-matching a labelled catalog against a HATS one."""

from __future__ import annotations

import json

import astropy.units as u
import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import SkyCoord
from click.testing import CliRunner

from astromlp.pipeline.cli import main
from astromlp.pipeline.config import load_config
from astromlp.pipeline.runner import RunOptions, run
from tests.catalogs.hats_samples import sdss_frame, write_hats

pytest.importorskip("lsdb")


@pytest.fixture(scope="module")
def catalogs(tmp_path_factory):
    """A HATS collection of 3000 SDSS objects without their class, and 1200 classified spectra: 1000 within
    0.8 arcsec of an object, 200 moved 20 arcsec away from theirs."""
    folder = tmp_path_factory.mktemp("labels")
    objects = sdss_frame(3000)
    write_hats(objects.drop(columns=["class"]), folder / "photometry", partition_rows=1000, collection=True)
    rng = np.random.default_rng(5)
    rows = rng.choice(len(objects), 1200, replace=False)
    moved = SkyCoord(objects["ra"].to_numpy()[rows] * u.deg, objects["dec"].to_numpy()[rows] * u.deg
                     ).directional_offset_by(rng.uniform(0, 360, 1200) * u.deg,
                                             np.r_[rng.uniform(0, 0.8, 1000), np.full(200, 20.0)] * u.arcsec)
    pd.DataFrame({"RA": moved.ra.deg, "Dec": moved.dec.deg, "class": objects["class"].to_numpy()[rows]}
                 ).to_parquet(folder / "spectra.parquet")
    return folder


@pytest.mark.slow
def test_a_run_trains_on_the_matched_objects_and_reports_the_counts(catalogs, config_text):
    config = catalogs / "matched.toml"
    config.write_text(config_text(catalogs / "photometry",
                                  extra_data='labels = { catalog = "spectra.parquet", radius_arcsec = 1.0 }'))
    result = CliRunner().invoke(main, ["run", str(config), "--scheduler", "synchronous", "--quiet"])
    assert result.exit_code == 0, result.output
    run = catalogs / "runs" / "matched"
    labels = json.loads((run / "ingest.json").read_text())["labels"]
    assert (labels["matched"], labels["unmatched"]) == (1000, 200)
    assert labels["separation_arcsec"]["max"] <= 0.8 + 1e-6
    inputs = (run / "report_inputs.json").read_text()
    assert "matched within 1 arcsec" in inputs and "no object within 1 arcsec" in inputs
    report = (run / "report.html").read_text()
    assert "labels spectra.parquet" in report and "label_separations" in report
    histogram = labels["separation_histogram"]
    assert sum(histogram["counts"]) == 1000 and histogram["edges"][-1] == 1.0
    assert sum(histogram["counts"][16:]) == 0  # no separation beyond the 0.8 arcsec the spectra were moved


@pytest.mark.slow
def test_editing_only_the_labels_catalog_reruns_ingest_on_resume(catalogs, config_text):
    """The labels file's content is part of the ingest key: 100 unmatched spectra removed, same config."""
    spectra = catalogs / "edited_spectra.parquet"
    pd.read_parquet(catalogs / "spectra.parquet").to_parquet(spectra)
    config = catalogs / "edited.toml"
    config.write_text(config_text(catalogs / "photometry",
                                  extra_data=f'labels = {{ catalog = "{spectra.name}", radius_arcsec = 1.0 }}'))
    options = RunOptions(scheduler="synchronous", quiet=True, resume=True)
    run(load_config(config), options)
    again = run(load_config(config), options)
    assert all(stage.reused for stage in again.stages)
    pd.read_parquet(catalogs / "spectra.parquet").iloc[:1100].to_parquet(spectra)
    edited = run(load_config(config), options)
    assert not any(stage.reused for stage in edited.stages)
    labels = json.loads((edited.run_dir / "ingest.json").read_text())["labels"]
    assert (labels["matched"], labels["unmatched"]) == (1000, 100)
