"""The product as a user meets it: `astromlp demo` on the bundled SDSS sample, from a fresh process."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from astropy.table import Table

from astromlp.catalogs import sample_path


def _demo(out):
    return subprocess.run([sys.executable, "-m", "astromlp.pipeline.cli", "demo", "--out", str(out)],
                          capture_output=True, text=True, check=False, timeout=600)


@pytest.mark.slow
def test_demo_trains_both_tasks_and_writes_their_reports(tmp_path):
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stderr
    lines = [line.strip() for line in first.stdout.splitlines()]
    reports = [line.removeprefix("report: ") for line in lines if line.startswith("report: ")]
    assert reports == [str(tmp_path / task / "report.html") for task in ("classification", "photoz")]

    labels = Table.read(sample_path()).to_pandas()["class"].astype(str).str.strip()
    classification = json.loads((tmp_path / "classification" / "metrics.json").read_text())
    assert classification["n_test"] == sum(round(0.2 * n) for n in labels.value_counts())  # stratified
    scores = classification["results"]
    assert scores["MLP"]["scalars"]["balanced_accuracy"] > 0.9
    assert scores["MLP"]["scalars"]["balanced_accuracy"] > scores["majority class"]["scalars"]["balanced_accuracy"]

    photoz = json.loads((tmp_path / "photoz" / "metrics.json").read_text())
    assert photoz["n_test"] == round(0.2 * int((labels == "GALAXY").sum()))
    assert photoz["results"]["MLP"]["scalars"]["sigma_nmad"] < 0.03
    predictions = pd.read_parquet(tmp_path / "photoz" / "predictions.parquet")
    assert {"objid", "ra", "dec", "redshift_true", "redshift_predicted"} <= set(predictions.columns)
    assert "GALAXY" in (tmp_path / "classification" / "report.html").read_text()

    again = _demo(tmp_path)  # a second demo reuses every finished stage
    assert again.returncode == 0 and again.stdout.count("reused") == 8
