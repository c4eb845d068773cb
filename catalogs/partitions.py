"""Pandas chunks of a frame in row order, computing a few Dask partitions at a time (bounded memory)."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import dask
import dask.dataframe as dd
import pandas as pd

PANDAS_CHUNK_ROWS = 1_000_000
T = TypeVar("T")


def iter_chunks(df: pd.DataFrame | dd.DataFrame, window: int | None = None,
                convert: Callable[[pd.DataFrame], T] | None = None) -> Iterator[pd.DataFrame | T]:
    """`df` as consecutive pandas frames, or `convert` of each (run inside the partition's own Dask task, so
    in parallel with the caller). Dask partitions are computed `window` (default: cores) at a time, the next
    window while the caller consumes the current one, so at most two windows are in memory."""
    if isinstance(df, pd.DataFrame):
        for start in range(0, len(df), PANDAS_CHUNK_ROWS):
            chunk = df.iloc[start:start + PANDAS_CHUNK_ROWS]
            yield chunk if convert is None else convert(chunk)
        return
    parts = df.to_delayed()
    if convert is not None:
        parts = [dask.delayed(convert, pure=True)(part) for part in parts]
    step = max(1, window or os.cpu_count() or 1)
    windows = [parts[first:first + step] for first in range(0, len(parts), step)]
    compute = functools.partial(dask.compute, scheduler=_scheduler())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="astromlp-prefetch") as prefetch:
        pending = prefetch.submit(compute, *windows[0]) if windows else None
        for following in [*windows[1:], None]:
            current = pending.result()
            pending = prefetch.submit(compute, *following) if following else None
            yield from current


def _scheduler() -> str | None:
    """Dask's default scheduler, but without its look for a distributed Client when `distributed` was never
    imported (none can exist then, and importing it to find out costs about half a second)."""
    if dask.config.get("scheduler", None) is None and "distributed" not in sys.modules:
        return "threads"
    return None


def meta_of(df: pd.DataFrame | dd.DataFrame) -> pd.DataFrame:
    """The empty frame that fixes column names and dtypes."""
    return df.iloc[:0] if isinstance(df, pd.DataFrame) else df._meta
