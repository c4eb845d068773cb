"""A run end to end on a small real catalog: artifacts, numbers, caching, resume and --force."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

from astromlp.errors import AstromlpError
from astromlp.nn import load
from astromlp.pipeline.config import load_config
from astromlp.pipeline.runner import STAGES, RunOptions, run


@pytest.fixture(scope="module")
def finished_run(sdss_small, tmp_path_factory, config_text):
    """One classification run on the synchronous scheduler, shared by the read-only tests below."""
    folder = tmp_path_factory.mktemp("run")
    path = folder / "run.toml"
    path.write_text(config_text(sdss_small))
    result = run(load_config(path), RunOptions(scheduler="synchronous", quiet=True))
    return path, result


def test_every_stage_writes_its_artifacts(finished_run):
    _, result = finished_run
    names = {p.relative_to(result.run_dir).as_posix() for p in result.run_dir.rglob("*") if p.is_file()}
    for expected in ("config.toml", "config.json", "ingest.json", "data_summary.json", "split_counts.json",
                     "preparation.json", "prepared/X_train.npy", "model.zip", "training.json",
                     "predictions.parquet", "metrics.json", "report.html", "log.txt", "manifest.json"):
        assert expected in names
    assert [s.name for s in result.stages] == list(STAGES) and not any(s.reused for s in result.stages)
    assert not [n for n in names if ".partial" in n]


def test_split_counts_and_metrics_agree_with_the_files(finished_run, sdss_small):
    _, result = finished_run
    counts = json.loads((result.run_dir / "split_counts.json").read_text())
    assert counts["train"] + counts["validation"] + counts["test"] == 3000
    for label, n in pd.read_csv(sdss_small)["class"].value_counts().items():
        assert counts["per_class"]["test"][label] == round(n * 0.25)
    table = pd.read_parquet(result.run_dir / "predictions.parquet")
    assert len(table) == counts["test"] == result.metrics["n_test"]
    assert {"objid", "ra", "dec", "class_true", "class_predicted", "probability_QSO"} <= set(table.columns)
    accuracy = accuracy_score(table["class_true"], table["class_predicted"])
    assert result.metrics["results"]["MLP"]["scalars"]["accuracy"] == pytest.approx(accuracy)
    assert accuracy > 0.8  # colours separate stars, galaxies and quasars well


def test_test_rows_are_the_catalog_rows_they_claim(finished_run, sdss_small):
    _, result = finished_run
    catalog = pd.read_csv(sdss_small)
    table = pd.read_parquet(result.run_dir / "predictions.parquet")
    np.testing.assert_array_equal(catalog["ra"].to_numpy()[table["row"]], table["ra"])
    np.testing.assert_array_equal(catalog["class"].to_numpy()[table["row"]], table["class_true"])


def test_normaliser_is_fitted_on_the_training_split_only(finished_run, sdss_small):
    _, result = finished_run
    catalog = pd.read_csv(sdss_small)
    normaliser = json.loads((result.run_dir / "preparation.json").read_text())["normaliser"]
    X_train = np.load(result.run_dir / "prepared" / "X_train.npy")
    X_test = np.load(result.run_dir / "prepared" / "X_test.npy")
    np.testing.assert_allclose(X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X_train.std(axis=0), 1, atol=1e-12)
    assert normaliser["center"][4] != pytest.approx(catalog["r"].mean(), abs=1e-9)  # not all rows
    test_rows = pd.read_parquet(result.run_dir / "predictions.parquet")["row"]
    raw_test_r = catalog["r"].to_numpy()[test_rows]
    np.testing.assert_allclose(X_test[:, 4], (raw_test_r - normaliser["center"][4]) / normaliser["scale"][4],
                               rtol=1e-12)


def test_model_file_carries_what_predict_needs(finished_run):
    _, result = finished_run
    model = load(result.run_dir / "model.zip")
    assert model.metadata_["features"][0] == ["u_g", "u - g"]
    assert model.metadata_["classes"] == ["GALAXY", "QSO", "STAR"]
    assert len(model.starts_) == 2


def test_rerun_needs_resume_or_force(finished_run):
    path, _ = finished_run
    with pytest.raises(AstromlpError, match="already holds a run; pass --resume"):
        run(load_config(path), RunOptions(scheduler="synchronous", quiet=True))


def test_resume_reuses_everything_and_force_recomputes_identically(sdss_small, write_config, config_text):
    path = write_config(config_text(sdss_small))
    first = run(load_config(path), RunOptions(scheduler="synchronous", quiet=True))
    again = run(load_config(path), RunOptions(scheduler="synchronous", quiet=True, resume=True))
    assert all(s.reused for s in again.stages)
    forced = run(load_config(path), RunOptions(scheduler="synchronous", quiet=True, force=True))
    assert not any(s.reused for s in forced.stages)
    assert forced.metrics["results"] == first.metrics["results"]


def test_changing_the_model_reuses_the_preparation(sdss_small, write_config, config_text):
    path = write_config(config_text(sdss_small))
    run(load_config(path), RunOptions(scheduler="synchronous", quiet=True))
    prepared_before = (path.parent / "runs/run/prepared/X_train.npy").stat().st_mtime_ns
    path.write_text(config_text(sdss_small).replace("max_epochs = 15", "max_epochs = 5"))
    result = run(load_config(path), RunOptions(scheduler="synchronous", quiet=True, resume=True))
    assert {s.name: s.reused for s in result.stages} == {"ingest": True, "prepare": True, "train": False,
                                                         "evaluate": False}
    assert (path.parent / "runs/run/prepared/X_train.npy").stat().st_mtime_ns == prepared_before


def test_photoz_run_keeps_only_selected_rows(sdss_small, write_config, config_text):
    text = config_text(sdss_small, kind="photoz", target="redshift", extra_data='select = { class = ["GALAXY"] }')
    result = run(load_config(write_config(text)), RunOptions(scheduler="synchronous", quiet=True))
    summary = json.loads((result.run_dir / "data_summary.json").read_text())
    assert summary["rows"]["read"] == 3000 and summary["rows"]["used"] == 1456
    assert summary["rows"]["select"] == [{"cut": 'class = ["GALAXY"]', "columns": ["class"], "removed": 1544,
                                          "removed_missing": 0}]
    report = (result.run_dir / "report.html").read_text()
    assert re.search(r'removed by select <code>class = \[&#34;GALAXY&#34;\]</code></th><td class="num">1,544<', report)
    assert result.metrics["task"] == "photoz" and result.metrics["n_test"] == round(1456 * 0.25)
    table = pd.read_parquet(result.run_dir / "predictions.parquet")
    assert np.isfinite(table["redshift_predicted"]).all()
