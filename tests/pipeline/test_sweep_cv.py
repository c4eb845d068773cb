"""[sweep] cv = k, every start a Dask task, and sweeps of photoz-pdf networks ranked by CRPS.

The fold scores are recomputed here with scikit-learn's StratifiedKFold and the public estimator; the 2-worker
LocalCluster (one task per start and fold) must give the local scheduler's sweep bit for bit."""

import json

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import StratifiedKFold

from astromlp.errors import AstromlpError
from astromlp.nn import MLPClassifier, load
from astromlp.pipeline.config import load_config
from astromlp.pipeline.runner import RunOptions, run
from astromlp.pipeline.sweep import run_sweep
from astromlp.pipeline.sweep_config import load_sweep
from astromlp.pipeline.sweep_cv import Folds
from astromlp.reports.pdf_metrics import crps
from astromlp.reports.sweep import PDF_METRICS, fold_summary

MODEL = """
[model]
hidden_layer_sizes = [8]
learning_rate = 0.01
batch_size = 128
max_epochs = 5
patience = 5
n_starts = 2
"""
CV_SWEEP = """
[sweep]
cv = 3
[sweep.grid.model]
hidden_layer_sizes = [[4], [8]]
"""
PDF_MODEL = """
[model]
hidden_layer_sizes = [8]
max_epochs = 4
patience = 4
n_starts = 2
z_grid = 40
"""
PDF_SWEEP = """
[sweep]
[sweep.grid.model]
learning_rate = [0.003, 0.03]
"""


@pytest.fixture(scope="session")  # shared by tests that `slow` sorts apart
def cv_config(sdss_small, tmp_path_factory, config_text):
    path = tmp_path_factory.mktemp("cv") / "cv.toml"
    path.write_text(config_text(sdss_small, model=MODEL) + CV_SWEEP)
    return path


@pytest.fixture(scope="session")  # shared by tests that `slow` sorts apart
def cv_local(cv_config):
    return run_sweep(load_sweep(cv_config), RunOptions(scheduler="synchronous", quiet=True))


@pytest.fixture(scope="session")  # shared by tests that `slow` sorts apart
def cv_cluster(cv_config, tmp_path_factory):
    out = tmp_path_factory.mktemp("cv-cluster") / "sweep"
    return run_sweep(load_sweep(cv_config), RunOptions(out=out, workers=2, quiet=True))


def test_folds_are_stratified_fixed_by_the_seed_and_cover_the_training_rows():
    y = np.array(["a"] * 30 + ["b"] * 12 + ["c"] * 6)
    folds = Folds(3, seed=5, stratified=True)
    held = [folds.rows(y, j)[1] for j in range(3)]
    assert sorted(np.concatenate(held).tolist()) == list(range(len(y)))
    for j, rows in enumerate(held):
        assert sorted(y[rows].tolist()) == ["a"] * 10 + ["b"] * 4 + ["c"] * 2
        np.testing.assert_array_equal(rows, Folds(3, seed=5, stratified=True).rows(y, j)[1])
    assert not np.array_equal(held[0], Folds(3, seed=6, stratified=True).rows(y, 0)[1])
    with pytest.raises(AstromlpError, match="at least 3 training rows"):
        folds.rows(y[:2], 0)


def test_fold_comparison_is_the_corrected_paired_t_interval():
    metric = PDF_METRICS["crps"]  # lower is better: score = -value
    summary = fold_summary(metric, [0.30, 0.34, 0.29, 0.33], [0.28, 0.30, 0.28, 0.30])
    d = -np.array([0.30, 0.34, 0.29, 0.33]) + np.array([0.28, 0.30, 0.28, 0.30])  # [-0.02, -0.04, -0.01, -0.03]
    half = stats.t.ppf(0.975, 3) * np.sqrt((1 / 4 + 1 / 3) * np.var(d, ddof=1))
    assert summary["mean"] == pytest.approx(0.315) and summary["std"] == pytest.approx(np.std([.30, .34, .29, .33],
                                                                                               ddof=1))
    assert summary["difference_to_best"]["value"] == pytest.approx(-0.025)
    assert summary["difference_to_best"]["interval"] == pytest.approx([-0.025 - half, -0.025 + half])
    assert half == pytest.approx(0.031379, abs=1e-6)  # t(0.975, 3) = 3.1824, s^2 = 1.667e-4, x (1/4 + 1/3)
    assert summary["not_worse"] is True  # the uncorrected paired t (s^2 / 4, half 0.0205) would call it worse
    assert fold_summary(metric, [0.2, 0.3], [0.2, 0.3])["not_worse"]


