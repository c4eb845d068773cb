"""Judging a model: baselines on the same split, metrics with bootstrap intervals, and the HTML report.

Works from plain arrays and dicts (EvaluationInputs), so it needs nothing from the estimators or the pipeline.
"""

from astromlp.reports import builtin_kinds  # noqa: F401  (registers the built-in task kinds)
from astromlp.reports.baselines import BaselinePrediction, fit_baselines
from astromlp.reports.html import render_report, write_report
from astromlp.reports.inputs import EvaluationInputs
from astromlp.reports.kinds import REPORT_KINDS, ReportKind, register, report_kind
from astromlp.reports.metrics import compute_metrics
from astromlp.reports.storage import load_inputs, save_inputs

__all__ = [
    "REPORT_KINDS",
    "BaselinePrediction",
    "EvaluationInputs",
    "ReportKind",
    "compute_metrics",
    "fit_baselines",
    "load_inputs",
    "register",
    "render_report",
    "report_kind",
    "save_inputs",
    "write_report",
]
