"""Issue 19 end to end: a photoz-pdf run judges its PDFs against trainZ and kNN; `predict -o x.hdf5` writes a qp
ensemble that qp.read opens, one PDF per input row in order, the same bits on every scheduler; Parquet and FITS
outputs carry the PDFs as one fixed-length array column with the grid in the file's metadata."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from astropy.io import fits
from astropy.table import Table

from astromlp.errors import AstromlpError
from astromlp.nn import MLPRegressor, load
from astromlp.pipeline.predict import _check_qp
from astromlp.pipeline.predict_pdf import EDGES_KEY, column_names
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
    flags = ensemble.ancil["out_of_domain"]  # the stars and quasars of the sample, and some galaxies
    np.testing.assert_array_equal(flags, points["out_of_domain"])
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and flags.any()
    assert warnings[0].startswith(f"warning: {flags.sum()} of {len(catalog)} rows are outside the model's training "
                                  "domain")
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
        _check_qp(MLPRegressor(), tmp_path / "x.hdf5", tmp_path / "model.zip")


@pytest.mark.parametrize("suffix", [".parquet", ".fits"])
def test_table_outputs_hold_the_pdfs_as_one_array_column_with_the_grid(pdf_run, sdss_small, tmp_path, suffix):
    model = load(pdf_run / "model.zip")
    qp_file, out = tmp_path / "pdfs.hdf5", tmp_path / f"points{suffix}"
    for path in (qp_file, out):
        result = _invoke("predict", pdf_run / "model.zip", sdss_small, "-o", path, "--scheduler", "threads")
        assert result.exit_code == 0, result.output
    table = Table.read(out)
    bins = len(model.bin_edges_) - 1
    assert table["redshift_pdf"].shape == (len(pd.read_csv(sdss_small)), bins)
    assert table["redshift_pdf"].dtype.str[1:] == "f4"  # float32, big-endian from FITS
    assert EDGES_KEY in table["redshift_pdf"].description
    expected = qp.read(str(qp_file)).objdata["pdfs"] * np.diff(model.bin_edges_)  # densities -> probabilities
    np.testing.assert_array_equal(np.asarray(table["redshift_pdf"]), expected.astype(np.float32))
    np.testing.assert_allclose(np.asarray(table["redshift_pdf"]).sum(axis=1), 1.0, rtol=1e-5)
    if suffix == ".parquet":
        arrow = pq.read_table(out)
        assert arrow.schema.field("redshift_pdf").type.list_size == bins
        stored = arrow.schema.metadata[EDGES_KEY.encode()]
        assert pd.read_parquet(out)["redshift_pdf"].iloc[0].shape == (bins,)  # pandas reads it too
    else:
        header = fits.getheader(out, 1)
        index = list(header["TTYPE*"].values()).index("redshift_pdf") + 1  # FITS counts columns from 1
        assert (header[f"TFORM{index}"], header[f"TDIM{index}"]) == (f"{bins}E", f"({bins})")
        stored = header[EDGES_KEY]
    np.testing.assert_array_equal(json.loads(stored), model.bin_edges_)


@pytest.mark.slow
def test_report_rebootstraps_the_pdf_section_as_asked_or_as_the_config_says(pdf_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(pdf_run, run)
    ran = json.loads((run / "metrics.json").read_text())

    def rebuilt(*options):
        result = _invoke("report", run, *options)
        assert result.exit_code == 0, result.output
        return json.loads((run / "metrics.json").read_text())

    asked = rebuilt("--bootstrap", "60")
    assert asked["pdfs"]["n_bootstrap"] == asked["bootstrap"]["n_resamples"] == 60
    for name, model in asked["pdfs"]["models"].items():
        assert model["metrics"] == ran["pdfs"]["models"][name]["metrics"]  # the PDFs are the run's
        assert model["intervals"] != ran["pdfs"]["models"][name]["intervals"]
        low, high = model["intervals"]["crps"]
        assert low <= model["metrics"]["crps"] <= high
    again = rebuilt()  # the embedded config's [report] n_bootstrap = 20: the run's own numbers
    assert again["pdfs"]["n_bootstrap"] == again["bootstrap"]["n_resamples"] == 20 == ran["pdfs"]["n_bootstrap"]
    assert again["pdfs"] == ran["pdfs"]
    assert rebuilt("--bootstrap", "0")["pdfs"]["models"]["MLP"]["intervals"] == {}