@pytest.mark.parametrize("value", [1, 0, True, 2.5, "3"])
def test_cv_must_be_a_number_of_folds(cv_config, tmp_path, value):
    path = tmp_path / "bad.toml"
    path.write_text(cv_config.read_text().replace("cv = 3", f"cv = {json.dumps(value)}"))
    with pytest.raises(AstromlpError, match=r"\[sweep\] cv = .*integer >= 2") as error:
        load_sweep(path)
    assert "\n" not in str(error.value)


def test_cv_scores_are_each_folds_network_on_its_held_out_rows(cv_local):
    comparison = json.loads((cv_local.sweep_dir / "sweep.json").read_text())
    assert comparison["ranked_by"] == "cv" and comparison["cv"]["k"] == 3
    for trial in comparison["trials"]:
        folder = cv_local.sweep_dir / trial["run_dir"]
        X, y = (np.load(folder / "prepared" / f"{letter}_train.npy") for letter in ("X", "y"))
        Xv, yv = (np.load(folder / "prepared" / f"{letter}_validation.npy") for letter in ("X", "y"))
        sizes = [[4], [8]][int(trial["name"][-1])]
        expected = []
        for fit, held in StratifiedKFold(3, shuffle=True, random_state=7).split(X, y):
            model = MLPClassifier(hidden_layer_sizes=sizes, learning_rate=0.01, batch_size=128, max_epochs=5,
                                  patience=5, n_starts=2, random_state=7).fit(X[fit], y[fit], X_val=Xv, y_val=yv)
            expected.append(balanced_accuracy_score(y[held], model.predict(X[held])))
        record = json.loads((folder / "cv.json").read_text())
        assert record["scores"] == pytest.approx(expected, abs=1e-12)
        assert trial["cv"]["mean"] == pytest.approx(np.mean(expected), abs=1e-12)
        assert trial["cv"]["std"] == pytest.approx(np.std(expected, ddof=1), abs=1e-12)
    means = [t["cv"]["mean"] for t in comparison["trials"]]
    assert means == sorted(means, reverse=True) and comparison["trials"][0]["not_worse"]
    page = (cv_local.sweep_dir / "sweep.html").read_text()
    assert "3-fold cross-validation" in page and "Nadeau" in page and "test · not used to choose" in page


@pytest.mark.slow
def test_every_start_is_a_task_and_the_cluster_gives_the_same_sweep(cv_local, cv_cluster):
    assert cv_cluster.scheduler.startswith("LocalCluster")
    log = (cv_cluster.sweep_dir / "log.txt").read_text()
    assert log.count("(2 start tasks, 3 folds of 2 start tasks)") == 2
    assert (cv_cluster.sweep_dir / "sweep.json").read_bytes() == (cv_local.sweep_dir / "sweep.json").read_bytes()
    for name in ("trial-000", "trial-001"):
        for file in ("metrics.json", "cv.json", "training.json"):
            a, b = cv_cluster.sweep_dir / "trials" / name / file, cv_local.sweep_dir / "trials" / name / file
            if file == "training.json":  # fit_seconds differ; the curves and the chosen start may not
                a, b = ({k: v for k, v in json.loads(f.read_text()).items() if k != "fit_seconds"} for f in (a, b))
                for record in (a, b):
                    for start in record["starts"]:
                        start.pop("seconds")
                assert a == b
            else:
                assert a.read_bytes() == b.read_bytes()


