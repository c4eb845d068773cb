"""Threads: Numba's threading layer, BLAS pinned to one thread inside parallel kernels, and a lock for the
one layer that is unsafe when two Python threads launch parallel work at once."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

import numba
import scipy.linalg.cython_blas  # noqa: F401  (load the BLAS Numba calls, so threadpoolctl can pin it)
from threadpoolctl import ThreadpoolController

if "NUMBA_THREADING_LAYER" not in os.environ:
    # omp and tbb are safe for concurrent launches from several Python threads (a Dask threaded scheduler
    # training two models); workqueue is the last resort and is then serialised by _WORKQUEUE_LOCK.
    numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]

_WORKQUEUE_LOCK = threading.RLock()
_local = threading.local()


@functools.cache
def _controller() -> ThreadpoolController:
    """Scanning the loaded libraries costs about a millisecond: do it once."""
    return ThreadpoolController()


@contextmanager
def kernel_threads(n_threads: int | None = None) -> Iterator[None]:
    """Run parallel kernels on ``n_threads`` Numba threads (all by default) with BLAS on one thread.

    BLAS threads inside Numba threads oversubscribe the cores (about 100x slower); the previous BLAS and
    Numba settings come back on exit, errors included. The Numba thread count is per Python thread; an
    inner use keeps the BLAS limit of the outer one.
    """
    previous = numba.get_num_threads()
    limit = numba.config.NUMBA_NUM_THREADS if n_threads is None or n_threads < 1 else n_threads
    numba.set_num_threads(min(limit, numba.config.NUMBA_NUM_THREADS))
    outer = not getattr(_local, "depth", 0)
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        with _controller().limit(limits=1, user_api="blas") if outer else nullcontext():
            if _layer() == "workqueue":
                with _WORKQUEUE_LOCK:
                    yield
            else:
                yield
    finally:
        _local.depth -= 1
        numba.set_num_threads(previous)


def _layer() -> str:
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel function has run yet: the layer is chosen at the first launch
        return "unknown"
