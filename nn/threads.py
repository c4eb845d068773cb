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
_BLAS_LOCK = threading.Lock()
_blas_users = 0
_blas_limit = None


@functools.cache
def _controller() -> ThreadpoolController:
    """Scanning the loaded libraries costs about a millisecond: do it once."""
    return ThreadpoolController()


@contextmanager
def kernel_threads(n_threads: int | None = None) -> Iterator[None]:
    """Run parallel kernels on ``n_threads`` Numba threads (all by default) with BLAS on one thread.

    BLAS threads inside Numba threads oversubscribe the cores (about 100x slower). The BLAS limit is
    process-wide, so it is counted: the first user (in any Python thread) sets it and the last one restores
    the previous setting, errors included. The Numba thread count is per Python thread.
    """
    previous = numba.get_num_threads()
    limit = numba.config.NUMBA_NUM_THREADS if n_threads is None or n_threads < 1 else n_threads
    numba.set_num_threads(min(limit, numba.config.NUMBA_NUM_THREADS))
    _pin_blas()
    try:
        with _WORKQUEUE_LOCK if _layer() == "workqueue" else nullcontext():
            yield
    finally:
        _release_blas()
        numba.set_num_threads(previous)


def _pin_blas() -> None:
    global _blas_users, _blas_limit
    with _BLAS_LOCK:
        if _blas_users == 0:
            _blas_limit = _controller().limit(limits=1, user_api="blas")
        _blas_users += 1


def _release_blas() -> None:
    global _blas_users, _blas_limit
    with _BLAS_LOCK:
        _blas_users -= 1
        if _blas_users == 0:
            _blas_limit.restore_original_limits()
            _blas_limit = None


def _layer() -> str:
    try:
        return numba.threading_layer()
    except ValueError:  # no parallel function has run yet: the layer is chosen at the first launch
        return "unknown"
