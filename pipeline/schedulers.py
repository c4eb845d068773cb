"""Where the Dask graph runs: an embedded local scheduler, a LocalCluster started for the run, or an
existing distributed cluster; and one `compute` that shows a progress bar on whichever it is."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import dask
from dask.diagnostics import ProgressBar

from astromlp.errors import AstromlpError

LOCAL_SCHEDULERS = ("threads", "synchronous", "processes")
DEFAULT_SCHEDULER = "threads"
CONNECT_TIMEOUT = "5s"


@dataclass
class Executor:
    """The scheduler a run computes on: a local scheduler name, or a distributed client."""

    description: str
    scheduler: str | None = None
    client: object | None = None
    show_progress: bool = False

    def compute(self, *collections, show_progress: bool | None = None):
        """Compute Dask collections or delayed objects, in order, with a progress bar when shown."""
        show = self.show_progress if show_progress is None else show_progress
        if self.client is not None:
            futures = self.client.compute(list(collections))
            if show:
                from distributed import progress

                progress(futures)
                print(file=sys.stderr)
            return tuple(self.client.gather(futures))
        if not show:
            return dask.compute(*collections, scheduler=self.scheduler)
        with ProgressBar(out=sys.stderr):
            return dask.compute(*collections, scheduler=self.scheduler)


def check_scheduler(spec: str | None, where: str) -> None:
    """A scheduler is a local one by name or an address such as tcp://host:8786."""
    if spec is None or spec in LOCAL_SCHEDULERS or "://" in spec:
        return
    raise AstromlpError(f"{where}scheduler {spec!r} is neither one of {', '.join(LOCAL_SCHEDULERS)} nor an "
                        "address such as tcp://HOST:8786")


@contextmanager
def executor(scheduler: str | None = None, workers: int | None = None,
             show_progress: bool = False) -> Iterator[Executor]:
    """Open the run's scheduler and close whatever was started for it, errors included."""
    check_scheduler(scheduler, "")
    if workers and scheduler and "://" in scheduler:
        raise AstromlpError(f"--workers {workers} starts a local cluster but --scheduler {scheduler} names an "
                            "existing one; give only one of them")
    if workers:
        with _local_cluster(workers) as client:
            yield Executor(f"LocalCluster with {workers} worker processes", client=client,
                           show_progress=show_progress)
    elif scheduler and "://" in scheduler:
        with _connect(scheduler) as client:
            yield Executor(f"Dask cluster at {scheduler}", client=client, show_progress=show_progress)
    else:
        name = scheduler or DEFAULT_SCHEDULER
        with dask.config.set(scheduler=name):  # also for computations started outside Executor.compute
            yield Executor(f"local {name} scheduler", scheduler=name, show_progress=show_progress)


#: What the nannies set before spawning a worker: one Numba thread per worker thread, as Dask pins BLAS and
#: OpenMP, so N workers fill N cores, no more. A spawned worker re-imports the main module (numba with it) before
#: the nanny's ordinary env reaches it, hence "pre-spawn".
WORKER_ENVIRON = {"NUMBA_NUM_THREADS": "1"}


@contextmanager
def _local_cluster(workers: int):
    from distributed import Client, LocalCluster

    # The nannies live in this process and write their pre-spawn environment (and PYTHONHASHSEED) into its
    # os.environ for good: put it back, or this process's next Numba compile fails ("Cannot set
    # NUMBA_NUM_THREADS to a different value once the threads have been launched").
    saved = {name: os.environ.get(name) for name in ("PYTHONHASHSEED", *WORKER_ENVIRON)}
    spawn = {f"distributed.nanny.pre-spawn-environ.{name}": value for name, value in WORKER_ENVIRON.items()}
    options = {"n_workers": workers, "threads_per_worker": 1, "processes": True, "dashboard_address": None}
    try:
        with dask.config.set(spawn), LocalCluster(**options) as cluster, Client(cluster) as client:
            _restore_environ(saved)
            yield client
    finally:
        _restore_environ(saved)


def _restore_environ(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@contextmanager
def _connect(address: str):
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise AstromlpError(f"cannot reach the Dask scheduler at {address} ({exc}); start it or check the "
                            "address given by --scheduler or [run] scheduler") from None
    with client:
        yield client
