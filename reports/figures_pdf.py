"""Figures of the redshift-PDF section, drawn from the figure data judge-time stored in `inputs.pdfs`: PIT
histogram and QQ against uniform, stacked n(z) against the true one, coverage against nominal, and a gallery
of the network's PDFs with the true redshift marked (with the spread between an ensemble's starts)."""

from __future__ import annotations

import numpy as np

from astromlp.reports.svg import MUTED, model_colours, new_figure, to_svg


def _from_stored(draw):
    """A figure builder (inputs, metrics) from ``draw(inputs, data)``; None when the inputs hold no PDF data."""
    def build(inputs, metrics) -> str | None:
        data = (inputs.pdfs or {}).get("figures")
        return draw(inputs, data) if data else None
    build.__doc__ = draw.__doc__
    return build


@_from_stored
def pit_histogram(inputs, data: dict) -> str:
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


def _against_diagonal(data: dict, x, y_key: str, labels: tuple[str, str], key: str, **style) -> str:
    """Every model's ``y_key`` against ``x`` with the diagonal y = x, which perfect calibration follows."""
    figure, ax = new_figure(3.6, 3.4)
    colours = model_colours(list(data["models"]))
    for name, model in data["models"].items():
        ax.plot(x, model[y_key], color=colours[name], lw=1.2, label=name, **style)
    ax.plot([0, 1], [0, 1], color="#222222", lw=0.8, ls="--")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.legend()
    return to_svg(figure, key)


@_from_stored
def pit_qq(inputs, data: dict) -> str:
    levels = np.linspace(0, 1, len(next(iter(data["models"].values()))["pit_quantiles"]))
    return _against_diagonal(data, levels, "pit_quantiles", ("uniform quantile", "PIT quantile"), "pdf_pit_qq")


@_from_stored
def stacked_nz(inputs, data: dict) -> str:
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


@_from_stored
def coverage(inputs, data: dict) -> str:
    return _against_diagonal(data, data["nominal"], "coverage", ("nominal coverage of the central interval",
                             "fraction of true redshifts inside"), "pdf_coverage", marker="o", ms=3)


@_from_stored
def gallery(inputs, data: dict) -> str:
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
