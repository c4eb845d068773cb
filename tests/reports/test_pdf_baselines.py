"""PDF baselines and the PDF judgement: trainZ's histogram, kNN's choice of k, bootstrap KS, the verdicts."""

import numpy as np
import pytest
from scipy import stats
from scipy.stats import norm

from astromlp.reports.pdf_baselines import knn, train_z
from astromlp.reports.pdf_evaluation import _ks_statistics, headline, judge_pdfs


def test_train_z_is_the_training_histogram_for_every_galaxy():
    edges = np.array([0.0, 0.1, 0.2, 0.3])
    pdfs = train_z(np.array([0.05, 0.15, 0.15, 0.25]), edges, 0.0)(np.zeros((3, 2)))
    np.testing.assert_allclose(pdfs, [[0.25, 0.5, 0.25]] * 3)


def _sample(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    return X, 0.4 + 0.3 * X[:, 0] + 0.01 * rng.normal(size=n)


def test_knn_picks_a_small_k_where_the_redshift_is_a_smooth_function_and_beats_train_z():
    from astromlp.reports.pdf_metrics import crps

    X, y = _sample(3000, 0)
    X_val, y_val = _sample(500, 1)
    X_test, y_test = _sample(500, 2)
    edges = np.linspace(0, 0.8, 161)
    predict, k = knn(X, y, X_val, y_val, edges, 1.0)
    assert k <= 20
    knn_crps = crps(predict(X_test), edges, y_test).mean()
    assert knn_crps < 0.2 * crps(train_z(y, edges, 1.0)(X_test), edges, y_test).mean()


def test_bootstrap_ks_statistic_equals_scipys_on_each_resample():
    rng = np.random.default_rng(3)
    pit = rng.uniform(size=300) ** 1.3
    rows = rng.integers(0, 300, (4, 300))
    expected = [stats.kstest(pit[r], "uniform").statistic for r in rows]
    np.testing.assert_allclose(_ks_statistics(pit, rows), expected, rtol=1e-12)


def test_calibrated_pdfs_beat_train_z_on_crps_beyond_the_interval():
    rng = np.random.default_rng(4)
    edges = np.linspace(0, 1, 201)
    centre = rng.uniform(0.2, 0.8, 2000)
    z = centre + 0.03 * rng.normal(size=2000)
    good = np.diff(norm.cdf((edges[None, :] - centre[:, None]) / 0.03), axis=1)
    good /= good.sum(axis=1, keepdims=True)
    result = judge_pdfs(z, {"MLP": good, "trainZ": train_z(z, edges, 1.0)(z[:, None])}, edges, "MLP",
                        n_bootstrap=100, random_state=0)
    assert result["comparisons"]["trainZ"]["crps"]["verdict"] == "better"
    net = result["models"]["MLP"]
    low, high = net["intervals"]["crps"]
    assert low <= net["metrics"]["crps"] <= high
    assert net["points"]["median"]["sigma_nmad"] == pytest.approx(0.03 / 1.5, rel=0.25)  # dz = 0.03 / (1 + z)
    assert "MLP against trainZ: CRPS better beyond the bootstrap interval" in headline(result, "MLP")[0]


def test_rejudging_from_per_object_values_repeats_the_judgement_or_redraws_it():
    """What `astromlp report --bootstrap N` does: the same count and seed give the run's numbers exactly."""
    from astromlp.reports.pdf_evaluation import point_metrics, rejudged
    from astromlp.reports.pdf_metrics import per_object

    rng = np.random.default_rng(5)
    edges = np.linspace(0, 1, 101)
    z = rng.uniform(0.2, 0.8, 400)
    probabilities = {"MLP": np.diff(norm.cdf((edges[None, :] - z[:, None]) / 0.05), axis=1),
                     "trainZ": train_z(z, edges, 1.0)(z[:, None])}
    judged = judge_pdfs(z, probabilities, edges, "MLP", n_bootstrap=40, random_state=7)
    stored = {**judged, "descriptions": {}, "figures": {"edges": []},
              "per_object": {name: per_object(p, edges, z) for name, p in probabilities.items()}}
    assert judged["models"]["MLP"]["points"] == point_metrics(z, probabilities, edges)["MLP"]
    same = rejudged(stored, "MLP", 40, 7)
    assert same == {**judged, "descriptions": {}}
    more = rejudged(stored, "MLP", 80, 7)
    assert more["n_bootstrap"] == 80 and more["models"]["MLP"]["metrics"] == judged["models"]["MLP"]["metrics"]
    assert more["models"]["MLP"]["intervals"] != judged["models"]["MLP"]["intervals"]
    kept_nothing = {key: value for key, value in stored.items() if key != "per_object"}
    assert rejudged(kept_nothing, "MLP", 80, 7)["n_bootstrap"] == 40  # an older run: shown as it was judged
