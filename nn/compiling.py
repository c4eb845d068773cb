"""The first run on a machine compiles the network kernels (Numba, cached afterwards): say so once on stderr,
with a progress bar, instead of a silent minute. Only the kernels a fit needs are compiled: its dtype, and the
multi-start twins only for several starts side by side."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

import numba
import numpy as np
from tqdm import tqdm

from astromlp.nn.kernels.training import run_epoch, run_epoch_many
from astromlp.nn.layers import LayerSpec
from astromlp.nn.network import Network
from astromlp.nn.optimizers import Adam

NOTICE = "compiling the network kernels for this machine, first run only, about a minute"
#: Set to "1" (the command line does) to hear about compiles; a library stays quiet unless asked.
NOTICE_VARIABLE = "ASTROMLP_COMPILE_NOTICE"
_state = {"preparing": False}


def is_compiled(dtype, many: bool = False) -> bool:
    """Whether this machine's cache holds the epoch kernel for parameters of ``dtype`` (one start, or several
    side by side when ``many``), so that a fit loads it instead of compiling."""
    kernel = run_epoch_many if many else run_epoch
    # Numba has no public way to ask whether a call will hit its cache: read the kernel's cache index (empty
    # when missing, stale or from another Numba), whose keys start with the argument types; the first
    # argument is the Layout, whose float table has the parameters' dtype.
    index = kernel._cache._cache_file._load_index()
    wanted = numba.from_dtype(np.dtype(dtype))
    return any(key[0][0].types[1].dtype == wanted for key in index)


def steps(dtype, many: bool = False) -> list[tuple[str, Callable[[], object]]]:
    """What a fit compiles, kernel by kernel in call order, as (name, call) on a tiny network whose argument
    types are those of a real fit (Numba specialises on types only, never on sizes or values)."""
    from astromlp.nn.training import TrainConfig, train, train_many  # training calls prepare: import on use

    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 3)).astype(dtype)
    Y = rng.normal(size=(8, 2)).astype(dtype)
    w = np.ones(8, dtype)

    def net():
        return Network.create(3, [LayerSpec(4, "relu")], 2, "squared_error", rng=rng, dtype=np.dtype(dtype))

    config = TrainConfig(Adam(), batch_size=4, max_epochs=1, l2=1e-4)
    found = [("forward pass", lambda: net().forward(X)),
             ("loss and gradient", lambda: net().loss_and_gradient(X, Y, w)),
             ("training epoch", lambda: train(net(), X, Y, w, config, 0, validation=(X, Y, w)))]
    if many:
        found.append(("multi-start epoch", lambda: train_many([net(), net()], X, Y, w, config, [0, 1])))
    return found


def prepare(dtype, many: bool = False) -> None:
    """Before a fit: when NOTICE_VARIABLE is "1" and the kernels it needs are not cached, print NOTICE and
    compile them step by step under a progress bar (stderr); otherwise nothing (the fit loads or compiles)."""
    if os.environ.get(NOTICE_VARIABLE) != "1" or _state["preparing"] or is_compiled(dtype, many):
        return
    todo = steps(dtype, many)
    print(f"astromlp: {NOTICE}", file=sys.stderr, flush=True)
    _state["preparing"] = True  # the steps train tiny networks, which must not come back here
    try:
        with tqdm(total=len(todo), desc="compiling", unit="kernel", file=sys.stderr, dynamic_ncols=True,
                  bar_format="{desc}: {n}/{total} {bar} {elapsed}{postfix}") as bar, _ticking(bar):
            for name, call in todo:
                bar.set_postfix_str(name)
                call()
                bar.update()
    finally:
        _state["preparing"] = False


class _ticking:
    """Refresh ``bar`` every half second, so its clock runs while one long kernel compiles."""

    def __init__(self, bar):
        self.bar, self.stop = bar, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.wait(0.5):
            self.bar.refresh()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def compile_seconds(dtype, many: bool = False) -> dict[str, float]:
    """Seconds each step of ``steps`` takes (its compile time when the cache is cold; for measuring)."""
    timings = {}
    for name, call in steps(dtype, many):
        started = time.perf_counter()
        call()
        timings[name] = time.perf_counter() - started
    return timings
