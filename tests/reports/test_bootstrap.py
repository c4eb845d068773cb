"""Bootstrap intervals: seeded, paired across models, percentile intervals, verdicts that can fail."""

from __future__ import annotations

import numpy as np
import pytest

from astromlp.reports import EvaluationInputs, compute_metrics
from astromlp.reports.bootstrap import percentile_interval, verdict


def regression_inputs(noise_network: float, noise_baseline: float, n: int = 400) -> EvaluationInputs:
    rng = np.random.default_rng(3)
    y = rng.uniform(0.0, 10.0, n)
    return EvaluationInputs(
        "regression",
        "mass",
        y,
        {"net": y + rng.normal(0, noise_network, n), "base": y + rng.normal(0, noise_baseline, n)},
        "net",
    )


def test_percentile_interval_is_numpys_central_95_percent_of_the_finite_samples():
    samples = np.concatenate([np.arange(1000, dtype=float), [np.nan, np.inf]])
    assert percentile_interval(samples) == pytest.approx(np.percentile(np.arange(1000), [2.5, 97.5]).tolist())
    assert percentile_interval(np.array([np.nan, np.nan])) is None


@pytest.mark.parametrize(
    ("interval", "expected"),
    [([0.1, 0.3], "better"), ([-0.3, -0.1], "worse"), ([-0.1, 0.2], "not significant"), (None, "undefined")],
)
def test_verdict_reads_the_interval(interval, expected):
    assert verdict(interval) == expected


def test_same_seed_same_intervals_other_seed_other_intervals():
    inputs = regression_inputs(0.5, 1.0)
    first = compute_metrics(inputs, n_bootstrap=50, random_state=11)
    again = compute_metrics(inputs, n_bootstrap=50, random_state=11)
    other = compute_metrics(inputs, n_bootstrap=50, random_state=12)
    assert first == again
    assert first["results"]["net"]["intervals"]["rmse"] != other["results"]["net"]["intervals"]["rmse"]


def test_interval_brackets_the_estimate_and_shrinks_with_more_rows():
    small = compute_metrics(regression_inputs(0.5, 1.0, n=100), n_bootstrap=200)["results"]["net"]
    large = compute_metrics(regression_inputs(0.5, 1.0, n=1600), n_bootstrap=200)["results"]["net"]
    for result in (small, large):
        low, high = result["intervals"]["rmse"]
        assert low < result["scalars"]["rmse"] < high
        assert low < 0.5 < high  # the true noise level
    assert np.diff(large["intervals"]["rmse"])[0] < 0.5 * np.diff(small["intervals"]["rmse"])[0]


def test_a_clearly_better_network_is_significantly_better_and_a_twin_is_not():
    clear = compute_metrics(regression_inputs(0.5, 1.0), n_bootstrap=200)
    assert clear["comparisons"]["base"]["rmse"]["verdict"] == "better"
    assert clear["comparisons"]["base"]["rmse"]["advantage"] == pytest.approx(
        clear["results"]["base"]["scalars"]["rmse"] - clear["results"]["net"]["scalars"]["rmse"]
    )
    assert clear["primary"] == {
        "metric": "rmse",
        "best_baseline": "base",
        **clear["comparisons"]["base"]["rmse"],
    }
    worse = compute_metrics(regression_inputs(1.0, 0.5), n_bootstrap=200)
    assert worse["comparisons"]["base"]["rmse"]["verdict"] == "worse"
    inputs = regression_inputs(0.5, 1.0)
    twin = compute_metrics(
        EvaluationInputs(
            "regression",
            "mass",
            inputs.y_true,
            {"net": inputs.predictions["net"], "copy": inputs.predictions["net"]},
            "net",
        ),
        n_bootstrap=100,
    )
    # paired resamples: identical predictions give a zero difference on every resample
    assert twin["comparisons"]["copy"]["rmse"]["interval"] == [0.0, 0.0]
    assert twin["comparisons"]["copy"]["rmse"]["verdict"] == "not significant"


def test_no_bootstrap_means_no_intervals():
    metrics = compute_metrics(regression_inputs(0.5, 1.0), n_bootstrap=0)
    assert metrics["results"]["net"]["intervals"] == {}
    assert metrics["comparisons"]["base"]["rmse"]["verdict"] == "undefined"
