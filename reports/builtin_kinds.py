"""The task kinds astromlp judges, each declared once from its parts; a new kind is one new entry here (and
its estimator and config template in pipeline/kinds.py)."""

from __future__ import annotations

from dataclasses import replace

from astromlp.reports import classification, photoz, regression
from astromlp.reports.baselines import (
    CLASSIFIER_BASELINES,
    CLASSIFIER_CHOICES,
    REGRESSOR_BASELINES,
    REGRESSOR_CHOICES,
)
from astromlp.reports.classification_sections import classification_sections
from astromlp.reports.figures import CLASSIFICATION_FIGURES, PDF_FIGURES, VALUE_FIGURES
from astromlp.reports.findings import class_findings, outlier_findings, pdf_findings
from astromlp.reports.kinds import ReportKind, register

CLASSIFICATION = ReportKind(
    name="classification",
    title="Classification",
    labelled=True,
    metrics=classification.METRICS,
    headline=tuple(classification.HEADLINE),
    bin_metrics=classification.bin_metrics,
    details=classification.details,
    baselines=CLASSIFIER_BASELINES,
    baseline_choices=CLASSIFIER_CHOICES,
    figures=CLASSIFICATION_FIGURES,
    worst_bin=("accuracy", "higher"),
    findings=class_findings,
    sections=classification_sections,
)
REGRESSION = ReportKind(
    name="regression",
    title="Regression",
    labelled=False,
    metrics=regression.METRICS,
    headline=tuple(regression.HEADLINE),
    bin_metrics=lambda classes: regression.BIN_METRICS,
    baselines=REGRESSOR_BASELINES,
    baseline_choices=REGRESSOR_CHOICES,
    figures=VALUE_FIGURES,
    worst_bin=("rmse", "lower"),
)
# A regression of redshift (same baselines and figures), judged on dz with the photo-z metrics.
PHOTOZ = replace(
    REGRESSION,
    name="photoz",
    title="Photometric redshift",
    metrics=photoz.METRICS,
    headline=tuple(photoz.HEADLINE),
    bin_metrics=lambda classes: photoz.BIN_METRICS,
    worst_bin=("sigma_nmad", "lower"),
    findings=outlier_findings,
    residual=photoz.redshift_error,
    residual_label="Δz = (z_phot − z_spec) / (1 + z_spec)",
    outlier_bound=photoz.OUTLIER_DZ,
    check_truth=photoz.check_redshifts,
    cases=photoz.common_cases,
    notes=photoz.metric_notes,
)
# A photo-z whose network predicts a PDF per galaxy (astromlp.nn.MLPDensity): judged on its median as photoz is.
PHOTOZ_PDF = replace(PHOTOZ, name="photoz-pdf", title="Photometric redshift PDFs", figures=PDF_FIGURES,
                     findings=pdf_findings)
# A binary classification (stars against galaxies), judged like any classification; its own name gives it
# its own `astromlp init` template, with a purity target.
STARGALAXY = replace(CLASSIFICATION, name="stargalaxy", title="Star/galaxy separation")
register(CLASSIFICATION, REGRESSION, PHOTOZ, PHOTOZ_PDF, STARGALAXY)
