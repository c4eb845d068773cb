"""The sweep page's figures: the validation metric against each swept value (small multiples), and the loss
curves of the top trials."""

from __future__ import annotations

import math

import numpy as np

from astromlp.reports.svg import BASELINE_COLOURS, MUTED, NETWORK_COLOUR, log_x, log_y, new_figure, report_style, to_svg

TOP_CURVES = 3
PANELS_PER_ROW = 3


def metric_by_value(comparison: dict) -> str | None:
    """One panel per swept entry: each trial's validation metric (with its interval) at its value."""
    swept = comparison["swept"]
    if not swept:
        return None
    rows = math.ceil(len(swept) / PANELS_PER_ROW)
    columns = min(len(swept), PANELS_PER_ROW)
    with report_style():
        figure, axes = new_figure(3.2 * columns, 2.6 * rows, nrows=rows, ncols=columns, squeeze=False)
        for k, axis in enumerate(axes.flat):
            if k < len(swept):
                _panel(axis, comparison, swept[k])
            else:
                axis.set_visible(False)
        return to_svg(figure, "metric_by_value")


def _panel(axis, comparison: dict, key: str) -> None:
    trials = comparison["trials"]
    values = [t["params"].get(key) for t in trials]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numeric:
        x = np.asarray(values, dtype=float)
    else:
        labels = list(dict.fromkeys(str(v) for v in values))
        x = np.asarray([labels.index(str(v)) for v in values], dtype=float)
        axis.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    y = np.asarray([_finite(t["validation"]["value"]) for t in trials])
    low, high = _bounds(trials, y)
    colours = [NETWORK_COLOUR if t["name"] == comparison["best"] else (MUTED if not t["not_worse"] else
               BASELINE_COLOURS[2]) for t in trials]
    axis.errorbar(x, y, yerr=[y - low, high - y], fmt="none", ecolor=MUTED, elinewidth=0.8)
    axis.scatter(x, y, c=colours, s=18, zorder=3)
    if numeric and _spans_decades(x):
        log_x(axis)
        axis.tick_params(axis="x", which="both", labelrotation=30)
    axis.set_xlabel(key)
    axis.set_ylabel(f"{comparison['metric']['label']} (validation)")


def _finite(value) -> float:
    return float(value) if value is not None and math.isfinite(value) else np.nan


def _bounds(trials: list[dict], y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each trial's interval, or its point where it has none."""
    intervals = [t["validation"]["interval"] for t in trials]
    low = np.asarray([i[0] if i else v for i, v in zip(intervals, y, strict=True)], dtype=float)
    high = np.asarray([i[1] if i else v for i, v in zip(intervals, y, strict=True)], dtype=float)
    return np.minimum(low, y), np.maximum(high, y)


def _spans_decades(x: np.ndarray) -> bool:
    """A log axis for positive values spanning a decade or more (log-uniform draws usually do)."""
    finite = x[np.isfinite(x)]
    return finite.size > 1 and bool(np.all(finite > 0)) and finite.max() / finite.min() >= 10


def top_loss_curves(comparison: dict) -> str | None:
    """Training (solid) and validation (dashed) loss of the chosen start of the top trials."""
    top = [t for t in comparison["trials"][:TOP_CURVES] if t.get("curves", {}).get("loss_curve")]
    if not top:
        return None
    with report_style():
        figure, axis = new_figure(7.5, 3.0)
        positive = True
        for k, trial in enumerate(top):
            colour = NETWORK_COLOUR if k == 0 else BASELINE_COLOURS[(k - 1) % len(BASELINE_COLOURS)]
            for name, style in (("loss_curve", "-"), ("validation_loss_curve", "--")):
                curve = np.asarray(trial["curves"].get(name) or [], dtype=float)
                if len(curve):
                    which = "training" if style == "-" else "validation"
                    axis.plot(np.arange(1, len(curve) + 1), curve, style, color=colour,
                              label=f"#{trial['rank']} {trial['name']}: {which}")
                    positive &= bool(np.all(curve[np.isfinite(curve)] > 0))
        if positive:
            log_y(axis)
        axis.set_xlabel("epoch")
        axis.set_ylabel("loss")
        axis.legend(loc="upper right")
        return to_svg(figure, "top_loss_curves")
