"""The learning-rate range test's figure: readable when the loss diverges at the largest rates."""

import numpy as np

from astromlp.reports.figures_lr import range_test_svg


def test_the_figure_stops_at_four_times_the_starting_loss_and_says_so():
    """A divergence spike (160 against a useful curve near 0.2) would flatten the part a user reads."""
    rates = np.logspace(-5, 1, 50)
    smoothed = np.concatenate([np.linspace(0.5, 0.2, 45), [1.0, 5.0, 20.0, 80.0, 160.0]])
    svg = range_test_svg({"rates": rates, "losses": smoothed, "smoothed": smoothed, "suggestion": 1e-3})
    assert "the loss leaves the axis above 2.2 as it diverges" in svg
    calm = range_test_svg({"rates": rates[:45], "losses": smoothed[:45], "smoothed": smoothed[:45],
                           "suggestion": 1e-3})
    assert "leaves the axis" not in calm


def test_the_rate_axis_is_labelled_in_plain_text():
    """The report's style turns mathtext off, so the default log labels would show as raw $\\mathdefault{...}$."""
    rates = np.logspace(-6, 1, 50)
    svg = range_test_svg({"rates": rates, "losses": np.ones(50), "smoothed": np.ones(50), "suggestion": 1e-3})
    assert "mathdefault" not in svg and ">1e\u221206<" in svg  # matplotlib writes a true minus sign
