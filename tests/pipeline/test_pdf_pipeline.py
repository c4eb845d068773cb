"""Issue 19 end to end: a photoz-pdf run judges its PDFs against trainZ and kNN, and `predict -o x.hdf5` writes a
qp ensemble that qp.read opens, one PDF per input row in order, the same bits on every scheduler."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from astromlp.errors import AstromlpError
from astromlp.nn import MLPRegressor, load
from astromlp.pipeline.predict import _pdf_prefix
from astromlp.pipeline.predict_pdf import column_names
from tests.pipeline.test_predict_provenance import _invoke

qp = pytest.importorskip("qp")

MODEL = """
[model]
hidden_layer_sizes = [16]
max_epochs = 15
patience = 5
n_starts = 2
start_selection = "ensemble"
z_grid = 60
"""


@pytest.fixture(scope="module")
def pdf_run(sdss_small, tmp_path_factory, config_text):
    folder = tmp_path_factory.mktemp("pdf")
    config = folder / "pdf.toml"
    config.write_text(config_text(sdss_small, kind="photoz-pdf", target="redshift", model=MODEL,
                                  extra_data='select = { class = ["GALAXY"] }'))
    result = _invoke("run", config, "--scheduler", "synchronous", "--quiet")
    assert result.exit_code == 0, result.output
    return folder / "runs" / "pdf"


def test_run_judges_the_pdfs_against_train_z_and_knn(pdf_run):
    pdfs = json.loads((pdf_run / "metrics.json").read_text())["pdfs"]
    assert set(pdfs["models"]) == {"MLP", "trainZ", "kNN PDF"}
    assert set(pdfs["comparisons"]) == {"trainZ", "kNN PDF"}
    network = pdfs["models"]["MLP"]
    assert 0 < network["metrics"]["crps"] < pdfs["models"]["trainZ"]["metrics"]["crps"]
    low, high = network["intervals"]["crps"]
    assert low <= network["metrics"]["crps"] <= high
    html = (pdf_run / "report.html").read_text()
    assert "MLP against trainZ: CRPS" in html
    assert all(f"pdf_{name}" in html for name in ("pit_histogram", "pit_qq", "stacked_nz", "coverage", "gallery"))


def test_predict_writes_a_qp_file_in_input_order_with_the_models_pdfs(pdf_run, sdss_small, tmp_path):
    model = load(pdf_run / "model.zip")
    out = tmp_path / "pdfs.hdf5"
    result = _invoke("predict", pdf_run / "model.zip", sdss_small, "-o", out, "--scheduler", "synchronous")
    assert result.exit_code == 0, result.output
    ensemble, catalog = qp.read(str(out)), pd.read_csv(sdss_small)
    assert ensemble.npdf == len(catalog)
    np.testing.assert_array_equal(ensemble.metadata["bins"].ravel(), model.bin_edges_)
    np.testing.assert_array_equal(ensemble.ancil["ra"], catalog["ra"].to_numpy())
    table = tmp_path / "points.parquet"
    assert _invoke("predict", pdf_run / "model.zip", sdss_small, "-o", table).exit_code == 0
    points = pd.read_parquet(table)
    for column in column_names("redshift"):
        np.testing.assert_array_equal(ensemble.ancil[column], points[column].to_numpy())
    median = ensemble.ppf(0.5).ravel()
    np.testing.assert_allclose(median, points["redshift_predicted"], atol=1e-9)
    evaluated = pd.read_parquet(pdf_run / "predictions.parquet")
    by_position = points.set_index(["ra", "dec"])["redshift_predicted"]  # objid repeats in this sample
    np.testing.assert_array_equal(evaluated["redshift_predicted"],
                                  by_position.loc[list(zip(evaluated["ra"], evaluated["dec"], strict=True))])


def test_qp_file_is_bit_identical_across_schedulers(pdf_run, sdss_small, tmp_path):
    files = {}
    for scheduler in ("synchronous", "threads"):
        files[scheduler] = tmp_path / f"{scheduler}.hdf5"
        assert _invoke("predict", pdf_run / "model.zip", sdss_small, "-o", files[scheduler], "--scheduler",
                       scheduler).exit_code == 0
    first, second = (qp.read(str(path)).objdata["pdfs"] for path in files.values())
    np.testing.assert_array_equal(first, second)


def test_a_point_model_refuses_a_qp_output(tmp_path):
    with pytest.raises(AstromlpError, match="predicts no PDFs"):
        _pdf_prefix(MLPRegressor(), tmp_path / "x.hdf5", tmp_path / "model.zip")
