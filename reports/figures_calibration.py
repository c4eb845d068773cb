"""Calibration and operating-point figures: per-class reliability diagrams with counts, and purity-completeness
curves with each model's chosen operating point marked."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import precision_recall_curve

from astromlp.reports.figures_classification import PANEL_COLUMNS, thin_points
from astromlp.reports.svg import model_colours, new_figure, to_svg


def class_reliability(metrics: dict) -> str | None:
    """Per class: observed frequency against predicted probability for each model (top), and how many test
    objects the network puts in each probability bin (bottom, log scale)."""
    table = (metrics.get("sections") or {}).get("calibration")
    if not table:
        return None
    classes, models = metrics["classes"], table["models"]
    colours = model_colours(metrics["models"])
    figure, axes = new_figure(3.2 * len(classes), 4.4, nrows=2, ncols=len(classes), squeeze=False,
                              height_ratios=[3, 1], sharex=True)
    for k, label in enumerate(classes):
        top, bottom = axes[0][k], axes[1][k]
        top.plot([0, 1], [0, 1], color="#555555", lw=0.8, ls=":")
        for name in models:
            bins = table["reliability"][name][k]
            top.plot(np.array(bins["predicted"], float), np.array(bins["observed"], float), "o-", ms=3,
                     color=colours[name], lw=1.8 if name == metrics["network"] else 1.0, label=name)
        network_bins = table["reliability"][models[0]][k]
        edges = np.array(network_bins["edges"], float)
        bottom.bar(edges[:-1], np.maximum(network_bins["count"], 0), width=np.diff(edges), align="edge",
                   color=colours[models[0]], alpha=0.7, log=True)
        top.set(title=label, xlim=(0, 1), ylim=(0, 1.02), ylabel="observed frequency" if k == 0 else None)
        bottom.set(xlabel=f"predicted P({label})", ylabel=f"count ({models[0]})" if k == 0 else None)
    axes[0][0].legend(loc="upper left")
    return to_svg(figure, "class_reliability")


def operating_point_curves(inputs, metrics: dict) -> str | None:
    """Test purity against completeness for each class with a target, every model's chosen point marked."""
    points = (metrics.get("sections") or {}).get("operating_points")
    if not points:
        return None
    colours = model_colours(inputs.model_names)
    rows = points["rows"]
    columns = min(len(rows), PANEL_COLUMNS)
    figure, axes = new_figure(3.4 * columns, 3.1 * -(-len(rows) // columns), nrows=-(-len(rows) // columns),
                              ncols=columns, squeeze=False)
    for ax, row in zip(axes.flat, rows, strict=False):
        k = inputs.classes.index(row["class"])
        is_class = inputs.y_true == row["class"]
        for name, cell in zip(points["models"], row["cells"], strict=True):
            purity, completeness, _ = precision_recall_curve(is_class, inputs.probabilities[name][:, k])
            x, y = thin_points(completeness, purity)
            ax.plot(x, y, color=colours[name], lw=1.1, drawstyle="steps-post", label=name)
            if cell["threshold"] is not None:
                ax.plot(cell["completeness"]["value"], cell["purity"]["value"], "o", color=colours[name], ms=6,
                        markeredgecolor="black")
        ax.axhline(row["value"] if row["target"] == "purity" else np.nan, color="#555555", lw=0.8, ls=":")
        ax.axvline(row["value"] if row["target"] == "completeness" else np.nan, color="#555555", lw=0.8, ls=":")
        ax.set(title=f"{row['class']} ({row['target']} ≥ {row['value']:g})", xlabel="completeness",
               ylabel="purity", xlim=(0, 1), ylim=(0, 1.02))
    for ax in axes.flat[len(rows):]:
        ax.set_visible(False)
    axes.flat[0].legend(loc="lower left")
    return to_svg(figure, "operating_points")
