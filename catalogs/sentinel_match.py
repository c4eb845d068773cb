"""Which values of a float column equal a sentinel to a relative tolerance, tested in the column's own dtype.

`np.isclose(x, v, rtol, atol=0)` on float64 is |x - v| <= rtol |v| (or x == v). Rounding is monotone, so the
float32 or float64 values it accepts form one interval [lo, hi] of that dtype: found once per sentinel with a
few `nextafter` steps, it turns the test into two comparisons on the stored values, with no float64 copy of a
float32 column and no temporaries (isclose makes five). Anything else falls back to isclose itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

INTERVAL_DTYPES = frozenset({np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)})
MAX_STEPS = 64  # the rounded bounds are within an ulp or two of the exact ones; more means a degenerate case


def _close(x, value: float, tolerance: float) -> bool:
    """np.isclose's test for one value, in the float64 arithmetic it uses (a Python float is an IEEE double)."""
    return abs(float(x) - value) <= tolerance or float(x) == value


def _edge(start, value: float, tolerance: float, outwards: float):
    """The last value from `start` towards `outwards` (+-inf) that is still close, or None within MAX_STEPS."""
    inwards = -outwards
    x = start
    for _ in range(MAX_STEPS):  # step in until inside the interval ...
        if _close(x, value, tolerance):
            break
        x = np.nextafter(x, inwards)
    else:
        return None
    for _ in range(MAX_STEPS):  # ... then out to its last value
        following = np.nextafter(x, outwards)
        if not _close(following, value, tolerance):
            return x
        x = following
    return None


def close_interval(value: float, rtol: float, dtype: np.dtype) -> tuple[np.generic, np.generic] | None:
    """[lo, hi] in `dtype` holding exactly the values np.isclose(x, value, rtol, atol=0) accepts, or None when
    the interval cannot be found this way (an infinite or NaN sentinel, one outside the dtype's range)."""
    tolerance = 0.0 + rtol * abs(value)
    with np.errstate(over="ignore"):
        lo, hi = dtype.type(value - tolerance), dtype.type(value + tolerance)
    if not (np.isfinite(value) and np.isfinite(lo) and np.isfinite(hi)):
        return None
    lo, hi = _edge(lo, value, tolerance, -np.inf), _edge(hi, value, tolerance, np.inf)
    return None if lo is None or hi is None else (lo, hi)


def close_to_any(data: np.ndarray, sentinels: Sequence[float], rtol: float) -> np.ndarray:
    """True where a float array is within `rtol` of one of `sentinels` (np.isclose in float64, atol 0)."""
    mask = np.zeros(len(data), dtype=bool)
    for value in sentinels:
        interval = close_interval(value, rtol, data.dtype) if data.dtype in INTERVAL_DTYPES else None
        if interval is None:
            mask |= np.isclose(data.astype(np.float64), value, rtol=rtol, atol=0.0)
        else:
            mask |= (data >= interval[0]) & (data <= interval[1])
    return mask
