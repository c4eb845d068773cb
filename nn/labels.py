"""Class labels: the sorted distinct labels of a target and each row's index among them.

Integer labels over a short range (the usual 0, 1, 2 or a survey's class codes) take a counting path: for 20,000
rows of three classes, ``np.unique`` took 590 us with its inverse (320 without) and ``np.searchsorted`` 180 us,
against 60 and 40 us here (about 5 % of a small network's whole fit, 15 ms). Other labels take numpy's sort."""

from __future__ import annotations

import numpy as np

#: The widest span of integer labels counted (a table of this many entries at most, beside rows of them).
MAX_COUNTED_SPAN = 1 << 16
_INT64_MAX = np.iinfo(np.int64).max


def _as_int64(values: np.ndarray) -> np.ndarray | None:
    """Integer (or bool) labels as int64, where every one fits (so the arithmetic below is exact); else None."""
    if values.dtype.kind not in "biu":
        return None
    if values.dtype.kind == "u" and values.dtype.itemsize == 8 and values.size and values.max() > _INT64_MAX:
        return None
    return values.astype(np.int64, copy=False)


def _counted(values: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """(labels as int64, lowest label, span) when ``values`` are integers close enough together to count."""
    as_int = _as_int64(values.ravel())
    if as_int is None or as_int.size == 0:
        return None
    lo, hi = int(as_int.min()), int(as_int.max())
    span = hi - lo + 1
    return (as_int, lo, span) if span <= MAX_COUNTED_SPAN else None


def sorted_labels(y: np.ndarray) -> np.ndarray:
    """The distinct labels of ``y`` in increasing order, in y's dtype (``np.unique(y)``)."""
    y = np.asarray(y)
    counted = _counted(y)
    if counted is None:  # return_inverse takes numpy's sorting path, faster than its hashing one for few classes
        return np.unique(y, return_inverse=True)[0]
    as_int, lo, span = counted
    present = np.flatnonzero(np.bincount(as_int - lo, minlength=span))
    return (present + lo).astype(y.dtype)


def label_index(classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each label's position in the sorted ``classes``; -1 for a label that is not among them."""
    y = np.asarray(y)
    counted, as_int = _counted(classes), _as_int64(y)
    if counted is not None and as_int is not None:
        classes_int, lo, span = counted
        table = np.full(span, -1, np.intp)
        table[classes_int - lo] = np.arange(classes.size)
        inside = (as_int >= lo) & (as_int <= lo + span - 1)
        if inside.all():
            return table[as_int - lo]
        return np.where(inside, table[np.where(inside, as_int - lo, 0)], -1)
    index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    return np.where(classes[index] == y, index, -1)


def one_hot(index: np.ndarray, k: int, dtype) -> np.ndarray:
    """Rows of ``k`` zeros with a 1 at each ``index``, written through the flat view (2.4x faster than
    ``out[rows, index] = 1`` for 20,000 rows of 3)."""
    out = np.zeros((len(index), k), dtype)
    out.reshape(-1)[np.arange(0, out.size, k) + index] = 1
    return out
