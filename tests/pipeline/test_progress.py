"""Per-start epoch bars: fed by the estimator's hook locally and by worker events on a cluster."""

import time

import dask
import numpy as np
import pytest
from distributed import Client, LocalCluster

from astromlp.pipeline import models
from astromlp.pipeline.progress import EpochBars, epoch_bars

PARAMS = {"hidden_layer_sizes": [8], "max_epochs": 12, "patience": 3, "batch_size": 64, "n_starts": 2}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3))
    y = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "STAR", "GALAXY")
    return models.TrainingData(X[:400], y[:400], X[400:], y[400:])


def test_local_bars_count_every_epoch_of_every_start(data, capsys):
    seeds = models.start_plan(PARAMS, 3)
    with epoch_bars(seeds, PARAMS["max_epochs"], show=True) as (bars, _):
        model = models.fit_all_starts("classification", PARAMS, 3, data, bars.epoch)
        assert [bar.n for bar in bars.bars] == [r["epochs"] for r in model.starts_]
        assert all(bar.total == 12 for bar in bars.bars)
    shown = capsys.readouterr().err
    assert "start 1/2" in shown and "start 2/2" in shown and "epoch" in shown


def test_hidden_bars_print_nothing(data, capsys):
    bars = EpochBars([1, 2], 10, show=False)
    bars.epoch(0, 0, 1.0, 1.0)
    bars.close()
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_workers_publish_each_epoch_to_the_clients_bars(data):
    seeds = models.start_plan(PARAMS, 5)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client, epoch_bars(seeds, PARAMS["max_epochs"], True, client) as (bars, topic):
        fit = dask.delayed(models.fit_one_start, pure=True)
        fitted = client.gather(client.compute([fit("classification", PARAMS, s, data, topic) for s in seeds]))
        expected = [f.starts_[0]["epochs"] for f in fitted]
        deadline = time.monotonic() + 20
        while [bar.n for bar in bars.bars] != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [bar.n for bar in bars.bars] == expected
