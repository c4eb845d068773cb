"""Matplotlib figures as inline SVG text: no pyplot state, text kept as text, byte-identical reruns."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter

NETWORK_COLOUR = "#1f5fa8"
BASELINE_COLOURS = ("#d95f02", "#7570b3", "#1b9e77", "#e7298a", "#66a61e", "#a6761d")
MUTED = "#9a9a9a"

STYLE = {
    "svg.fonttype": "none",  # text stays searchable, selectable and escaped as XML text
    "text.parse_math": False,  # a catalog label containing '$' must be shown as typed, never parsed
    "font.family": "sans-serif",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e4e4",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8,
    "image.cmap": "viridis",
}


@contextmanager
def report_style() -> Iterator[None]:
    """Every figure of a report is drawn inside this style."""
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(width: float, height: float, **subplots) -> tuple[Figure, object]:
    """A pyplot-free figure of width x height inches with a constrained layout and its axes."""
    figure = Figure(figsize=(width, height), layout="constrained")
    return figure, figure.subplots(**subplots)


def model_colours(models: list[str]) -> dict[str, str]:
    """The network in blue, each baseline in its own colour, in the order given (network first)."""
    return {
        name: NETWORK_COLOUR if k == 0 else BASELINE_COLOURS[(k - 1) % len(BASELINE_COLOURS)]
        for k, name in enumerate(models)
    }


def log_y(axes) -> None:
    """A log y scale with plain-text tick labels (the default ones are mathtext, which STYLE turns off)."""
    axes.set_yscale("log")
    _plain_log_labels(axes.yaxis)


def log_x(axes) -> None:
    """A log x scale with plain-text tick labels."""
    axes.set_xscale("log")
    _plain_log_labels(axes.xaxis)


def _plain_log_labels(axis) -> None:
    axis.set_major_formatter(LogFormatter())
    axis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))


def to_svg(figure: Figure, key: str) -> str:
    """The figure as an <svg> element; `key` salts its internal ids so figures on one page never clash."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": key}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[re.search(r"<svg\b", text).start() :]
