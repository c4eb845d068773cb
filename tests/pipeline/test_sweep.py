"""A small sweep end to end: data prepared once, ordinary run directories per trial, the ranking recomputed
with scikit-learn, best.toml reproducing its trial, resume after kill -9 equal to an uninterrupted sweep."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

from astromlp.errors import AstromlpError
from astromlp.nn import load
from astromlp.pipeline.config import load_config
from astromlp.pipeline.runner import RunOptions, run
from astromlp.pipeline.sweep import run_sweep
from astromlp.pipeline.sweep_config import load_sweep

TINY_MODEL = """
[model]
hidden_layer_sizes = [8]
learning_rate = 0.01
batch_size = 128
max_epochs = 6
patience = 6
n_starts = 1
"""
SWEEP = """
[sweep]
n_trials = 2
[sweep.grid.model]
hidden_layer_sizes = [[4], [8]]
[sweep.random.model]
learning_rate = { low = 1e-3, high = 3e-2, log = true }
"""


@pytest.fixture(scope="session")  # shared by tests that `slow` sorts apart
def sweep_config(sdss_small, tmp_path_factory, config_text):
    folder = tmp_path_factory.mktemp("sweep")
    path = folder / "sweep.toml"
    path.write_text(config_text(sdss_small, model=TINY_MODEL) + SWEEP)
    return path


@pytest.fixture(scope="session")  # shared by tests that `slow` sorts apart
def finished(sweep_config):
    return run_sweep(load_sweep(sweep_config), RunOptions(scheduler="synchronous", quiet=True))


def _assert_same_model(a, b) -> None:
    """The same network bit for bit: equal probabilities on the validation rows (model.zip's own bytes carry
    the zip entries' times)."""
    X = np.load(b / "prepared" / "X_validation.npy")
    np.testing.assert_array_equal(load(a / "model.zip").predict_proba(X), load(b / "model.zip").predict_proba(X))


def _log(folder) -> str:
    return (folder / "log.txt").read_text()


def test_data_is_prepared_once_and_every_trial_is_an_ordinary_run(finished):
    assert len(finished.data_dirs) == 1
    data_log = _log(finished.data_dirs[0])
    assert data_log.count("ingest: started") == 1 and data_log.count("prepare: started") == 1
    trials = sorted((finished.sweep_dir / "trials").iterdir())
    assert [t.name for t in trials] == ["trial-000", "trial-001", "trial-002", "trial-003"]
    for trial in trials:
        log = _log(trial)
        assert "ingest: reused" in log and "prepare: reused" in log and "prepare: started" not in log
        assert "train: finished" in log and json.loads((trial / "manifest.json").read_text())["complete"]
        assert (trial / "report.html").is_file() and (trial / "model.zip").is_file()
    sweep_log = _log(finished.sweep_dir)
    assert all(f"trial-00{k}: trained in" in sweep_log for k in range(4))


def test_ranking_is_the_validation_metric_recomputed(finished):
    comparison = json.loads((finished.sweep_dir / "sweep.json").read_text())
    assert comparison["metric"] == {"key": "balanced_accuracy", "label": comparison["metric"]["label"],
                                    "better": "higher", "split": "validation"}
    values = {}
    for trial in comparison["trials"]:
        folder = finished.sweep_dir / trial["run_dir"]
        X = np.load(folder / "prepared" / "X_validation.npy")
        y = np.load(folder / "prepared" / "y_validation.npy")
        values[trial["name"]] = balanced_accuracy_score(y, load(folder / "model.zip").predict(X))
        assert trial["validation"]["value"] == pytest.approx(values[trial["name"]], abs=1e-12)
        low, high = trial["validation"]["interval"]
        assert low <= trial["validation"]["value"] <= high
        test = json.loads((folder / "metrics.json").read_text())["results"]["MLP"]["scalars"]
        assert trial["test"]["value"] == test["balanced_accuracy"]
    ranked = [t["validation"]["value"] for t in comparison["trials"]]
    assert ranked == sorted(ranked, reverse=True) and comparison["best"] == comparison["trials"][0]["name"]
    assert comparison["trials"][0]["not_worse"] and comparison["trials"][0]["params"]
    assert len({json.dumps(t["params"]) for t in comparison["trials"]}) == 4


def test_the_page_labels_the_test_column_and_escapes(finished):
    page = (finished.sweep_dir / "sweep.html").read_text()
    assert "test · not used to choose" in page and "validation · higher is better" in page
    assert "<script" not in page and page.count("<svg") == 2
    assert "model.\u200bhidden_layer_sizes" in page and "model.\u200blearning_rate" in page


def test_best_toml_reproduces_its_trial(finished, tmp_path):
    comparison = json.loads((finished.sweep_dir / "sweep.json").read_text())
    best = tmp_path / "best.toml"
    best.write_text((finished.sweep_dir / "best.toml").read_text())
    result = run(load_config(best), RunOptions(scheduler="synchronous", quiet=True))
    trial = finished.sweep_dir / comparison["trials"][0]["run_dir"]
    assert (result.run_dir / "metrics.json").read_bytes() == (trial / "metrics.json").read_bytes()
    _assert_same_model(result.run_dir, trial)


def test_a_second_sweep_into_the_folder_needs_resume(finished, sweep_config):
    with pytest.raises(AstromlpError, match="pass --resume"):
        run_sweep(load_sweep(sweep_config), RunOptions(scheduler="synchronous", quiet=True))


@pytest.mark.slow
def test_resume_after_kill_equals_the_uninterrupted_sweep(finished, sweep_config, tmp_path):
    out = tmp_path / "killed"
    command = [sys.executable, "-m", "astromlp.pipeline.cli", "sweep", str(sweep_config), "--out", str(out),
               "--scheduler", "synchronous", "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first = out / "trials" / "trial-000" / "manifest.json"
    while process.poll() is None:
        if first.is_file() and json.loads(first.read_text() or "{}").get("complete"):
            os.kill(process.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the sweep finished before it could be killed"
    assert not (out / "sweep.json").exists()
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "trial-000: reused" in _log(out)
    assert (out / "sweep.json").read_bytes() == (finished.sweep_dir / "sweep.json").read_bytes()
    assert (out / "best.toml").read_bytes() == (finished.sweep_dir / "best.toml").read_bytes()
    for k in range(4):
        name = f"trials/trial-00{k}/metrics.json"
        assert (out / name).read_bytes() == (finished.sweep_dir / name).read_bytes()


def test_compare_builds_the_page_from_separate_runs_and_refuses_other_splits(finished, sweep_config, tmp_path):
    from click.testing import CliRunner

    from astromlp.pipeline.cli import main

    trials = [finished.sweep_dir / "trials" / f"trial-00{k}" for k in range(4)]
    out = tmp_path / "compared"
    result = CliRunner().invoke(main, ["compare", *map(str, trials), "-o", str(out), "--bootstrap", "20",
                                       "--seed", "7"])
    assert result.exit_code == 0, result.output
    compared = json.loads((out / "sweep.json").read_text())
    swept = json.loads((finished.sweep_dir / "sweep.json").read_text())
    assert compared["swept"] == ["model.hidden_layer_sizes", "model.learning_rate"]  # what differs, found
    assert [t["validation"] for t in compared["trials"]] == [t["validation"] for t in swept["trials"]]
    assert not (out / "best.toml").exists()

    other = tmp_path / "other.toml"
    other.write_text(sweep_config.read_text().split("[sweep]")[0].replace("seed = 7", "seed = 8"))
    run(load_config(other), RunOptions(scheduler="synchronous", quiet=True))
    refused = CliRunner().invoke(main, ["compare", str(trials[0]), str(tmp_path / "runs" / "other"), "-o",
                                        str(tmp_path / "refused")])
    assert refused.exit_code == 2
    assert "test split differs" in refused.output and len(refused.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_local_cluster_gives_the_same_trials_bit_for_bit(finished, sweep_config, tmp_path):
    result = run_sweep(load_sweep(sweep_config), RunOptions(out=tmp_path / "cluster", workers=2, quiet=True))
    assert result.scheduler.startswith("LocalCluster")
    assert (result.sweep_dir / "sweep.json").read_bytes() == (finished.sweep_dir / "sweep.json").read_bytes()
    for k in range(4):
        name = f"trials/trial-00{k}"
        _assert_same_model(result.sweep_dir / name, finished.sweep_dir / name)
        for file in ("metrics.json",):
            assert (result.sweep_dir / name / file).read_bytes() == (finished.sweep_dir / name / file).read_bytes()
