"""The density network: soft labels, the PDF's gradient, point estimates read off a PDF, the model file's grid."""

import json
import zipfile

import numpy as np
import pytest
from scipy.special import ndtr
from scipy.stats import norm
from sklearn.base import clone
from sklearn.utils.estimator_checks import parametrize_with_checks

from astromlp.errors import AstromlpError
from astromlp.nn import MLPDensity, load
from astromlp.nn.density import (
    CDF_ONE,
    CDF_ZERO,
    basins,
    cdf_values,
    default_edges,
    modes,
    point_estimates,
    quantiles,
    soft_labels,
)
from tests.nn.conftest import LayerSpec, finite_difference, make_net, relative_error
from tests.nn.test_estimators import _expected_failures


def test_hard_labels_put_each_target_in_its_bin_and_clip_outside_the_grid():
    edges = np.array([0.0, 0.1, 0.2, 0.4])
    labels = soft_labels(np.array([0.05, 0.1, 0.39, -1.0, 7.0]), edges, 0.0)
    assert labels.argmax(axis=1).tolist() == [0, 1, 2, 0, 2]
    assert labels.sum(axis=1).tolist() == [1, 1, 1, 1, 1]


def test_soft_labels_integrate_a_gaussian_of_the_given_width_over_the_bins():
    edges = np.linspace(0, 1, 11)  # bins of 0.1; a target at 0.55 sits in the middle of bin 5
    row = soft_labels(np.array([0.55]), edges, 1.0)[0]
    # bin 6 spans 0.5 to 1.5 bins above the target: Phi(1.5) - Phi(0.5) = 0.24173
    assert row[6] == pytest.approx(norm.cdf(1.5) - norm.cdf(0.5), abs=1e-12)
    assert row[5] == pytest.approx(norm.cdf(0.5) - norm.cdf(-0.5), abs=1e-12)
    assert row.sum() == pytest.approx(1.0, abs=1e-12)  # the far tails go to the edge bins


def _labels_from_the_cdf_at_every_edge(y, edges, width):
    """The definition: the Gaussian's CDF at every edge (the outermost edges at 0 and 1), differenced."""
    index = np.clip(np.searchsorted(edges, y, side="right") - 1, 0, len(edges) - 2)
    position = index + np.clip((y - edges[index]) / np.diff(edges)[index], 0.0, 1.0)
    cdf = ndtr((np.arange(len(edges))[None, :] - position[:, None]) / width)
    cdf[:, 0], cdf[:, -1] = 0.0, 1.0
    return np.diff(cdf, axis=1)


@pytest.mark.parametrize("width", [0.001, 0.3, 1.0, 4.1, 30.0])  # the last spans the whole grid
def test_soft_labels_from_a_window_of_bins_equal_the_cdf_at_every_edge_bit_for_bit(rng, width):
    uniform = np.linspace(0.0, 2.0, 121)
    uneven = np.sort(np.concatenate([[0.0, 3.0], rng.uniform(0.0, 3.0, 58)]))
    for edges, top in ((uniform, 2.0), (uneven, 3.0)):
        y = np.concatenate([rng.uniform(-0.5, top + 0.5, 400), edges, [-1e9, 1e9]])  # on edges, far outside
        expected = _labels_from_the_cdf_at_every_edge(y, edges, width)
        assert np.array_equal(soft_labels(y, edges, width), expected)
        assert np.array_equal(soft_labels(y, edges, width, np.float32), expected.astype(np.float32))


def test_the_normal_cdf_is_exactly_zero_and_one_beyond_the_window():
    assert ndtr(CDF_ZERO) == 0.0 and ndtr(CDF_ONE) == 1.0
    assert ndtr(CDF_ZERO + 2) > 0.0 and ndtr(CDF_ONE - 1) < 1.0  # and the window is not wider than it needs


def test_cross_entropy_gradient_with_soft_labels_matches_finite_differences(rng):
    net = make_net([LayerSpec(5, "tanh")], n_out=8, seed=2)
    X = rng.normal(size=(9, 3))
    Y = soft_labels(rng.uniform(0, 1, 9), np.linspace(0, 1, 9), 1.3)
    net.theta += np.random.default_rng(3).normal(0, 0.3, net.theta.size)
    loss, grad = net.loss_and_gradient(X, Y, None, seed=0)
    fd = finite_difference(lambda: net.loss_and_gradient(X, Y, None, seed=0)[0], net.theta)
    assert relative_error(grad, fd) < 1e-6


