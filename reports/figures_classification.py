"""Classification figures: confusion matrices, ROC and precision-recall curves, reliability diagram."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from astromlp.reports.svg import model_colours, new_figure, to_svg

MAX_CURVE_POINTS = 400
PANEL_COLUMNS = 3


def confusion_matrices(metrics: dict) -> str:
    """One row-normalised confusion matrix per model, each cell annotated with its share and count."""
    classes, models = metrics["classes"], metrics["models"]
    side = max(3.0, 0.5 * len(classes) + 1.4)
    figure, axes = new_figure(side * len(models), side + 0.3, ncols=len(models), squeeze=False)
    for ax, model in zip(axes[0], models, strict=True):
        confusion = metrics["results"][model]["confusion"]
        shares = np.array(confusion["normalised"], dtype=float)
        edges = np.arange(len(classes) + 1) - 0.5  # pcolormesh, not imshow: vector cells, no embedded PNG
        image = ax.pcolormesh(edges, edges, shares, cmap="Blues", vmin=0.0, vmax=1.0)
        ax.set(xlim=(edges[0], edges[-1]), ylim=(edges[-1], edges[0]), aspect="equal")
        _annotate(ax, shares, np.array(confusion["counts"]), small=len(classes) > 6)
        ax.set_xticks(range(len(classes)), classes, rotation=30 if len(classes) > 3 else 0, ha="right")
        ax.set_yticks(range(len(classes)), classes)
        ax.set(xlabel="predicted class", ylabel="true class", title=model)
        ax.grid(False)
    colorbar = figure.colorbar(image, ax=axes[0].tolist(), shrink=0.8, label="share of the true class")
    colorbar.solids.set_rasterized(False)  # vector, so the page embeds no PNG
    colorbar.solids.set_edgecolor("face")  # no hairline seams between the vector cells
    return to_svg(figure, "confusion_matrices")


def _annotate(ax, shares: np.ndarray, counts: np.ndarray, small: bool) -> None:
    for (row, column), share in np.ndenumerate(shares):
        text = f"{share:.0%}" if small else f"{share:.1%}\n{counts[row, column]}"
        ax.text(
            column,
            row,
            text,
            ha="center",
            va="center",
            fontsize=7 if small else 8,
            color="white" if share > 0.55 else "#222222",
        )


def roc_curves(inputs) -> str | None:
    """One-vs-rest ROC curve of each class (one panel per class), every model with probabilities."""
    return _class_curves(inputs, "roc_curves", _roc_points, "false positive rate", "true positive rate")


def precision_recall_curves(inputs) -> str | None:
    """One-vs-rest precision-recall curve (purity against completeness) of each class and model."""
    return _class_curves(
        inputs, "precision_recall_curves", _pr_points, "completeness (recall)", "purity (precision)"
    )


def _roc_points(is_class: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    false_positive, true_positive, _ = roc_curve(is_class, score)
    return false_positive, true_positive


def _pr_points(is_class: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    precision, recall, _ = precision_recall_curve(is_class, score)
    return recall, precision


def _class_curves(inputs, key: str, points, xlabel: str, ylabel: str) -> str | None:
    models = [name for name in inputs.model_names if name in inputs.probabilities]
    shown = [
        k for k, label in enumerate(inputs.classes) if 0 < np.sum(inputs.y_true == label) < len(inputs.y_true)
    ]
    if not models or not shown:
        return None
    shown = shown[1:] if len(inputs.classes) == 2 else shown  # binary: one class's curve says it all
    columns = min(len(shown), PANEL_COLUMNS)
    rows = -(-len(shown) // columns)
    figure, axes = new_figure(3.3 * columns, 3.0 * rows, nrows=rows, ncols=columns, squeeze=False)
    colours = model_colours(inputs.model_names)
    for ax, k in zip(axes.flat, shown, strict=False):
        is_class = inputs.y_true == inputs.classes[k]
        for name in models:
            x, y = thin_points(*points(is_class, inputs.probabilities[name][:, k]))
            ax.plot(
                x,
                y,
                color=colours[name],
                lw=1.8 if name == inputs.network_name else 1.1,
                label=name,
                drawstyle="steps-post" if key == "precision_recall_curves" else "default",
            )
        ax.set(title=inputs.classes[k], xlabel=xlabel, ylabel=ylabel, xlim=(0, 1), ylim=(0, 1.02))
    for ax in axes.flat[len(shown) :]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="lower right" if key == "roc_curves" else "lower left")
    return to_svg(figure, key)


def thin_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """At most MAX_CURVE_POINTS evenly spaced points of a curve, ends kept, so the SVG stays small."""
    if len(x) <= MAX_CURVE_POINTS:
        return x, y
    keep = np.unique(np.linspace(0, len(x) - 1, MAX_CURVE_POINTS).round().astype(int))
    return x[keep], y[keep]


def reliability_diagram(metrics: dict) -> str | None:
    """Accuracy against top-label confidence per bin for each model, with the network's confidence counts."""
    models = [name for name in metrics["models"] if "calibration" in metrics["results"][name]]
    if not models:
        return None
    figure, (top, bottom) = new_figure(5.2, 4.6, nrows=2, sharex=True, height_ratios=[3, 1])
    colours = model_colours(metrics["models"])
    top.plot([0, 1], [0, 1], color="#555555", lw=0.8, ls=":", label="perfectly calibrated")
    for name in models:
        bins = metrics["results"][name]["calibration"]
        confidence = np.array(bins["confidence"], dtype=float)
        accuracy = np.array(bins["accuracy"], dtype=float)
        ece = metrics["results"][name]["scalars"]["ece"]
        top.plot(confidence, accuracy, "o-", color=colours[name], ms=3.5, label=f"{name} (ECE {ece:.3f})")
    network_bins = metrics["results"][models[0]]["calibration"]
    edges = np.array(network_bins["edges"], dtype=float)
    bottom.bar(
        edges[:-1],
        network_bins["count"],
        width=np.diff(edges),
        align="edge",
        color=colours[models[0]],
        alpha=0.7,
    )
    top.set(ylabel="accuracy in bin", xlim=(0, 1), ylim=(0, 1.02))
    top.legend(loc="upper left")
    bottom.set(xlabel="top-label confidence", ylabel=f"count ({models[0]})")
    return to_svg(figure, "reliability_diagram")
