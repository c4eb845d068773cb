"""Regression and photo-z figures: predicted against true, residuals against target and magnitude."""

from __future__ import annotations

import numpy as np

from astromlp.reports.photoz import OUTLIER_DZ
from astromlp.reports.svg import model_colours, new_figure, to_svg

PANEL_COLUMNS = 3
RUNNING_BINS = 15
BOUND_STYLE = {"color": "#c0392b", "lw": 0.9, "ls": "--"}


def residuals(inputs, model: str) -> np.ndarray:
    """dz = (z_phot - z_spec) / (1 + z_spec) for photo-z, predicted - true otherwise."""
    predicted = inputs.predictions[model]
    if inputs.task == "photoz":
        return (predicted - inputs.y_true) / (1.0 + inputs.y_true)
    return predicted - inputs.y_true


def residual_label(inputs) -> str:
    return "Δz = (z_phot − z_spec) / (1 + z_spec)" if inputs.task == "photoz" else "predicted − true"


def clipping_note(outside: dict[str, int], n_rows: int, spans: dict[str, np.ndarray]) -> str:
    """What the caption says about the clipped axes: the full range of each plotted quantity and how many
    points of each model fall beyond the axes."""
    ranges = "; ".join(f"{label} span [{np.nanmin(v):.3g}, {np.nanmax(v):.3g}]" for label, v in spans.items())
    counts = ", ".join(f"{count:,} of {n_rows:,} for {name}" for name, count in outside.items())
    return (f"Axes are cut near the 0.5 and 99.5 percentiles so that a few wild values do not squash the plot: "
            f"{ranges}. Points beyond the axes, not drawn: {counts}.")


def _outside(x: np.ndarray, y: np.ndarray, xlim, ylim) -> int:
    inside = (x >= xlim[0]) & (x <= xlim[1]) & (y >= ylim[0]) & (y <= ylim[1])
    return int(np.sum(~inside))


def predicted_vs_true(inputs) -> tuple[str, str]:
    """A log-density of predicted against true per model, with y = x and, for photo-z, |Δz| = 0.15; and the
    caption's note on the clipped axes."""
    models = inputs.model_names
    columns = min(len(models), PANEL_COLUMNS)
    rows = -(-len(models) // columns)
    figure, axes = new_figure(3.4 * columns, 3.3 * rows, nrows=rows, ncols=columns, squeeze=False)
    low, high = _limits(np.concatenate([inputs.y_true, *inputs.predictions.values()]))
    line = np.linspace(low, high, 100)
    for ax, name in zip(axes.flat, models, strict=False):
        ax.hexbin(
            inputs.y_true,
            inputs.predictions[name],
            gridsize=45,
            bins="log",
            mincnt=1,
            extent=(low, high, low, high),
            cmap="viridis",
            linewidths=0.2,
        )
        ax.plot(line, line, color="#222222", lw=0.8)
        if inputs.task == "photoz":
            for sign in (1, -1):
                ax.plot(line, line + sign * OUTLIER_DZ * (1 + line), **BOUND_STYLE)
        ax.set(
            xlim=(low, high),
            ylim=(low, high),
            title=name,
            xlabel=f"true {inputs.target}",
            ylabel=f"predicted {inputs.target}",
            aspect="equal",
        )
        ax.grid(False)
    for ax in axes.flat[len(models) :]:
        ax.set_visible(False)
    outside = {name: _outside(inputs.y_true, inputs.predictions[name], (low, high), (low, high)) for name in models}
    spans = {"true values": inputs.y_true, "predicted values": np.concatenate(list(inputs.predictions.values()))}
    note = clipping_note(outside, len(inputs.y_true), spans)
    return to_svg(figure, "predicted_vs_true"), note


def residuals_against(inputs, against: np.ndarray, xlabel: str, key: str) -> tuple[str, str] | None:
    """The network's residual density against `against`, with every model's running median residual; and
    the caption's note on the clipped axes."""
    finite = np.isfinite(against)
    if finite.sum() < 2:
        return None
    x = against[finite]
    figure, axes = new_figure(7.5, 3.4)
    network = residuals(inputs, inputs.network_name)[finite]
    xlim = _limits(x)
    ylim = _limits(network, symmetric=True, at_least=1.2 * OUTLIER_DZ if inputs.task == "photoz" else 0.0)
    axes.hexbin(
        x,
        network,
        gridsize=(60, 30),
        bins="log",
        mincnt=1,
        extent=(*xlim, *ylim),
        cmap="Greys",
        linewidths=0.2,
    )
    colours = model_colours(inputs.model_names)
    for name in inputs.model_names:
        centres, median = _running_median(x, residuals(inputs, name)[finite])
        axes.plot(
            centres,
            median,
            "o-",
            ms=3,
            color=colours[name],
            lw=1.8 if name == inputs.network_name else 1.1,
            label=f"{name}: running median",
        )
    axes.axhline(0.0, color="#222222", lw=0.8)
    if inputs.task == "photoz":
        for sign in (1, -1):
            axes.axhline(sign * OUTLIER_DZ, **BOUND_STYLE, label="|Δz| = 0.15" if sign > 0 else None)
    axes.set(
        xlim=xlim,
        ylim=ylim,
        xlabel=xlabel,
        ylabel=residual_label(inputs),
        title=f"density: {inputs.network_name}",
    )
    axes.legend(loc="best")
    axes.grid(False)
    outside = {inputs.network_name: _outside(x, network, xlim, ylim)}
    note = clipping_note(outside, len(x), {xlabel: x, f"{inputs.network_name}'s residuals": network})
    return to_svg(figure, key), note


def _running_median(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.unique(np.quantile(x, np.linspace(0, 1, RUNNING_BINS + 1)))
    which = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, max(len(edges) - 2, 0))
    filled = [b for b in range(max(len(edges) - 1, 1)) if np.any(which == b)]
    return (
        np.array([np.median(x[which == b]) for b in filled]),
        np.array([np.median(y[which == b]) for b in filled]),
    )


def _limits(values: np.ndarray, symmetric: bool = False, at_least: float = 0.0) -> tuple[float, float]:
    """The 0.5-99.5 percentile range padded by 5 %, so a few wild values do not squash the plot."""
    finite = values[np.isfinite(values)]
    low, high = np.percentile(finite, [0.5, 99.5])
    if symmetric:
        high = max(abs(low), abs(high), at_least)
        low = -high
    pad = 0.05 * (high - low) if high > low else 0.5
    return float(low - pad), float(high + pad)