def test_point_estimates_of_a_hand_made_pdf():
    edges = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    prob = np.array([[0.1, 0.6, 0.2, 0.1]])
    est = point_estimates(prob, edges)
    # the peak bin's centre 0.15 moved by the parabola through the densities 1, 6, 2: 0.5 (1 - 2) / (1 - 12 + 2)
    # = +1/18 of a bin (the default smoothing, 0.04 x 4 = 0.16 bins, changes the densities by < 1e-8)
    mode = 0.15 + 0.1 / 18
    assert est["mode"][0] == pytest.approx(mode)
    assert est["mean"][0] == pytest.approx(0.05 * 0.1 + 0.15 * 0.6 + 0.25 * 0.2 + 0.35 * 0.1)
    assert est["median"][0] == pytest.approx(0.1 + 0.4 / 0.6 * 0.1)  # CDF 0.1 at 0.1, 0.7 at 0.2
    assert est["lo68"][0] == pytest.approx(0.1 + 0.06 / 0.6 * 0.1)  # quantile 0.16
    assert est["hi95"][0] == pytest.approx(0.3 + 0.075 / 0.1 * 0.1)  # quantile 0.975
    # ODDS: CDF(mode + h) - CDF(mode - h), h = 0.06 (1 + mode); mode + h lies in bin 2, mode - h in bin 0
    half = 0.06 * (1 + mode)
    assert est["odds"][0] == pytest.approx((0.7 + (mode + half - 0.2) / 0.1 * 0.2) - (mode - half) / 0.1 * 0.1)


def _spike_and_broad_peak():
    """20 bins of 0.05: a broad peak over bins 3-7 (0.7 of the probability, highest in bin 5 at z = 0.275), a
    one-bin spike of 0.25 in bin 15 (z = 0.775) and 0.05 spread evenly over the other 14 bins."""
    edges = np.linspace(0, 1, 21)
    prob = np.full(20, 0.05 / 14)
    prob[3:8] = [0.1, 0.15, 0.2, 0.15, 0.1]
    prob[15] = 0.25
    return prob[None, :], edges


def test_the_mode_is_the_broad_peak_not_a_narrow_spike_of_less_probability():
    prob, edges = _spike_and_broad_peak()
    # the raw argmax picks the spike: 0.25 in one bin beats the broad peak's 0.2
    assert modes(prob, edges, smoothing=0, in_basin=False, parabola=False)[0] == pytest.approx(0.775)
    # basins split at the local minima: bins 0-2 (flat, then the rise starts at bin 3), 3-14, 15-19
    assert basins(prob)[0].tolist() == [0] * 3 + [1] * 12 + [2] * 5
    # the broad peak's basin holds 0.7 + 7 x 0.05/14 = 0.725 against the spike's 0.25 + 4 x 0.05/14 = 0.264
    assert modes(prob, edges, smoothing=0, in_basin=True, parabola=False)[0] == pytest.approx(0.275)
    # smoothed by a Gaussian of 1 bin the spike's top falls to 0.25 x 0.399 = 0.100 and the broad one's to
    # 0.2 x 0.399 + 2 x 0.15 x 0.242 + 2 x 0.1 x 0.054 = 0.163
    assert modes(prob, edges, smoothing=1, in_basin=False, parabola=False)[0] == pytest.approx(0.275)
    # the parabola through a symmetric top does not move it
    assert modes(prob, edges, smoothing=0, in_basin=True, parabola=True)[0] == pytest.approx(0.275)


def test_the_parabola_moves_the_mode_towards_the_higher_neighbour():
    edges = np.array([0.0, 0.1, 0.2, 0.3, 0.4])
    prob = np.array([[0.1, 0.3, 0.2, 0.4 / 3]]) / (0.1 + 0.3 + 0.2 + 0.4 / 3)
    # heights 1, 3, 2 around the peak: vertex at 0.5 (1 - 2) / (1 - 6 + 2) = +1/6 of a bin from its centre
    assert modes(prob, edges, smoothing=0, in_basin=False)[0] == pytest.approx(0.15 + 0.1 / 6)
    # a peak in an edge bin stays at that bin's centre
    assert modes(prob[:, ::-1], edges, smoothing=0, in_basin=False)[0] == pytest.approx(0.25 - 0.1 / 6)
    assert modes(np.array([[0.5, 0.3, 0.1, 0.1]]), edges, smoothing=0)[0] == pytest.approx(0.05)


