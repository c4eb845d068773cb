"""Judging a model: baselines on the same split, metrics with bootstrap intervals, and the HTML report.

Works from plain arrays and dicts (EvaluationInputs), so it needs nothing from the estimators or the pipeline.
"""

from astromlp.reports.baselines import BaselinePrediction, fit_baselines
from astromlp.reports.html import render_report, write_report
from astromlp.reports.inputs import TASKS, EvaluationInputs
from astromlp.reports.metrics import compute_metrics
from astromlp.reports.storage import load_inputs, save_inputs

__all__ = [
    "TASKS",
    "BaselinePrediction",
    "EvaluationInputs",
    "compute_metrics",
    "fit_baselines",
    "load_inputs",
    "render_report",
    "save_inputs",
    "write_report",
]
