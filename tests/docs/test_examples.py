"""The examples in examples/ run as a user runs them, and do what their docstrings say."""

import json
import runpy
import subprocess
import sys

import numpy as np
import pytest

from astromlp.pipeline.config import load_config
from astromlp.pipeline.runner import RunOptions, run
from astromlp.reports import photoz
from astromlp.reports.regression import ValuedCase

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def estimators_example(tmp_path_factory):
    """examples/estimators_sdss.py run as a script (few epochs), and its namespace."""
    out = tmp_path_factory.mktemp("estimators") / "results.json"
    argv = sys.argv
    sys.argv = [str(EXAMPLES / "estimators_sdss.py"), "--epochs", "5", "--json", str(out)]
    try:
        namespace = runpy.run_path(sys.argv[0], run_name="__main__")
    finally:
        sys.argv = argv
    return json.loads(out.read_text()), namespace


def test_estimators_example_classifies_and_estimates_redshifts(estimators_example):
    results, _ = estimators_example
    assert results["rows"] == 10_000
    accuracy = results["classification_balanced_accuracy"]
    assert accuracy["mlp"] > 0.85 and accuracy["logistic"] > 0.85  # chance is 1/3
    photo = results["photoz"]
    assert photo["sigma_nmad"] < 0.06 and abs(photo["bias"]) < 0.03 and photo["outlier_fraction"] < 0.05
    assert photo["median_start_spread"] > 0  # three different starts
    assert all(epochs <= 5 for epochs in photo["epochs_per_start"])
    assert photo["reload_identical"] is True


def test_estimators_example_teaches_the_reports_photoz_metrics(estimators_example):
    _, namespace = estimators_example
    rng = np.random.default_rng(3)
    z = rng.uniform(0.01, 0.3, 500)
    z_pred = z + rng.normal(0, 0.02, 500) * (1 + z) + np.where(rng.random(500) < 0.05, 0.3, 0.0)
    taught = namespace["photoz_metrics"](z, z_pred)
    case = ValuedCase(z, z_pred)
    assert taught["bias"] == pytest.approx(photoz.bias(case), rel=1e-12)
    assert taught["sigma_nmad"] == pytest.approx(photoz.sigma_nmad(case), rel=1e-12)
    assert taught["outlier_fraction"] == pytest.approx(photoz.outlier_fraction(case), rel=1e-12)


@pytest.mark.slow
def test_photoz_config_runs_and_beats_the_linear_baselines(tmp_path):
    config = load_config(EXAMPLES / "photoz.toml")
    assert config.task.kind == "photoz" and config.data.select == {"class": ("GALAXY",)}
    result = run(config, RunOptions(out=tmp_path / "photoz", quiet=True))
    metrics = result.metrics
    assert metrics["task"] == "photoz" and 900 < metrics["n_test"] < 1100  # 20 % of the 4998 galaxies
    sigma = {model: metrics["results"][model]["scalars"]["sigma_nmad"] for model in metrics["models"]}
    assert sigma["MLP"] < sigma["linear (OLS)"] and sigma["MLP"] < sigma["ridge (CV)"]
    assert metrics["primary"]["verdict"] == "better"
    assert (tmp_path / "photoz" / "report.html").stat().st_size > 50_000


def _slurm(*args, cwd=None):
    return subprocess.run([sys.executable, str(EXAMPLES / "slurm_cluster.py"), *map(str, args)],
                          capture_output=True, text=True, check=False, timeout=600, cwd=cwd)


def test_slurm_example_writes_the_job_script_dask_jobqueue_submits():
    result = _slurm(EXAMPLES / "photoz.toml", "--dry-run", "--memory", "8GB", "--walltime", "02:00:00",
                    "--partition", "short")
    assert result.returncode == 0, result.stderr
    script = result.stdout
    for line in ["#SBATCH -p short", "#SBATCH --cpus-per-task=1", "#SBATCH --mem=8G", "#SBATCH -t 02:00:00"]:
        assert line in script.splitlines(), line
    assert "distributed.cli.dask_worker tcp://" in script and "--nthreads 1" in script


@pytest.mark.slow
def test_slurm_example_runs_a_config_on_a_local_cluster(tmp_path, sdss_small):
    config = tmp_path / "small.toml"
    text = (EXAMPLES / "photoz.toml").read_text()
    for original in ['"../../shared/data/sdss_dr14_skyserver_10k.csv"', "max_epochs = 150", "n_bootstrap = 200"]:
        assert original in text
    text = text.replace('"../../shared/data/sdss_dr14_skyserver_10k.csv"', json.dumps(str(sdss_small)))
    text = text.replace("max_epochs = 150", "max_epochs = 3").replace("n_bootstrap = 200", "n_bootstrap = 0")
    config.write_text(text)
    result = _slurm(config, "--local", 1, "--out", tmp_path / "run")
    assert result.returncode == 0, result.stderr
    log = (tmp_path / "run" / "log.txt").read_text()
    assert "on the Dask cluster at tcp://" in log
    training = json.loads((tmp_path / "run" / "training.json").read_text())
    assert len(training["starts"]) == 3 and all(start["epochs"] <= 3 for start in training["starts"])
    assert (tmp_path / "run" / "report.html").is_file()
