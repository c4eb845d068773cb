"""A first run says that it compiles, compiles only the dtype it needs, and says nothing once cached."""

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from numba import types

from astromlp.nn.activations import relu
from astromlp.nn.compile_helper import Helper
from astromlp.nn.compiling import NOTICE, NOTICE_VARIABLE, SHARES, _chunk_kernels, steps
from astromlp.nn.kernels.rows import RowsType
from astromlp.nn.kernels.training import run_epoch
from astromlp.nn.layers import LayerSpec
from astromlp.nn.network import Network
from astromlp.nn.table_rows import NETWORK_ROWS, UPDATE_ROWS

COMMON_ROW_TYPES = {NETWORK_ROWS["common"].numba_type, UPDATE_ROWS["common"].numba_type}

# prepare() compiles what a one-start float64 fit of the common table rows needs, then reports what the cache now
# holds: that, not float32, not the multi-start twin, not all the table's rows.
PREPARE = ("import numpy as np; from astromlp.nn.compiling import is_compiled, prepare; prepare(np.float64); "
           "print(is_compiled(np.float64), is_compiled(np.float32), is_compiled(np.float64, many=True), "
           "is_compiled(np.float64, subsets=('all', 'all')))")


def _run(cache, notice="1"):
    env = {key: value for key, value in os.environ.items() if key not in ("ASTROMLP_CACHE_DIR", NOTICE_VARIABLE)}
    env.update({"NUMBA_CACHE_DIR": str(cache), NOTICE_VARIABLE: notice})
    return subprocess.run([sys.executable, "-c", PREPARE], env=env, capture_output=True, text=True, check=True,
                          timeout=1200)


def _cache_without_the_epoch_kernels(tmp_path) -> Path:
    """A copy of this checkout's kernel cache in which no epoch kernel (one start or many) is compiled: the
    cold case of the notice, at the cost of compiling one kernel rather than all of them (minutes)."""
    for _, call in steps(np.float64):  # warm the real cache (free when the suite compiled them already)
        call()
    copy = tmp_path / "cache"
    for folder in {Path(kernel._cache._cache_file._index_path).parent for kernel in (run_epoch, relu)}:
        shutil.copytree(folder, copy / folder.name)
    epoch_files = [*copy.rglob("training.run_epoch-*"), *copy.rglob("training.run_epoch_many-*")]
    assert epoch_files
    for path in epoch_files:
        path.unlink()
    return copy


@pytest.mark.slow
def test_a_cold_cache_is_announced_once_and_only_the_needed_dtype_is_compiled(tmp_path):
    cache = _cache_without_the_epoch_kernels(tmp_path)
    first = _run(cache)
    assert first.stderr.count(NOTICE) == 1 and "kernels compiled in" in first.stderr  # a pipe: no redrawn bar
    assert first.stdout.split() == ["True", "False", "False", "False"]
    again = _run(cache)
    assert again.stderr == "" and again.stdout.split() == ["True", "False", "False", "False"]


def test_a_library_user_hears_nothing_unless_asked(tmp_path):
    quiet = _run(tmp_path, notice="0")
    assert quiet.stderr == "" and quiet.stdout.split() == ["False"] * 4


def test_each_chunk_kernel_compiles_once_per_dtype():
    """Chunk indices and offsets reach the per-chunk kernels as int64 everywhere: a literal 0 or the uint64 index
    of a parallel loop would compile each of them (and all they call) again (kernels/network.py)."""
    from astromlp.nn.kernels import network, training

    for _, call in steps(np.float64):
        call()
    kernels = [network._for_chunks, network._linear, network._finish, network._loss, network._linear_backward,
               network._bn_partial, network._bn_normalise, network._bn_grad_partial, network._bn_backward,
               training._update_block]
    for kernel in kernels:
        # what this process compiled, and what the cache holds (a warm cache loads the callers only)
        signatures = [*kernel.signatures, *(key[0] for key in kernel._cache._cache_file._load_index())]
        assert signatures, kernel
        for signature in signatures:
            odd = [arg for arg in signature if isinstance(arg, types.Literal) or arg == types.uint64]
            assert not odd, (kernel.py_func.__name__, odd)


