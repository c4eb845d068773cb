"""The learning-rate range test as a page: loss against rate (log axis), the suggested rate marked; an inline SVG
in a self-contained HTML file, escaped like the report."""

from __future__ import annotations

import html

import numpy as np

from astromlp.files import write_text
from astromlp.reports.svg import MUTED, NETWORK_COLOUR, log_x, new_figure, report_style, to_svg

SUGGESTION_COLOUR = "#d95f02"


def range_test_svg(found: dict) -> str:
    """Raw (grey) and smoothed (blue) loss per rate, and the suggested rate as a vertical line."""
    rates, raw, smoothed = (np.asarray(found[k], dtype=float) for k in ("rates", "losses", "smoothed"))
    with report_style():
        figure, axes = new_figure(6.5, 3.2)
        axes.plot(rates, raw, color=MUTED, lw=0.8, label="loss per minibatch")
        axes.plot(rates, smoothed, color=NETWORK_COLOUR, lw=2.0, label="smoothed")
        axes.axvline(found["suggestion"], color=SUGGESTION_COLOUR, ls="--",
                     label=f"suggested {found['suggestion']:.2g}")
        log_x(axes)
        finite = smoothed[np.isfinite(smoothed)]
        if finite.size:
            # The divergence at the largest rates would flatten the useful part: the axis stops at four times
            # the starting loss, and the caption says where the loss leaves it.
            top = min(float(finite.max()), 4.0 * max(float(finite[0]), float(finite.min())))
            axes.set_ylim(top=top * 1.1, bottom=min(0.0, float(finite.min())))
            if finite.max() > top * 1.1:
                axes.set_title(f"the loss leaves the axis above {top * 1.1:.3g} as it diverges",
                               fontsize=8, color=MUTED)
        axes.set_xlabel("learning rate")
        axes.set_ylabel("training loss")
        axes.legend(loc="upper left")
        return to_svg(figure, "lr_find")


def write_range_test(path, found: dict, title: str) -> None:
    """A self-contained HTML page: the figure, the suggestion and what it means."""
    page = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
            f"</head><body>\n<h1>{html.escape(title)}</h1>\n{range_test_svg(found)}\n"
            f"<p>Suggested learning rate: <b>{found['suggestion']:.3g}</b>, where the smoothed loss falls fastest "
            "before its minimum (Smith 2017). Rates near the minimum are already too large; a schedule may start "
            "at the suggestion and decay from there.</p>\n</body></html>\n")
    write_text(path, page)
