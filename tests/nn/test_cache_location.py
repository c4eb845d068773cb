"""Compiled kernels go to a per-user cache directory, never into the package (they would shadow a later install)."""

import os
import subprocess
import sys
from pathlib import Path

import astromlp.nn
from astromlp.nn.kernels import jit

PACKAGE = Path(astromlp.nn.__file__).resolve().parent
# One small cached kernel is enough to show where Numba writes (a whole fit would compile for minutes).
COMPILE_ONE = ("import numpy as np; from astromlp.nn.kernels.splitmix import mix; "
               "assert mix(np.uint64(1)) == mix.py_func(np.uint64(1))")


def test_kernels_are_cached_in_astromlp_cache_dir_and_never_in_the_package(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("NUMBA_CACHE_DIR", "ASTROMLP_CACHE_DIR")}
    subprocess.run([sys.executable, "-c", COMPILE_ONE], env={**env, "ASTROMLP_CACHE_DIR": str(tmp_path)},
                   check=True, timeout=300)
    assert sorted((tmp_path / "numba").rglob("*.nbi")), "no kernel was cached in ASTROMLP_CACHE_DIR"
    assert sorted(PACKAGE.rglob("*.nbi")) == [], "a kernel cache file was written inside the package"


def test_numba_cache_dir_wins_then_astromlp_cache_dir_then_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba-own"))
    monkeypatch.setenv("ASTROMLP_CACHE_DIR", str(tmp_path / "ours"))
    assert jit.cache_dir() == tmp_path / "numba-own"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    assert jit.cache_dir() == tmp_path / "ours" / "numba"
    monkeypatch.delenv("ASTROMLP_CACHE_DIR")
    assert PACKAGE not in jit.cache_dir().parents and jit.cache_dir().name == "numba"
