"""Task kinds are declared objects: each is consistent, unknown names are one-line errors, and a new kind is
one registered entry that the whole report (metrics, baselines, figures, findings, page) then serves."""

import dataclasses

import numpy as np
import pytest

from astromlp.errors import AstromlpError
from astromlp.reports import REPORT_KINDS, compute_metrics, fit_baselines, register, render_report, report_kind
from astromlp.reports.figures import VALUE_FIGURES
from astromlp.reports.regression import ValuedCase


@pytest.mark.parametrize("name", list(REPORT_KINDS))
def test_a_kind_names_only_metrics_it_has(name):
    kind = report_kind(name)
    assert kind.name == name and set(kind.headline) <= set(kind.metrics)
    key, better = kind.worst_bin
    bins = kind.bin_metrics(["A", "B"])
    assert key in bins and bins[key].better == better
    keys = [spec.key for spec in kind.figures]
    assert len(keys) == len(set(keys))


def test_an_unknown_kind_is_a_one_line_error():
    with pytest.raises(AstromlpError, match="task 'photo-z' is not one of classification, regression, photoz"):
        report_kind("photo-z")
    with pytest.raises(ValueError, match="already registered"):
        register(report_kind("photoz"))


FIGURES = {"loss_curves", "predicted_vs_true", "residuals_target"}


def test_a_new_kind_is_one_registered_entry(photoz_inputs):
    """A kind judged by its median absolute dz only, with its own title: nothing else is edited."""
    photoz = report_kind("photoz")
    metric = photoz.metrics["median_ae"]
    kind = dataclasses.replace(photoz, name="photoz_median", title="Median photo-z", headline=("median_ae",),
                               metrics={"median_ae": metric}, bin_metrics=lambda classes: {"median_ae": metric},
                               worst_bin=("median_ae", "lower"),
                               figures=tuple(spec for spec in VALUE_FIGURES if spec.key in FIGURES),
                               findings=lambda result, metrics: [])
    register(kind)
    try:
        inputs = dataclasses.replace(photoz_inputs, task="photoz_median")
        metrics = compute_metrics(inputs, n_bootstrap=0)
        network = inputs.predictions[inputs.network_name]
        expected = np.median(np.abs(network - inputs.y_true))
        assert metrics["results"][inputs.network_name]["scalars"] == {"median_ae": pytest.approx(expected)}
        assert metric.compute(ValuedCase(inputs.y_true, network)) == pytest.approx(expected)
        page = render_report(inputs, metrics)
        assert "Median photo-z report" in page and 'id="figure-residuals_target"' in page
        assert set(fit_baselines("photoz_median", [[0.0], [1.0]], [0.1, 0.2], [[2.0]], random_state=0)) == {
            "linear (OLS)", "ridge (CV)"}
    finally:
        REPORT_KINDS.pop("photoz_median", None)
