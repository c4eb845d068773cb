"""Compiled kernels go to a per-user cache directory, never into the package (they would shadow a later install)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import astromlp
import astromlp.nn
from astromlp.nn.kernels import jit

PACKAGE = Path(astromlp.nn.__file__).resolve().parent
# One small cached kernel is enough to show where Numba writes (a whole fit would compile for minutes).
COMPILE_ONE = ("import numpy as np; from astromlp.nn.kernels.splitmix import mix; "
               "assert mix(np.uint64(1)) == mix.py_func(np.uint64(1)); "
               "import astromlp.nn; print(astromlp.nn.__file__, sum(mix.stats.cache_hits.values()))")
FOUNDATION = Path(astromlp.__file__).resolve().parent


def _compile_one(cache, pythonpath=None):
    """Run COMPILE_ONE in a fresh process with ASTROMLP_CACHE_DIR=cache: (where astromlp.nn came from, cache hits)."""
    env = {key: value for key, value in os.environ.items() if key not in ("NUMBA_CACHE_DIR", "ASTROMLP_CACHE_DIR")}
    env["ASTROMLP_CACHE_DIR"] = str(cache)
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run([sys.executable, "-c", COMPILE_ONE], env=env, check=True, timeout=300, capture_output=True,
                          text=True)
    origin, hits = done.stdout.split()
    return Path(origin).parent, int(hits)


def test_kernels_are_cached_in_astromlp_cache_dir_and_never_in_the_package(tmp_path):
    _compile_one(tmp_path)
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


def test_another_copy_of_the_same_package_loads_the_kernels_instead_of_compiling(tmp_path):
    """README command 1 compiles in site-packages; command 2's editable checkout must not compile them again."""
    copy = tmp_path / "elsewhere"
    shutil.copytree(FOUNDATION, copy / "astromlp", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(PACKAGE, copy / "astromlp" / "nn", ignore=shutil.ignore_patterns("__pycache__"))
    origin, hits = _compile_one(tmp_path / "cache")
    assert origin == PACKAGE and hits == 0
    origin, hits = _compile_one(tmp_path / "cache", pythonpath=copy)
    assert origin == copy / "astromlp" / "nn" and hits == 1


def test_a_kernel_defined_outside_the_package_is_cached_in_the_cache_dir_too(tmp_path):
    """`jit.kernel` places every function it compiles (the test suite's own kernels too), never beside the module:
    a checkout would otherwise gather .nbi/.nbc files in its __pycache__ folders."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "outside.py").write_text("from astromlp.nn.kernels.jit import kernel\n\n\n"
                                                 "@kernel()\ndef plus_one(x):\n    return x + 1\n")
    env = {key: value for key, value in os.environ.items() if key not in ("NUMBA_CACHE_DIR", "ASTROMLP_CACHE_DIR")}
    env.update({"ASTROMLP_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path / "src")})
    subprocess.run([sys.executable, "-c", "from outside import plus_one; assert plus_one(1) == 2"], env=env,
                   check=True, timeout=300)
    assert sorted((tmp_path / "cache").rglob("outside.plus_one-*.nbi")), "the kernel was not cached in the cache dir"
    assert sorted((tmp_path / "src").rglob("*.nb[ic]")) == [], "a kernel cache file was written beside its module"


@pytest.mark.slow
def test_an_edit_to_a_callee_recompiles_the_kernels_that_inline_it(tmp_path):
    """Numba caches a kernel with its callees linked in but checks only the caller's own file: after an upgrade that
    changes only a callee (an activation, say) the caller must not be loaded stale."""
    room = tmp_path / "src" / "roomx" / "sub"
    room.mkdir(parents=True)
    (room.parent / "__init__.py").write_text("")
    (room / "__init__.py").write_text("")
    (room / "caller.py").write_text("from astromlp.nn.kernels.jit import kernel\n"
                                    "from roomx.sub.callee import step\n\n\n"
                                    "@kernel()\ndef twice(x):\n    return step(step(x))\n")
    env = {key: value for key, value in os.environ.items() if key not in ("NUMBA_CACHE_DIR", "ASTROMLP_CACHE_DIR")}
    env.update({"ASTROMLP_CACHE_DIR": str(tmp_path / "cache"), "PYTHONPATH": str(tmp_path / "src")})
    run = [sys.executable, "-c",
           "from roomx.sub.caller import twice; print(twice(1), sum(twice.stats.cache_hits.values()))"]
    results = []
    for increment in (1, 1, 5):
        (room / "callee.py").write_text(f"from astromlp.nn.kernels.jit import kernel\n\n\n"
                                        f"@kernel()\ndef step(x):\n    return x + {increment}\n")
        done = subprocess.run(run, env=env, check=True, timeout=300, capture_output=True, text=True)
        results.append(tuple(int(word) for word in done.stdout.split()))
    assert results == [(3, 0), (3, 1), (11, 0)]
