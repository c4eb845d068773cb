"""Issue 17, section 4: the report tells the whole truth (input files, removals, one outlier threshold for every
model, clipped plots said to be clipped, the evaluate stage timed)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from astromlp.reports import EvaluationInputs, compute_metrics, photoz, render_report
from astromlp.reports.context import report_context

Z_SPEC = np.array([0.0, 0.1, 0.2, 0.3, 0.5, 1.0])
# network dz: sorted -0.05 -0.02 0 0.01 0.03 0.2; numpy percentiles q25 = -0.015, q75 = 0.025
NET_DZ = np.array([0.01, -0.02, 0.03, 0.0, 0.2, -0.05])
# a baseline with more scatter: q25 = -0.075, q75 = 0.175, so its own threshold would be 3 * 0.25 / 1.349 = 0.556
WIDE_DZ = np.array([0.1, -0.1, 0.3, 0.0, 0.2, -0.2])
NETWORK_THRESHOLD = 3 * 0.04 / 1.349  # 0.08895 > the 0.06 floor


def photoz_inputs(**changes) -> EvaluationInputs:
    predictions = {"net": Z_SPEC + NET_DZ * (1 + Z_SPEC), "wide": Z_SPEC + WIDE_DZ * (1 + Z_SPEC)}
    return EvaluationInputs(**{"task": "photoz", "target": "z", "y_true": Z_SPEC, "network_name": "net",
                               "predictions": predictions, **changes})


def test_every_model_is_judged_against_the_networks_lsst_threshold():
    metrics = compute_metrics(photoz_inputs(), n_bootstrap=0)
    scalars = {name: metrics["results"][name]["scalars"] for name in ("net", "wide")}
    assert scalars["net"]["outlier_fraction_lsst"] == pytest.approx(1 / 6)  # only 0.2
    # against its own threshold 0.556 the wide baseline would have none; against 0.08895 five of six
    assert scalars["wide"]["sigma_iqr"] == pytest.approx(0.25 / 1.349)
    assert scalars["wide"]["outlier_fraction_lsst"] == pytest.approx(5 / 6)
    assert metrics["best"]["outlier_fraction_lsst"] == "net"
    note = metrics["metric_notes"]["outlier_fraction_lsst"]
    assert f"{NETWORK_THRESHOLD:.4g}" in note and "of net" in note
    assert "of the network" in metrics["metric_labels"]["outlier_fraction_lsst"]


def test_the_common_threshold_holds_in_bins_and_alone_a_model_keeps_its_own():
    cases = photoz.common_cases(Z_SPEC, photoz_inputs().predictions, "net")
    first_two = cases["wide"].take(np.array([0, 3]))  # dz 0.1 and 0.0: one beyond 0.08895
    assert photoz.lsst_outlier_fraction(first_two) == pytest.approx(1 / 2)
    alone = photoz.ValuedCase(Z_SPEC, photoz_inputs().predictions["wide"])
    assert photoz.lsst_outlier_fraction(alone) == 0.0


def test_the_common_threshold_bootstrap_counts_rows_beyond_a_fixed_line():
    cases = photoz.common_cases(Z_SPEC, photoz_inputs().predictions, "net")
    score = photoz.PHOTOZ_METRICS["outlier_fraction_lsst"].scorer(cases["wide"])
    weights = np.array([[6, 0, 0, 0, 0, 0], [0, 0, 0, 6, 0, 0], [1, 1, 1, 1, 1, 1]], dtype=float)
    assert score(weights) == pytest.approx([1.0, 0.0, 5 / 6])


def test_input_files_come_from_provenance_when_the_summary_has_none():
    files = [{"path": "galaxies.fits", "sha256": "ab" * 32}]
    inputs = photoz_inputs(provenance={"input_files": files}, data_summary={"rows": {"read": 6, "used": 6}})
    context = report_context(inputs, compute_metrics(inputs, n_bootstrap=0), [])
    assert context["data"]["files"] == {"rows": files, "with_format": False, "with_rows": False}


def test_the_rows_table_lists_every_removal_between_read_and_used():
    select = [{"cut": "r < 19", "columns": ["r"], "removed": 25, "removed_missing": 3},
              {"cut": "z_warning == 0", "columns": ["z_warning"], "removed": 5, "removed_missing": 0}]
    rows = {"read": 100, "select": select, "used": 68, "dropped": {"missing target": 2}}
    inputs = photoz_inputs(data_summary={"rows": rows})
    context = report_context(inputs, compute_metrics(inputs, n_bootstrap=0), [])
    assert [(row["label"], row.get("code"), row["count"]) for row in context["data"]["rows"]] == [
        ("read", None, 100), ("removed by select", "r < 19", 25), ("removed by select", "z_warning == 0", 5),
        ("dropped: missing target", None, 2), ("used", None, 68)]
    text = render_report(inputs, compute_metrics(inputs, n_bootstrap=0))
    assert 'removed by select <code>r &lt; 19</code></th><td class="num">25 (of which 3 missing a value)' in text


def page_text(inputs: EvaluationInputs) -> str:
    return render_report(inputs, compute_metrics(inputs, n_bootstrap=0))


def test_the_page_shows_input_files_and_the_evaluate_timing():
    files = [{"path": "galaxies.fits", "sha256": "cd" * 32}]
    inputs = photoz_inputs(provenance={"input_files": files, "timings": {"train": 3.0, "evaluate": 1.25}})
    text = page_text(inputs)
    data = text[text.index('<section id="data">'):text.index('<section id="training">')]
    assert "galaxies.fits" in data and "cd" * 32 in data and "not recorded" not in data.split("<h3>Rows")[0]
    provenance = text[text.index('<section id="provenance">'):]
    assert "<th>evaluate</th><td class=\"num\">1.25 s</td>" in provenance


def test_clipped_photoz_plots_say_so_with_the_count_outside():
    z = np.linspace(0.0, 1.0, 1000)
    predicted = z.copy()
    predicted[[10, 500, 900]] = 5.0  # three wild predictions, beyond the 99.5th percentile of the 2000 values
    inputs = EvaluationInputs("photoz", "z", z, {"net": predicted}, "net")
    text = page_text(inputs)
    caption = text[text.index('id="figure-predicted_vs_true"'):]
    caption = caption[caption.index("<figcaption>"):caption.index("</figcaption>")]
    assert "0.5 and 99.5 percentiles" in caption
    assert "predicted values span [0, 5]" in caption and "3 of 1,000 for net" in caption


def test_without_a_config_the_bootstrap_count_is_the_default_and_says_so(tmp_path):
    from astromlp.reports import write_report

    inputs = dataclasses.replace(photoz_inputs(), provenance={})
    write_report(tmp_path, inputs)
    assert "(default count; the run&#39;s config did not set one)" in (tmp_path / "report.html").read_text()
