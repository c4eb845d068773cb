"""Regression and photo-z metrics against scikit-learn and values computed by hand on small arrays."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    median_absolute_error,
    r2_score,
    root_mean_squared_error,
)

from astromlp.reports import EvaluationInputs, compute_metrics

Z_SPEC = np.array([0.0, 0.1, 0.2, 0.3, 0.5, 1.0])
# chosen so that dz = (z_phot - z_spec) / (1 + z_spec) = [0.01, -0.02, 0.03, 0.0, 0.2, -0.05]
DZ = np.array([0.01, -0.02, 0.03, 0.0, 0.2, -0.05])
Z_PHOT = Z_SPEC + DZ * (1 + Z_SPEC)


def photoz(**changes) -> EvaluationInputs:
    arguments = {
        "task": "photoz",
        "target": "z",
        "y_true": Z_SPEC,
        "network_name": "net",
        "predictions": {"net": Z_PHOT, "flat": np.full(6, 0.3)},
    }
    return EvaluationInputs(**{**arguments, **changes})


def test_photoz_metrics_by_hand():
    scalars = compute_metrics(photoz(), n_bootstrap=0)["results"]["net"]["scalars"]
    # sorted dz: -0.05 -0.02 0 0.01 0.03 0.2 -> median 0.005
    assert scalars["bias"] == pytest.approx(0.005)
    # |dz - 0.005| = .005 .025 .025 .005 .195 .055 -> sorted .005 .005 .025 .025 .055 .195 -> median 0.025
    assert scalars["sigma_nmad"] == pytest.approx(1.4826 * 0.025)
    assert scalars["outlier_fraction"] == pytest.approx(1 / 6)  # only 0.2 exceeds 0.15
    # numpy linear percentiles of dz: q25 = -0.015, q75 = 0.025 -> sigma_IQR = 0.04 / 1.349 = 0.02965;
    # threshold max(0.06, 0.0890) = 0.0890 -> again only 0.2 is an outlier
    assert scalars["sigma_iqr"] == pytest.approx(0.04 / 1.349)
    assert scalars["outlier_fraction_lsst"] == pytest.approx(1 / 6)


def test_lsst_outlier_threshold_has_a_floor_of_006():
    dz = np.array([0.0, 0.001, -0.001, 0.002, 0.07, -0.065, 0.05, 0.0])
    z_spec = np.full(8, 0.4)
    scalars = compute_metrics(photoz(y_true=z_spec, predictions={"net": z_spec + dz * 1.4}), n_bootstrap=0)[
        "results"
    ]["net"]["scalars"]
    assert 3 * scalars["sigma_iqr"] < 0.06  # so the floor applies: 0.07 and -0.065 are outliers, 0.05 is not
    assert scalars["outlier_fraction_lsst"] == pytest.approx(2 / 8)
    assert scalars["outlier_fraction"] == 0.0


def test_regression_metrics_equal_scikit_learn():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    predicted = np.array([1.5, 1.5, 3.5, 3.0, 6.0])
    scalars = compute_metrics(
        EvaluationInputs("regression", "mass", y, {"net": predicted}, "net"), n_bootstrap=0
    )["results"]["net"]["scalars"]
    assert scalars["mae"] == pytest.approx(mean_absolute_error(y, predicted)) == pytest.approx(0.7)
    assert (
        scalars["rmse"]
        == pytest.approx(root_mean_squared_error(y, predicted))
        == pytest.approx(np.sqrt(0.55))
    )
    assert scalars["r2"] == pytest.approx(r2_score(y, predicted)) == pytest.approx(1 - 2.75 / 10)
    assert scalars["median_ae"] == pytest.approx(median_absolute_error(y, predicted)) == pytest.approx(0.5)
    assert scalars["mape"] == pytest.approx(mean_absolute_percentage_error(y, predicted))
    assert scalars["median_residual"] == pytest.approx(0.5)


def test_mape_is_undefined_where_a_true_value_is_zero():
    scalars = compute_metrics(photoz(), n_bootstrap=0)["results"]["net"]["scalars"]
    assert scalars["mape"] is None  # Z_SPEC has a 0


def test_photoz_metrics_in_bins_of_redshift_and_magnitude_by_hand():
    magnitude = np.array([20.0, 18.0, 19.0, 17.0, 21.0, 16.0])
    metrics = compute_metrics(photoz(magnitude=magnitude), n_bootstrap=0, n_bins=2)
    by_z, by_magnitude = metrics["results"]["net"]["bins"]
    assert by_z["by"] == "z" and by_magnitude["by"] == "magnitude"
    # z bins [0, 0.25) and [0.25, 1.0]: dz (.01, -.02, .03) and (0, .2, -.05)
    assert [row["count"] for row in by_z["rows"]] == [3, 3]
    assert by_z["rows"][0]["low"] == 0.0 and by_z["rows"][1]["high"] == 1.0
    assert by_z["rows"][0]["values"]["bias"] == pytest.approx(0.01)
    assert by_z["rows"][1]["values"]["bias"] == pytest.approx(0.0)
    assert by_z["rows"][1]["values"]["outlier_fraction"] == pytest.approx(1 / 3)
    assert by_z["rows"][0]["values"]["sigma_nmad"] == pytest.approx(1.4826 * 0.02)  # |dz-.01| = 0 .03 .02
    # magnitude bins [16, 18.5) and [18.5, 21]: rows 1,3,5 (dz -.02, 0, -.05) and rows 0,2,4 (.01, .03, .2)
    assert by_magnitude["rows"][0]["values"]["bias"] == pytest.approx(-0.02)
    assert by_magnitude["rows"][1]["values"]["bias"] == pytest.approx(0.03)
    assert by_magnitude["rows"][1]["values"]["outlier_fraction"] == pytest.approx(1 / 3)


def test_rows_without_a_magnitude_fall_in_no_bin():
    magnitude = np.array([20.0, np.nan, 19.0, 17.0, np.nan, 16.0])
    table = compute_metrics(photoz(magnitude=magnitude), n_bootstrap=0, n_bins=2)["results"]["net"]["bins"][1]
    assert sum(row["count"] for row in table["rows"]) == 4
    assert table["rows_without_value"] == 2


def test_best_model_respects_each_metrics_direction():
    metrics = compute_metrics(photoz(), n_bootstrap=0)
    flat = metrics["results"]["flat"]["scalars"]
    net = metrics["results"]["net"]["scalars"]
    assert net["sigma_nmad"] < flat["sigma_nmad"]
    assert metrics["best"]["sigma_nmad"] == "net"
    expected_bias_winner = "net" if abs(net["bias"]) <= abs(flat["bias"]) else "flat"
    assert metrics["best"]["bias"] == expected_bias_winner
