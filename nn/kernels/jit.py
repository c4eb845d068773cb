"""How every nn kernel is compiled: cached on disk, and with numpy's error model, so a division by zero gives
inf or NaN (which training reports as divergence) instead of a Python-exception check inside every loop,
which would keep LLVM from vectorising it."""

from numba import njit

OPTIONS = {"cache": True, "error_model": "numpy"}


def kernel(**options):
    """``numba.njit`` with the options every nn kernel shares, plus ``options``."""
    return njit(**OPTIONS, **options)
