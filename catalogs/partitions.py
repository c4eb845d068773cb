"""Pandas chunks of a frame in row order, computing a few Dask partitions at a time (bounded memory)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import dask
import dask.dataframe as dd
import pandas as pd

PANDAS_CHUNK_ROWS = 1_000_000


def iter_chunks(df: pd.DataFrame | dd.DataFrame, window: int | None = None) -> Iterator[pd.DataFrame]:
    """`df` as consecutive pandas frames. Dask partitions are computed `window` (default: cores) at a time,
    the next window while the caller consumes the current one, so at most two windows are in memory."""
    if isinstance(df, pd.DataFrame):
        for start in range(0, len(df), PANDAS_CHUNK_ROWS):
            yield df.iloc[start:start + PANDAS_CHUNK_ROWS]
        return
    parts = df.to_delayed()
    step = max(1, window or os.cpu_count() or 1)
    windows = [parts[first:first + step] for first in range(0, len(parts), step)]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="astromlp-prefetch") as prefetch:
        pending = prefetch.submit(dask.compute, *windows[0]) if windows else None
        for following in [*windows[1:], None]:
            current = pending.result()
            pending = prefetch.submit(dask.compute, *following) if following else None
            yield from current


def meta_of(df: pd.DataFrame | dd.DataFrame) -> pd.DataFrame:
    """The empty frame that fixes column names and dtypes."""
    return df.iloc[:0] if isinstance(df, pd.DataFrame) else df._meta
