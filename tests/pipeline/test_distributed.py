"""The same run on a 2-worker LocalCluster is bit-identical to the synchronous scheduler, even when a
worker is killed in the middle of training; an interrupted run resumes after `prepare`."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from astromlp.pipeline.config import load_config
from astromlp.pipeline.runner import RunOptions, run

SLOW_MODEL = """
[model]
hidden_layer_sizes = [32, 32]
learning_rate = 0.003
batch_size = 64
max_epochs = 40
patience = 40
n_starts = 2
"""


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes with one thread each, closed after the module's tests."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local, \
            Client(local) as client:
        yield local, client


@pytest.fixture(scope="session")  # shared by tests that `slow` sorts apart
def reference(sdss_small, tmp_path_factory, config_text):
    """The synchronous run every distributed run must reproduce bit for bit."""
    path = tmp_path_factory.mktemp("reference") / "run.toml"
    path.write_text(config_text(sdss_small, model=SLOW_MODEL))
    return run(load_config(path), RunOptions(scheduler="synchronous", quiet=True))


def _same_results(result, reference) -> None:
    assert result.metrics["results"] == reference.metrics["results"]
    ours = pd.read_parquet(result.run_dir / "predictions.parquet")
    theirs = pd.read_parquet(reference.run_dir / "predictions.parquet")
    pd.testing.assert_frame_equal(ours, theirs, check_exact=True)


@pytest.mark.slow
def test_local_cluster_is_bit_identical_to_synchronous(cluster, reference, write_config, sdss_small, config_text):
    local, _ = cluster
    path = write_config(config_text(sdss_small, model=SLOW_MODEL))
    result = run(load_config(path), RunOptions(scheduler=local.scheduler_address, quiet=True))
    assert "Dask cluster" in result.scheduler
    _same_results(result, reference)


def _kill_a_training_worker(client: Client, killed: list) -> None:
    """Wait until a worker runs a training start, then SIGKILL that worker's process."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not killed:
        for worker, keys in client.processing().items():
            if any("fit_one_start" in str(key) for key in keys):
                pids = client.run(os.getpid, workers=[worker])
                time.sleep(0.3)  # let the epochs begin
                os.kill(pids[worker], signal.SIGKILL)
                killed.append(worker)
                return
        time.sleep(0.02)


@pytest.mark.slow
def test_worker_killed_mid_training_still_gives_the_same_result(cluster, reference, write_config, sdss_small,
                                                                config_text):
    local, client = cluster
    path = write_config(config_text(sdss_small, model=SLOW_MODEL))
    killed: list = []
    killer = threading.Thread(target=_kill_a_training_worker, args=(client, killed))
    killer.start()
    result = run(load_config(path), RunOptions(scheduler=local.scheduler_address, quiet=True))
    killer.join()
    assert killed, "no training task was seen running"
    _same_results(result, reference)


@pytest.mark.slow
def test_interrupted_run_resumes_after_prepare(reference, write_config, sdss_small, config_text):
    path = write_config(config_text(sdss_small, model=SLOW_MODEL))
    manifest = path.parent / "runs" / "run" / "manifest.json"
    process = subprocess.Popen([sys.executable, "-m", "astromlp.pipeline.cli", "run", str(path), "--quiet",
                                "--scheduler", "synchronous"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while process.poll() is None and not (manifest.exists() and "prepare" in manifest.read_text()):
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    finally:
        process.kill()
    finished = json.loads(manifest.read_text())["stages"]
    assert "prepare" in finished and "train" not in finished, "the run was not interrupted during training"
    result = run(load_config(path), RunOptions(scheduler="synchronous", quiet=True, resume=True))
    assert {s.name: s.reused for s in result.stages} == {"ingest": True, "prepare": True, "train": False,
                                                         "evaluate": False}
    assert json.loads(manifest.read_text())["stages"]["prepare"] == finished["prepare"]
    _same_results(result, reference)
    np.testing.assert_array_equal(np.load(result.run_dir / "prepared" / "rows_test.npy"),
                                  np.load(reference.run_dir / "prepared" / "rows_test.npy"))
