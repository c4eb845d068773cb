"""The figures a report can show, in which section, with which caption: tables of rows that each task kind
(reports/builtin_kinds.py) picks from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from astromlp.reports import figures_calibration as calibration
from astromlp.reports import figures_classification as classification
from astromlp.reports import figures_pdf as pdf
from astromlp.reports import figures_regression as regression
from astromlp.reports.figures_data import label_separations
from astromlp.reports.figures_lr import range_test_svg
from astromlp.reports.figures_training import loss_curves
from astromlp.reports.kinds import report_kind
from astromlp.reports.svg import report_style


@dataclass(frozen=True)
class FigureSpec:
    """A figure: its id, section, caption and builder(inputs, metrics) -> SVG text, or (SVG text, a note the
    caption adds, e.g. on clipped axes), or None when not drawable."""

    key: str
    section: str
    caption: str
    build: Callable[..., str | None]


def _residuals_against_target(inputs, metrics) -> str | None:
    return regression.residuals_against(inputs, inputs.y_true, f"true {inputs.target}", "residuals_target")


def _residuals_against_magnitude(inputs, metrics) -> str | None:
    if inputs.magnitude is None:
        return None
    return regression.residuals_against(
        inputs, inputs.magnitude, inputs.magnitude_name, "residuals_magnitude"
    )


TRAINING = FigureSpec(
    "loss_curves",
    "training",
    "Loss per epoch of every start (solid: training, dashed: validation); the chosen start in colour, "
    "the others grey.",
    lambda inputs, metrics: loss_curves(inputs.training),
)
LR_FIND = FigureSpec(
    "lr_find",
    "training",
    "Learning-rate range test ([report] lr_find; Smith 2017): training loss per minibatch as the rate grows "
    "exponentially, smoothed in blue; dashed: the suggested rate, where the loss falls fastest before its minimum.",
    lambda inputs, metrics: range_test_svg(inputs.training["lr_find"]) if inputs.training.get("lr_find") else None,
)
LABEL_SEPARATIONS = FigureSpec(
    "label_separations",
    "data",
    "Separation of each [data] labels entry from the object it matched, up to the match radius.",
    lambda inputs, metrics: label_separations(inputs.data_summary.get("labels")),
)
VALUE_FIGURES = (
    TRAINING,
    LR_FIND,
    FigureSpec(
        "predicted_vs_true",
        "performance",
        "Predicted against true, density on a log scale; black: y = x; red dashed (photo-z): |Δz| = 0.15.",
        lambda inputs, metrics: regression.predicted_vs_true(inputs),
    ),
    FigureSpec(
        "residuals_target",
        "performance",
        "Residuals against the true value: the network's density (grey) and each model's running median.",
        _residuals_against_target,
    ),
    FigureSpec(
        "residuals_magnitude",
        "performance",
        "Residuals against magnitude: the network's density (grey) and each model's running median.",
        _residuals_against_magnitude,
    ),
    LABEL_SEPARATIONS,
)
CLASSIFICATION_FIGURES = (
    TRAINING,
    LR_FIND,
    FigureSpec(
        "confusion_matrices",
        "performance",
        "Confusion matrices, each row divided by its true class's size: "
        "the diagonal is the completeness.",
        lambda inputs, metrics: classification.confusion_matrices(metrics),
    ),
    FigureSpec(
        "roc_curves",
        "performance",
        "One-vs-rest ROC curves per class.",
        lambda inputs, metrics: classification.roc_curves(inputs),
    ),
    FigureSpec(
        "precision_recall_curves",
        "performance",
        "One-vs-rest purity against completeness per class.",
        lambda inputs, metrics: classification.precision_recall_curves(inputs),
    ),
    FigureSpec(
        "reliability_diagram",
        "performance",
        "Reliability: accuracy against top-label confidence "
        "(15 bins); below, how many test objects fall in each bin.",
        lambda inputs, metrics: classification.reliability_diagram(metrics),
    ),
    FigureSpec(
        "class_reliability",
        "performance",
        "Reliability per class (one-vs-rest): the observed frequency of the class against its predicted "
        "probability, 15 bins; dotted: perfectly calibrated; below, the network's objects per bin (log scale).",
        lambda inputs, metrics: calibration.class_reliability(metrics),
    ),
    FigureSpec(
        "operating_points",
        "performance",
        "Test purity against completeness for each class with a [report] target; dots: each model's threshold "
        "chosen on the validation split; dotted: the target.",
        calibration.operating_point_curves,
    ),
    LABEL_SEPARATIONS,
)

PDF_FIGURES = (
    *VALUE_FIGURES,
    FigureSpec("pdf_pit_histogram", "performance", "PDF calibration: the PIT histogram of every model against "
               "uniform (dashed); a U shape means over-confident PDFs, a hump under-confident ones.",
               pdf.pit_histogram),
    FigureSpec("pdf_pit_qq", "performance", "PIT quantiles against uniform ones; the diagonal is perfect "
               "calibration.", pdf.pit_qq),
    FigureSpec("pdf_stacked_nz", "performance", "The test split's n(z): stacked PDFs of every model against "
               "the histogram of the true redshifts (grey).", pdf.stacked_nz),
    FigureSpec("pdf_coverage", "performance", "Coverage: the fraction of true redshifts inside each central "
               "interval against its nominal probability; the diagonal is perfect.", pdf.coverage),
    FigureSpec("pdf_gallery", "performance", "The network's PDFs with the lowest, median and highest CRPS; red "
               "dashed: the true redshift; grey band (ensembles): ±1 standard deviation between starts.",
               pdf.gallery),
)


def build_figures(inputs, metrics: dict) -> list[dict]:
    """Every drawable figure of the task as {key, section, caption, svg}, in display order."""
    with report_style():
        drawn = [(spec, spec.build(inputs, metrics)) for spec in report_kind(inputs.task).figures]
    drawn = [(spec, *(svg if isinstance(svg, tuple) else (svg, ""))) for spec, svg in drawn if svg is not None]
    return [
        {"key": spec.key, "section": spec.section, "caption": f"{spec.caption} {note}".strip(), "svg": svg}
        for spec, svg, note in drawn
    ]
