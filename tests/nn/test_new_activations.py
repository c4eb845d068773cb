"""The activations added from the course's list, against their published formulas by hand (their gradients are
checked by finite differences in test_gradients.py, which runs every row of the table)."""

import numpy as np
import pytest

from astromlp.nn.activations import ACTIVATIONS

X = [-3.0, -2.0, -0.5, 0.0, 0.5, 2.0, 3.0]


@pytest.mark.parametrize("name,alpha,expected", [
    ("isru", 1.0, [x / np.sqrt(1 + x * x) for x in X]),
    ("isru", 4.0, [x / np.sqrt(1 + 4 * x * x) for x in X]),
    ("isrlu", 1.0, [x if x >= 0 else x / np.sqrt(1 + x * x) for x in X]),
    ("sqnl", 0.0, [-1.0, -1.0, -0.5 + 0.0625, 0.0, 0.5 - 0.0625, 1.0, 1.0]),
])
def test_values(name, alpha, expected):
    f = ACTIVATIONS[name].value
    np.testing.assert_allclose([f(x, alpha) for x in X], expected, rtol=1e-15)


@pytest.mark.parametrize("name", ["isru", "isrlu", "sqnl"])
def test_derivatives_against_central_differences_per_point(name):
    row, h = ACTIVATIONS[name], 1e-6
    alpha = row.default_alpha
    for x in [-2.5, -1.0, -0.3, 0.3, 1.0, 1.7, 2.5]:
        numeric = (row.value(x + h, alpha) - row.value(x - h, alpha)) / (2 * h)
        assert row.derivative(x, row.value(x, alpha), alpha) == pytest.approx(numeric, abs=1e-8)
