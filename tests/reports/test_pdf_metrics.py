"""PDF metrics against closed forms and against qp on the same PDFs."""

import numpy as np
import pytest
from scipy.stats import norm

from astromlp.reports import pdf_metrics

qp = pytest.importorskip("qp")  # the test extra installs it; the skip only spares a bare install


def _gaussians(n, sigma=0.05, bins=400, seed=0):
    """Binned Gaussian PDFs around random centres, with truths drawn from those very PDFs (calibrated)."""
    rng = np.random.default_rng(seed)
    edges = np.linspace(-0.5, 1.5, bins + 1)
    centre = rng.uniform(0.3, 0.7, n)
    prob = np.diff(norm.cdf((edges[None, :] - centre[:, None]) / sigma), axis=1)
    return prob / prob.sum(axis=1, keepdims=True), edges, centre + sigma * rng.normal(size=n), centre


def test_crps_of_a_gaussian_matches_its_closed_form():
    prob, edges, z, centre = _gaussians(200, bins=4000)
    u = (z - centre) / 0.05
    exact = 0.05 * (u * (2 * norm.cdf(u) - 1) + 2 * norm.pdf(u) - 1 / np.sqrt(np.pi))
    np.testing.assert_allclose(pdf_metrics.crps(prob, edges, z), exact, rtol=1e-4, atol=1e-7)


def test_crps_beyond_the_grid_adds_the_distance_to_it():
    edges = np.array([0.0, 1.0])
    prob = np.array([[1.0], [1.0]])  # uniform on [0, 1]: CRPS at z = 2 is 1/3 + 1
    np.testing.assert_allclose(pdf_metrics.crps(prob, edges, np.array([2.0, 0.5])), [1 / 3 + 1, 1 / 12])


def test_pit_of_calibrated_gaussians_is_uniform_and_matches_qp():
    prob, edges, z, _ = _gaussians(4000)
    values = pdf_metrics.per_object(prob, edges, z)
    ensemble = qp.Ensemble(qp.hist, data={"bins": edges, "pdfs": prob / np.diff(edges)})
    reference = qp.metrics.PIT(ensemble, z)
    np.testing.assert_allclose(values["pit"], reference.pit_samps, atol=1e-9)
    scores = pdf_metrics.summarise(values)
    assert scores["pit_ks"] == pytest.approx(reference.evaluate_PIT_KS().statistic, rel=1e-6)
    assert scores["pit_cvm"] == pytest.approx(reference.evaluate_PIT_CvM().statistic, rel=1e-6)
    assert scores["pit_ad"] == pytest.approx(reference.evaluate_PIT_anderson_ksamp().statistic, rel=1e-6)
    assert scores["pit_ks"] < 1.36 / np.sqrt(4000)  # uniform at the 95 % level
    assert scores["coverage_68"] == pytest.approx(0.6827, abs=0.02)
    assert scores["coverage_95"] == pytest.approx(0.9545, abs=0.01)


def test_cde_loss_matches_qp():
    prob, edges, z, _ = _gaussians(500)
    ensemble = qp.Ensemble(qp.hist, data={"bins": edges, "pdfs": prob / np.diff(edges)})
    grid = 0.5 * (edges[:-1] + edges[1:])
    reference = qp.metrics.CDELossMetric(eval_grid=grid).evaluate(ensemble, z)
    # qp evaluates the PDFs at the bin centres, so both are the same Riemann sum
    assert np.mean(pdf_metrics.cde_loss_terms(prob, edges, z)) == pytest.approx(float(reference), rel=1e-3)


def test_pit_outliers_are_truths_in_the_far_tails():
    edges = np.linspace(0, 1, 11)
    prob = np.zeros((3, 10))
    prob[:, 4] = 1.0  # all mass in [0.4, 0.5]
    values = pdf_metrics.pit(prob, edges, np.array([0.1, 0.45, 0.9]))
    np.testing.assert_allclose(values, [0.0, 0.5, 1.0])
    assert pdf_metrics.uniformity(values)["pit_outliers"] == pytest.approx(2 / 3)


def test_pit_anderson_darling_is_qps_standardised_statistic_negative_when_calibrated():
    """qp's AD is scipy's standardised 2-sample statistic (A2 - 1) / sigma against an evenly spaced grid; the
    grid has no sampling noise, so a calibrated PIT scores about -0.65 on average, not 0, and mostly below 0."""
    midpoints = (np.arange(200) + 0.5) / 200  # a perfectly uniform PIT by hand
    ensemble = qp.Ensemble(qp.hist, data={"bins": np.array([0.0, 1.0]), "pdfs": np.ones((200, 1))})
    reference = qp.metrics.PIT(ensemble, midpoints).evaluate_PIT_anderson_ksamp().statistic
    ours = pdf_metrics.uniformity(midpoints)["pit_ad"]
    assert ours == pytest.approx(reference, rel=1e-9)
    assert ours == pytest.approx(-1.3028, abs=1e-4)  # the most uniform PIT there is scores lowest, not 0
    rng = np.random.default_rng(1)
    calibrated = np.array([pdf_metrics.uniformity(rng.uniform(size=1500))["pit_ad"] for _ in range(200)])
    assert calibrated.mean() == pytest.approx(-0.66, abs=0.1)
    assert np.mean(calibrated < 0) > 0.85
    squeezed = pdf_metrics.uniformity(rng.uniform(0.4, 0.6, size=1500))["pit_ad"]  # PDFs far too broad
    assert squeezed > 6.546  # scipy's 0.1 % critical value for two samples
