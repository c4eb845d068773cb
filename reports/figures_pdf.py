"""Figures of the redshift-PDF section, drawn from the figure data judge-time stored in `inputs.pdfs`: PIT
histogram and QQ against uniform, stacked n(z) against the true one, coverage against nominal, and a gallery
of the network's PDFs with the true redshift marked (with the spread between an ensemble's starts)."""

from __future__ import annotations

import numpy as np

from astromlp.reports.svg import MUTED, model_colours, new_figure, to_svg


def _data(inputs) -> dict | None:
    return (inputs.pdfs or {}).get("figures")


def pit_histogram(inputs, metrics) -> str | None:
    data = _data(inputs)
    if not data:
        return None
    figure, ax = new_figure(5.2, 3.2)
    colours = model_colours(list(data["models"]))
    for name, model in data["models"].items():
        counts = np.asarray(model["pit_counts"], float)
        density = counts / counts.sum() * len(counts)
        ax.stairs(density, np.linspace(0, 1, len(counts) + 1), color=colours[name], lw=1.2, label=name)
    ax.axhline(1.0, color="#222222", lw=0.8, ls="--", label="uniform")
    ax.set_xlabel("PIT")
    ax.set_ylabel("density")
    ax.legend()
    return to_svg(figure, "pdf_pit_histogram")


def pit_qq(inputs, metrics) -> str | None:
    data = _data(inputs)
    if not data:
        return None
    figure, ax = new_figure(3.6, 3.4)
    colours = model_colours(list(data["models"]))
    levels = np.linspace(0, 1, len(next(iter(data["models"].values()))["pit_quantiles"]))
    for name, model in data["models"].items():
        ax.plot(levels, model["pit_quantiles"], color=colours[name], lw=1.2, label=name)
    ax.plot([0, 1], [0, 1], color="#222222", lw=0.8, ls="--")
    ax.set_xlabel("uniform quantile")
    ax.set_ylabel("PIT quantile")
    ax.legend()
    return to_svg(figure, "pdf_pit_qq")


def stacked_nz(inputs, metrics) -> str | None:
    data = _data(inputs)
    if not data:
        return None
    edges = np.asarray(data["edges"])
    widths = np.diff(edges)
    figure, ax = new_figure(5.2, 3.2)
    ax.stairs(np.asarray(data["true_nz"]) / widths, edges, fill=True, color=MUTED, alpha=0.5, label="true n(z)")
    colours = model_colours(list(data["models"]))
    for name, model in data["models"].items():
        ax.stairs(np.asarray(model["nz"]) / widths, edges, color=colours[name], lw=1.1, label=name)
    ax.set_xlabel(f"{inputs.target}")
    ax.set_ylabel("n(z)")
    ax.legend()
    return to_svg(figure, "pdf_stacked_nz")


def coverage(inputs, metrics) -> str | None:
    data = _data(inputs)
    if not data:
        return None
    figure, ax = new_figure(3.6, 3.4)
    colours = model_colours(list(data["models"]))
    for name, model in data["models"].items():
        ax.plot(data["nominal"], model["coverage"], marker="o", ms=3, color=colours[name], lw=1.1, label=name)
    ax.plot([0, 1], [0, 1], color="#222222", lw=0.8, ls="--")
    ax.set_xlabel("nominal coverage of the central interval")
    ax.set_ylabel("fraction of true redshifts inside")
    ax.legend()
    return to_svg(figure, "pdf_coverage")


def gallery(inputs, metrics) -> str | None:
    data = _data(inputs)
    if not data:
        return None
    edges = np.asarray(data["edges"])
    widths = np.diff(edges)
    figure, axes = new_figure(3.3 * len(data["gallery"]), 2.8, ncols=len(data["gallery"]), squeeze=False)
    for ax, case in zip(axes.flat, data["gallery"], strict=True):
        density = np.asarray(case["prob"]) / widths
        ax.stairs(density, edges, color=model_colours([inputs.network_name])[inputs.network_name], lw=1.1)
        if case.get("spread") is not None:
            spread = np.asarray(case["spread"]) / widths
            ax.stairs(density + spread, edges, baseline=density - spread, fill=True, color=MUTED, alpha=0.4)
        ax.axvline(case["z_true"], color="#c0392b", lw=1.0, ls="--")
        ax.set_title(f"{case['label']}: CRPS {case['crps']:.3g}")
        ax.set_xlabel(f"{inputs.target}")
    return to_svg(figure, "pdf_gallery")
