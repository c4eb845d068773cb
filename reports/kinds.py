"""A task kind as the report sees it: one declared object per kind, looked up by name.

This module is a leaf (it imports no other report module), so every report module can look a kind up while
`builtin_kinds` composes the kinds from their parts (metrics, baselines, figures, findings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from astromlp.errors import AstromlpError


def _no_findings(result: dict, metrics: dict) -> list[str]:
    return []


def _accept_truth(y_true: np.ndarray, target: str) -> None:
    return None


def _no_notes(cases: dict, reference: str) -> dict[str, str]:
    return {}


def difference(predicted: np.ndarray, true: np.ndarray) -> np.ndarray:
    """The plain residual, predicted - true."""
    return predicted - true


@dataclass(frozen=True)
class ReportKind:
    """Everything a report of one task kind needs, so a new kind is one new entry in `builtin_kinds`.

    labelled: the truth and predictions are class labels (with probabilities), not numbers.
    metrics / headline: every metric of the kind and the keys of those the summary leads with.
    bin_metrics(classes): the metrics of the metric-by-bin tables. details(case, classes): extra per-model
    results (per-class table, confusion), or None. baselines: name -> fit(X_train, y_train, X_test, seed), the
    default ones; baseline_choices: [report] baselines name -> (name, fit), every one the kind offers.
    figures: the FigureSpecs in display order. worst_bin: (bin metric, better) the findings name the worst bin
    of. findings(result, metrics): kind-specific sentences. residual, residual_label and outlier_bound: how
    the value figures measure an error, and the bound on its absolute value they draw (None: no bound).
    check_truth(y_true, target): raises AstromlpError for truth the kind's metrics cannot take.
    cases(y_true, predictions, reference): the value cases when the models share a threshold (photo-z: the
    network's LSST-style outlier bound), else None for one case per model. notes(cases, reference): sentences
    (metric key -> text) the report prints under its tables about such shared thresholds.
    sections(inputs, cases, n_bootstrap, random_state): the kind's own result tables (name -> dict or None),
    stored under metrics["sections"] (classification: calibration, operating points).
    """

    name: str
    title: str
    labelled: bool
    metrics: Mapping[str, object]
    headline: tuple[str, ...]
    bin_metrics: Callable[[list[str] | None], Mapping[str, object]]
    baselines: Mapping[str, Callable]
    figures: tuple
    worst_bin: tuple[str, str]
    details: Callable | None = None
    findings: Callable[[dict, dict], list[str]] = _no_findings
    residual: Callable[[np.ndarray, np.ndarray], np.ndarray] = difference
    residual_label: str = "predicted − true"
    outlier_bound: float | None = None
    check_truth: Callable[[np.ndarray, str], None] = _accept_truth
    cases: Callable[[np.ndarray, dict, str], dict] | None = None
    notes: Callable[[dict, str], dict[str, str]] = _no_notes
    sections: Callable | None = None
    baseline_choices: Mapping[str, tuple[str, Callable]] = field(default_factory=dict)

    @property
    def baseline_names(self) -> tuple[str, ...]:
        """What [report] baselines may name for this kind."""
        return tuple(self.baseline_choices)


REPORT_KINDS: dict[str, ReportKind] = {}
"""name -> ReportKind; filled by `register` (astromlp.reports registers the built-in kinds on import)."""


def register(*kinds: ReportKind) -> None:
    """Make `kinds` known to every report function; a name is registered once."""
    for kind in kinds:
        if kind.name in REPORT_KINDS:
            raise ValueError(f"task kind {kind.name!r} is already registered")
        REPORT_KINDS[kind.name] = kind


def report_kind(name: str) -> ReportKind:
    """The registered kind called `name`; AstromlpError naming the known kinds otherwise."""
    try:
        return REPORT_KINDS[name]
    except KeyError:
        raise AstromlpError(f"task {name!r} is not one of {', '.join(REPORT_KINDS)}: choose one of those") from None