def test_quantiles_of_a_fine_gaussian_pdf_match_scipy():
    edges = np.linspace(-6, 6, 2401)
    prob = np.diff(norm.cdf(edges))[None, :]
    for q in (0.025, 0.16, 0.5, 0.84, 0.975):
        assert quantiles(prob, edges, q)[0] == pytest.approx(norm.ppf(q), abs=1e-4)
    assert cdf_values(prob, edges, np.array([1.0]))[0] == pytest.approx(norm.cdf(1.0), abs=1e-6)


def test_default_grid_spans_zero_to_the_upper_tail_with_a_margin():
    y = np.linspace(0.01, 0.5, 1000)
    edges = default_edges(y)
    assert edges[0] == 0 and len(edges) == 201
    assert edges[-1] == pytest.approx(np.percentile(y, 99.9) * 1.1)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 3))
    y = 0.3 + 0.1 * np.tanh(X[:, 0]) + 0.02 * rng.normal(size=1500)
    model = MLPDensity((16,), max_epochs=15, random_state=0, n_starts=2, start_selection="ensemble",
                       z_grid=60).fit(X, y)
    return model, X, y


def test_fit_learns_the_conditional_median_and_the_ensemble_is_the_mixture(fitted):
    model, X, y = fitted
    assert len(model.bin_edges_) == 61 and len(model.networks_) == 2
    assert np.median(np.abs(model.predict(X) - y)) < 0.03  # noise 0.02: median |error| 0.0135 at best
    per_start = [clone(model).set_params(n_starts=1)._from_state({**model._fitted_state(), "networks": [n]})
                 for n in model.networks_]
    mixture = np.mean([m.predict_bins(X[:20]) for m in per_start], axis=0)
    np.testing.assert_array_equal(model.predict_bins(X[:20]), mixture)
    pdf = model.predict_pdf(X[:20])
    np.testing.assert_allclose((pdf * np.diff(model.bin_edges_)).sum(axis=1), 1.0, rtol=1e-12)


def test_model_file_round_trips_the_grid_and_refuses_a_tampered_one(fitted, tmp_path):
    model, X, _ = fitted
    path = model.save(tmp_path / "density.zip")
    again = load(path)
    np.testing.assert_array_equal(again.bin_edges_, model.bin_edges_)
    np.testing.assert_array_equal(again.predict_bins(X), model.predict_bins(X))
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    doc = json.loads(members["model.json"])
    for bad in (doc["bin_edges"][:-1], doc["bin_edges"][::-1], None):
        members["model.json"] = json.dumps({**doc, "bin_edges": bad}).encode()
        broken = tmp_path / "broken.zip"
        with zipfile.ZipFile(broken, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
        with pytest.raises(AstromlpError, match="bin_edges"):
            load(broken)


@pytest.mark.parametrize("params, match", [({"z_grid": [0.0, 0.5, 0.2]}, "strictly increasing"),
                                           ({"loss": "log_loss", "z_grid": "many"}, "z_grid"),
                                           ({"loss": "squared_error"}, "loss")])
def test_bad_grid_or_loss_is_one_error(params, match):
    with pytest.raises((AstromlpError, ValueError), match=match):
        MLPDensity((4,), max_epochs=1, **params).fit(np.zeros((20, 2)), np.linspace(0, 1, 20))


@parametrize_with_checks([MLPDensity(random_state=0, max_epochs=50, z_grid=40)],
                         expected_failed_checks=_expected_failures)
def test_scikit_learn_battery(estimator, check):
    check(estimator)


def test_default_network_is_three_hidden_layers_the_regressor_keeps_two():
    """Round 9 of benchmarks/quality_selection.md: (64, 64, 64) had the fewest outliers of the PDF's mode in
    cross-validation; the point estimators' (64, 64) (rounds 1-3) is unchanged. A clone keeps the default."""
    from astromlp.nn import MLPRegressor

    assert MLPDensity().hidden_layer_sizes == (64, 64, 64)
    assert clone(MLPDensity(label_width=2.0)).get_params()["hidden_layer_sizes"] == (64, 64, 64)
    assert MLPRegressor().hidden_layer_sizes == (64, 64)
