"""The data figure: how far each cross-matched label lies from its object ([data] labels)."""

from __future__ import annotations

import numpy as np

from astromlp.reports.svg import NETWORK_COLOUR, new_figure, to_svg


def label_separations(labels: dict | None) -> str | None:
    """The histogram of label-object separations up to the match radius; None without a cross-match."""
    histogram = (labels or {}).get("separation_histogram")
    if not histogram or not sum(histogram["counts"]):
        return None
    figure, axes = new_figure(6.0, 2.8)
    axes.stairs(np.asarray(histogram["counts"]), np.asarray(histogram["edges"]), fill=True, color=NETWORK_COLOUR)
    axes.set_xlabel("separation (arcsec)")
    axes.set_ylabel("matched labels")
    return to_svg(figure, "label_separations")