def test_best_toml_of_the_cluster_sweep_reproduces_its_trial(cv_cluster, tmp_path):
    best = tmp_path / "best.toml"
    best.write_text((cv_cluster.sweep_dir / "best.toml").read_text())
    result = run(load_config(best), RunOptions(scheduler="synchronous", quiet=True))
    trial = cv_cluster.sweep_dir / "trials" / cv_cluster.comparison["best"]
    assert (result.run_dir / "metrics.json").read_bytes() == (trial / "metrics.json").read_bytes()


@pytest.mark.slow
def test_a_photoz_pdf_sweep_ranks_by_validation_crps(sdss_small, tmp_path, config_text):
    path = tmp_path / "pdf.toml"
    path.write_text(config_text(sdss_small, kind="photoz-pdf", target="redshift", model=PDF_MODEL,
                                extra_data='select = { class = ["GALAXY"] }') + PDF_SWEEP)
    result = run_sweep(load_sweep(path), RunOptions(scheduler="synchronous", quiet=True))
    comparison = json.loads((result.sweep_dir / "sweep.json").read_text())
    assert comparison["metric"]["key"] == "crps" and comparison["metric"]["better"] == "lower"
    for trial in comparison["trials"]:
        folder = result.sweep_dir / trial["run_dir"]
        model = load(folder / "model.zip")
        X, z = (np.load(folder / "prepared" / f"{letter}_validation.npy") for letter in ("X", "y"))
        assert trial["validation"]["value"] == pytest.approx(crps(model.predict_bins(X), model.bin_edges_, z).mean(),
                                                             rel=1e-12)
        pdfs = json.loads((folder / "metrics.json").read_text())["pdfs"]["models"]["MLP"]
        assert trial["test"]["value"] == pdfs["metrics"]["crps"]
    values = [t["validation"]["value"] for t in comparison["trials"]]
    assert values == sorted(values)
    assert "CRPS" in (result.sweep_dir / "sweep.html").read_text()


def test_a_sweep_refuses_a_pdf_metric_for_a_point_network(cv_config, tmp_path):
    path = tmp_path / "crps.toml"
    path.write_text(cv_config.read_text().replace("cv = 3", 'metric = "crps"'))
    with pytest.raises(AstromlpError, match="'crps' is not a classification metric"):
        load_sweep(path)


WORKER_THREADS = """
import astromlp.nn  # numba imported by the main module, as the command line does
from astromlp.pipeline.schedulers import _local_cluster


def threads():
    import numba
    return numba.config.NUMBA_NUM_THREADS


if __name__ == "__main__":
    with _local_cluster(2) as client:
        print(sorted(client.run(threads).values()))
"""


@pytest.mark.slow
def test_local_cluster_workers_run_one_numba_thread(tmp_path):
    """Spawned workers re-import the main module before the nanny's env reaches them: the setting must be
    there before their Python starts, or 2 workers run 4 kernel threads on 2 cores."""
    import subprocess
    import sys

    script = tmp_path / "threads.py"
    script.write_text(WORKER_THREADS)
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[1, 1]"


def test_a_local_cluster_leaves_this_process_environment_as_it_was(monkeypatch):
    """distributed's nannies write their pre-spawn environment into the starting process's os.environ; left
    there, NUMBA_NUM_THREADS=1 makes the process's next Numba compile fail once its threads are running."""
    import os

    from astromlp.pipeline.schedulers import _local_cluster

    monkeypatch.delenv("NUMBA_NUM_THREADS", raising=False)
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    with _local_cluster(1) as client:
        assert list(client.run(lambda: __import__("numba").config.NUMBA_NUM_THREADS).values()) == [1]
        assert "NUMBA_NUM_THREADS" not in os.environ and os.environ["PYTHONHASHSEED"] == "0"
    assert "NUMBA_NUM_THREADS" not in os.environ and os.environ["PYTHONHASHSEED"] == "0"
