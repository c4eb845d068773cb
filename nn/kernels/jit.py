"""How every nn kernel is compiled: cached on disk, and with numpy's error model, so a division by zero gives
inf or NaN (which training reports as divergence) instead of a Python-exception check inside every loop,
which would keep LLVM from vectorising it.

The on-disk cache lives in a per-user cache directory, never inside the installed package: files written there
would survive ``pip uninstall`` and shadow a later (editable) install."""

import os
from pathlib import Path

import numba
from numba import njit
from platformdirs import user_cache_dir

OPTIONS = {"cache": True, "error_model": "numpy"}


def cache_dir() -> Path:
    """Where compiled kernels go: NUMBA_CACHE_DIR if set, else ASTROMLP_CACHE_DIR or the user cache, /numba."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    root = os.environ.get("ASTROMLP_CACHE_DIR") or user_cache_dir("astromlp", appauthor=False)
    return Path(root) / "numba"


# Numba reads its cache location when a cached function is decorated; every kernel module imports this one first.
numba.config.CACHE_DIR = str(cache_dir())


def kernel(**options):
    """``numba.njit`` with the options every nn kernel shares, plus ``options``."""
    return njit(**OPTIONS, **options)
