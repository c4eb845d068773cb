"""The sentinel test in the column's dtype accepts exactly what np.isclose in float64 accepts."""

from __future__ import annotations

import numpy as np
import pytest

from astromlp.catalogs.sentinel_match import close_interval, close_to_any

SENTINELS = [99.99, -9999.0, -99.0, 0.0, 1e-30, 3.4e38, 1e300, 12345.678]


def _neighbourhood(value: float, dtype: np.dtype, rtol: float) -> np.ndarray:
    """Every value of `dtype` within 40 ulps of the two interval edges and of the sentinel itself."""
    tolerance = rtol * abs(value)
    centres = [value - tolerance, value, value + tolerance]
    out = []
    with np.errstate(over="ignore"):  # sentinels beyond float16's range become inf, whose neighbours overflow
        for centre in centres:
            x = np.asarray(centre, dtype=dtype)
            for _ in range(40):
                x = np.nextafter(x, dtype.type(-np.inf))
            for _ in range(81):
                out.append(x)
                x = np.nextafter(x, dtype.type(np.inf))
    return np.array(out, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("rtol", [1e-6, 1e-3, 0.0])
def test_interval_equals_isclose_at_every_edge_value(dtype, rtol):
    dtype = np.dtype(dtype)
    for value in SENTINELS:
        data = _neighbourhood(value, dtype, rtol)
        expected = np.isclose(data.astype(np.float64), value, rtol=rtol, atol=0.0)
        np.testing.assert_array_equal(close_to_any(data, [value], rtol), expected, err_msg=f"{value} {dtype}")


def test_float32_99_99_interval_is_the_stored_value_and_its_neighbours():
    lo, hi = close_interval(99.99, 1e-6, np.dtype(np.float32))
    assert lo.dtype == np.float32 and lo <= np.float32(99.99) <= hi
    assert 99.99 - float(lo) <= 99.99e-6 < 99.99 - float(np.nextafter(lo, np.float32(-np.inf)))


def test_special_values_match_like_isclose():
    data = np.array([np.inf, -np.inf, np.nan, 1.0, 99.99, 3.4e38], dtype=np.float32)
    for value in [np.inf, -np.inf, np.nan, 1e39, 99.99]:
        with np.errstate(over="ignore"):
            expected = np.isclose(data.astype(np.float64), value, rtol=1e-6, atol=0.0)
        np.testing.assert_array_equal(close_to_any(data, [value], 1e-6), expected, err_msg=str(value))


def test_random_values_against_isclose():
    rng = np.random.default_rng(4)
    data = np.r_[rng.normal(100, 0.01, 100_000), rng.normal(-9999, 0.02, 100_000)]
    for dtype in (np.float32, np.float64):
        values = data.astype(dtype)
        expected = np.zeros(len(values), dtype=bool)
        for sentinel in (99.99, -9999.0):
            expected |= np.isclose(values.astype(np.float64), sentinel, rtol=1e-6, atol=0.0)
        assert 0 < expected.sum() < len(values)
        np.testing.assert_array_equal(close_to_any(values, [99.99, -9999.0], 1e-6), expected)
