"""A first run says that it compiles, compiles only the dtype it needs, and says nothing once cached."""

import os
import subprocess
import sys

from astromlp.nn.compiling import NOTICE, NOTICE_VARIABLE

# prepare() compiles what a one-start float64 fit needs, then reports what the cache now holds.
PREPARE = ("import numpy as np; from astromlp.nn.compiling import is_compiled, prepare; prepare(np.float64); "
           "print(is_compiled(np.float64), is_compiled(np.float32), is_compiled(np.float64, many=True))")


def _run(cache, notice="1"):
    env = {key: value for key, value in os.environ.items() if key not in ("NUMBA_CACHE_DIR", NOTICE_VARIABLE)}
    env.update({"ASTROMLP_CACHE_DIR": str(cache), NOTICE_VARIABLE: notice})
    return subprocess.run([sys.executable, "-c", PREPARE], env=env, capture_output=True, text=True, check=True,
                          timeout=1200)


def test_a_cold_cache_is_announced_once_and_only_the_needed_dtype_is_compiled(tmp_path):
    first = _run(tmp_path)
    assert first.stderr.count(NOTICE) == 1 and "compiling: 3/3" in first.stderr
    assert first.stdout.split() == ["True", "False", "False"]  # float64 only; no float32, no multi-start twin
    again = _run(tmp_path)
    assert again.stderr == "" and again.stdout.split() == ["True", "False", "False"]


def test_a_library_user_hears_nothing_unless_asked(tmp_path):
    quiet = _run(tmp_path, notice="0")
    assert quiet.stderr == "" and quiet.stdout.split() == ["False", "False", "False"]
