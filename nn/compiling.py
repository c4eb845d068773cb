"""The first run on a machine compiles the network kernels (Numba, cached afterwards): say so once on stderr,
with a progress bar, instead of a silent minute. Only the kernels a fit needs are compiled: its dtype, its subset
of table rows (``nn/table_rows.py``), and the multi-start twins only for several starts side by side. Numba
compiles on one core: a second process (``nn/compile_helper.py``) compiles its share of the kernels into the same
cache meanwhile (``SHARES``), so a first run on two cores takes the longest chain of kernels instead of their sum."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

import numba
import numpy as np
from tqdm import tqdm

from astromlp.nn.compile_helper import Helper
from astromlp.nn.kernels import network as kernels
from astromlp.nn.kernels.interface import Batch, Hyper, Pass, Update
from astromlp.nn.kernels.training import run_epoch, run_epoch_many, update_parameters
from astromlp.nn.layers import LayerSpec
from astromlp.nn.network import Network
from astromlp.nn.optimizers import SGD, Adam
from astromlp.nn.table_rows import NETWORK_ROWS, UPDATE_ROWS
from astromlp.nn.workspace import make_workspace

NOTICE = "compiling the network kernels for this machine, first run only, about a minute"
#: Set to "1" (the command line does) to hear about compiles; a library stays quiet unless asked.
NOTICE_VARIABLE = "ASTROMLP_COMPILE_NOTICE"
_state = {"preparing": False}


#: The table rows a fit compiles (``nn/table_rows.py``): the network's subset and the update rule's.
COMMON = ("common", "common")


def is_compiled(dtype, many: bool = False, subsets: tuple[str, str] = COMMON) -> bool:
    """Whether this machine's cache holds the epoch kernel for parameters of ``dtype`` and the table rows of
    ``subsets`` (one start, or several side by side when ``many``), so that a fit loads it instead of compiling."""
    kernel = run_epoch_many if many else run_epoch
    # Numba has no public way to ask whether a call will hit its cache: read the kernel's cache index (empty
    # when missing, stale or from another Numba), whose keys start with the argument types: the Layout (its float
    # table has the parameters' dtype; then its rows) and, third, the Update (its rows last).
    index = kernel._cache._cache_file._load_index()
    wanted = (numba.from_dtype(np.dtype(dtype)), NETWORK_ROWS[subsets[0]].numba_type,
              UPDATE_ROWS[subsets[1]].numba_type)
    return any((key[0][0].types[1].dtype, key[0][0].types[2], key[0][2].types[-1]) == wanted for key in index)


#: How a first fit's compile is shared between this process and the helper (``nn/compile_helper.py``): each
#: process's steps in order, each with the other process's step it must wait for (None: none). This process
#: compiles the forward per-chunk kernels and the update rules while the helper compiles the backward ones and
#: then the parallel chunk loop that links them all; the epoch here and the helper's forward pass and gradient
#: then reuse that loop side by side. (Numba re-optimises every kernel a kernel links: the chunk loop and each
#: entry point over it are the long steps, and only the entry points can run in parallel.)
SHARES = {"main": [("layer kernels", None), ("update rules", None), ("training epoch", "chunk loop")],
          "helper": [("backward kernels", None), ("chunk loop", "layer kernels"), ("forward pass", None),
                     ("loss and gradient", None)]}
#: Step of several starts side by side, after the main share when a fit needs it.
MANY = "multi-start epoch"


#: An activation and an optimizer whose fits compile each subset of table rows.
_EXAMPLES = {"common": ("relu", Adam), "all": ("tanh", SGD)}


def calls(dtype, many: bool = False, subsets: tuple[str, str] = COMMON) -> dict[str, Callable[[], object]]:
    """What a fit compiles, by step name (``SHARES``), on a tiny network whose argument types are those of a
    real fit with the table rows of ``subsets`` (Numba specialises on types only, never on sizes or values). The
    kernel groups compile the per-chunk kernels with the argument types the passes give them, so the passes load
    them from the cache."""
    from astromlp.nn.training import TrainConfig, evaluate_loss, train, train_many  # they call prepare: import on use

    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 3)).astype(dtype)
    Y = rng.normal(size=(8, 2)).astype(dtype)
    w = np.ones(8, dtype)

    activation, optimizer = _EXAMPLES[subsets[0]][0], _EXAMPLES[subsets[1]][1]

    def net():
        return Network.create(3, [LayerSpec(4, activation)], 2, "squared_error", rng=rng, dtype=np.dtype(dtype))

    config = TrainConfig(optimizer(), batch_size=4, max_epochs=1, l2=1e-4)
    def group(k):
        return lambda: _compile(_chunk_kernels(net(), X, Y, w, optimizer.rows)[k])

    found = {"layer kernels": group(0), "backward kernels": group(1), "update rules": group(2), "chunk loop": group(3),
             "forward pass": lambda: evaluate_loss(net(), X, Y, w),  # a validation score: forward, loss, penalty
             "loss and gradient": lambda: net().loss_and_gradient(X, Y, w),  # the epoch diagnostics' gradient
             "training epoch": lambda: train(net(), X, Y, w, config, 0)}
    if many:
        found[MANY] = lambda: train_many([net(), net()], X, Y, w, config, [0, 1])
    return found


def steps(dtype, many: bool = False, subsets: tuple[str, str] = COMMON) -> list[tuple[str, Callable[[], object]]]:
    """Every step of ``calls`` as (name, call), in an order that compiles each kernel once in one process."""
    found = calls(dtype, many, subsets)
    order = ["layer kernels", "backward kernels", "update rules", "chunk loop", "forward pass", "loss and gradient",
             "training epoch", *([MANY] if many else [])]
    return [(name, found[name]) for name in order]


def _chunk_kernels(net: Network, X, Y, w, update_rows) -> tuple[list, list, list, list]:
    """(kernel, arguments) of the forward per-chunk kernels (with the loss: the two shares then take about
    as long), the backward ones, the update (for ``update_rows``), and the chunk loop over them, with the records
    and scalar types of ``kernels/network.py``'s passes and ``kernels/training.py``'s epoch."""
    layout, params = net._kernel_args()
    il, theta, n = layout.il, params.theta, X.shape[0]
    ws = make_workspace(net.layout, n, net.chunk, net.dtype)
    x, batch, mode, i = X.ravel(), Batch(X.ravel(), Y.ravel(), w), Pass(True, True, 0, 0), 0
    forward = [(kernels._loss, (i, i, n, layout, i, batch, 1.0, ws, n)),
               (kernels._linear, (i, i, n, layout, params, x, ws, n, mode)),
               (kernels._bn_partial, (i, i, i, n, il, ws, n, True)),
               (kernels._bn_normalise, (i, i, n, layout, theta, ws, n, mode)),
               (kernels._bn_grad_partial, (i, i, i, n, il, theta, ws, n)),
               (kernels._bn_backward, (i, i, n, n, il, theta, ws, n))]
    backward = [(kernels._linear_backward, (i, i, i, n, layout, theta, x, ws, n))]
    size = theta.size
    update = [(update_parameters, (Update(0, 0.0, 0.0, np.ones(size, bool), update_rows),
                                   Hyper(*[0.0] * len(Hyper._fields)), theta, np.zeros((3, size), net.dtype), 1, 0.1,
                                   ws.grad_chunks, 1, np.zeros(size, net.dtype), np.zeros((1, 3))))]
    loop = [(kernels._for_chunks, (i, i, n, n, layout, params, batch, i, 1.0, ws, n, mode))]
    return forward, backward, update, loop


def _compile(kernels_and_args) -> None:
    """Compile (or load from the cache) each kernel for the Numba types of its arguments, without running it."""
    for kernel, args in kernels_and_args:
        kernel.compile(tuple(numba.typeof(arg) for arg in args))


def prepare(dtype, many: bool = False, subsets: tuple[str, str] = COMMON) -> None:
    """Before a fit: when NOTICE_VARIABLE is "1" and the kernels it needs are not cached, print NOTICE and
    compile them under a progress bar (stderr; into a log file, one closing line instead of a redrawn bar),
    shared with a helper process when there is a second core; otherwise nothing (the fit loads or compiles)."""
    if os.environ.get(NOTICE_VARIABLE) != "1" or _state["preparing"] or is_compiled(dtype, many, subsets):
        return
    found = calls(dtype, many, subsets)
    mine = [*SHARES["main"], *([(MANY, None)] if many else [])]
    print(f"astromlp: {NOTICE}", file=sys.stderr, flush=True)
    interactive, started = sys.stderr.isatty(), time.perf_counter()
    _state["preparing"] = True  # the steps train tiny networks, which must not come back here
    try:
        with tqdm(total=len(mine) + len(SHARES["helper"]), desc="compiling", unit="step", file=sys.stderr,
                  dynamic_ncols=True, bar_format="{desc}: {n}/{total} {bar} {elapsed}{postfix}",
                  disable=not interactive) as bar, \
                _ticking(bar), _helper(dtype, subsets, bar) as helper:
            for name, after in mine:
                helper.wait_for(after)
                bar.set_postfix_str(name)
                found[name]()
                bar.update()
                helper.tell(name)
            for name in helper.finish([name for name, _ in SHARES["helper"]]):
                bar.set_postfix_str(name)
                found[name]()
                bar.update()
    finally:
        _state["preparing"] = False
    if not interactive:
        print(f"astromlp: kernels compiled in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def _helper(dtype, subsets, bar) -> Helper:
    """A helper process when a second core can run it; otherwise none (this process compiles everything)."""
    on_step = lambda name: bar.update()  # noqa: E731
    return Helper.start(dtype, on_step, subsets) if _cores() > 1 else Helper(None, on_step)


def _cores() -> int:
    """The cores this process may run on (all of the machine's where the OS cannot say, as on macOS)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


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


def compile_seconds(dtype, many: bool = False, subsets: tuple[str, str] = COMMON) -> dict[str, float]:
    """Seconds each step of ``steps`` takes (its compile time when the cache is cold; for measuring)."""
    timings = {}
    for name, call in steps(dtype, many, subsets):
        started = time.perf_counter()
        call()
        timings[name] = time.perf_counter() - started
    return timings