def _known_signatures(kernel) -> set:
    """What this process compiled of ``kernel`` and what the cache holds, for the common table rows (or none)."""
    known = {*kernel.signatures, *(key[0] for key in kernel._cache._cache_file._load_index())}
    return {signature for signature in known if _row_types(signature) <= COMMON_ROW_TYPES}


def _row_types(signature) -> set:
    return {field for arg in signature if isinstance(arg, types.BaseNamedTuple) for field in arg.types
            if isinstance(field, RowsType)}


def test_the_plan_compiles_each_chunk_kernel_with_the_types_the_passes_give_it():
    """The kernel groups of a first run's compile (compiled in two processes) must be the very signatures the
    passes call, or the passes would compile every one of them again (checked with the common table rows: the
    row subset is one type among the arguments, the same in the plan and in the passes)."""
    from numba import typeof

    planned = {}
    for dtype in (np.float64, np.float32):
        for _, call in steps(dtype):
            call()
        net = Network.create(3, [LayerSpec(4, "relu")], 2, "squared_error", rng=np.random.default_rng(0),
                             dtype=np.dtype(dtype))
        X, Y = np.zeros((8, 3), dtype), np.zeros((8, 2), dtype)
        for group in _chunk_kernels(net, X, Y, np.ones(8, dtype), UPDATE_ROWS["common"]):
            for kernel, args in group:
                planned.setdefault(kernel, set()).add(tuple(typeof(arg) for arg in args))
    for kernel, signatures in planned.items():
        assert len(signatures) == 2 and _known_signatures(kernel) == signatures, kernel.py_func.__name__


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_the_progress_is_a_bar_on_a_terminal_and_one_line_in_a_log(monkeypatch, terminal):
    from astromlp.nn import compiling

    for _, call in steps(np.float64):  # warm: the steps below load their kernels
        call()
    err = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setenv(NOTICE_VARIABLE, "1")
    monkeypatch.setattr(compiling, "is_compiled", lambda *args, **kwargs: False)  # as on a first run
    monkeypatch.setattr(compiling, "_cores", lambda: 1)  # no helper: every step in this process
    compiling.prepare(np.float64)
    text, total = err.getvalue(), len(SHARES["main"]) + len(SHARES["helper"])
    assert text.count(NOTICE) == 1
    if terminal:
        assert f"compiling: {total}/{total}" in text and "compiled in" not in text
    else:
        assert "compiling:" not in text and re.search(r"\nastromlp: kernels compiled in \d+ s\n$", text)


def test_the_helper_finishes_its_share_after_the_step_it_waits_for():
    for _, call in steps(np.float64):  # warm: the helper then loads its kernels
        call()
    seen, names = [], [name for name, _ in SHARES["helper"]]
    waiting = next(k for k, (_, after) in enumerate(SHARES["helper"]) if after is not None)
    with Helper.start(np.float64, on_step=seen.append) as helper:
        helper.wait_for(names[waiting - 1])
        assert seen == names[:waiting]  # it stops at the step that waits for one of ours
        helper.tell(SHARES["helper"][waiting][1])
        assert helper.finish(names) == [] and seen == names


def test_a_failed_helper_leaves_its_share_to_this_process():
    seen = []
    with Helper.start("not-a-dtype", on_step=seen.append) as helper:
        helper.wait_for("backward kernels")
        left = helper.finish([name for name, _ in SHARES["helper"]])
    assert left == [name for name, _ in SHARES["helper"]] and seen == []


def test_the_cores_are_counted_where_the_os_cannot_give_an_affinity(monkeypatch):
    from astromlp.nn import compiling

    assert compiling._cores() == len(os.sched_getaffinity(0))
    monkeypatch.delattr(os, "sched_getaffinity")  # as on macOS
    assert compiling._cores() == os.cpu_count()
