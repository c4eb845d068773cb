"""CSV files cut into newline-aligned byte blocks (as Dask does) and parsed by pandas block by block."""

from __future__ import annotations

import bisect
import io
from dataclasses import dataclass
from pathlib import Path

import dask
import numpy as np
import pandas as pd
from fsspec.utils import read_block

from astromlp.catalogs.columns import ColumnInfo, check_unique
from astromlp.catalogs.sources import (
    DEFAULT_PARTITION_BYTES,
    compression_of,
    conform,
    empty_table_error,
    nullable,
    reason,
)
from astromlp.errors import AstromlpError

SAMPLE_ROWS = 10_000
_PARSE_ERRORS = (ValueError, TypeError, pd.errors.ParserError)


def _sample_meta(path: Path, compression: str | None) -> pd.DataFrame:
    """Column types from the first rows; integers become nullable so later blanks still fit."""
    try:
        sample = pd.read_csv(path, nrows=SAMPLE_ROWS, compression=compression)
    except pd.errors.EmptyDataError:
        raise empty_table_error(path.name) from None
    except _PARSE_ERRORS + (UnicodeDecodeError,) as exc:
        raise AstromlpError(f"{path.name} is not a readable CSV file ({reason(exc)}); check its format") from None
    if sample.empty:
        raise empty_table_error(path.name)
    header = pd.read_csv(path, nrows=1, header=None, dtype=str, compression=compression)
    check_unique(header.iloc[0].tolist(), path.name)  # pandas would rename a second 'r' to 'r.1'
    dtypes = {name: nullable(dtype) if isinstance(dtype, np.dtype) and dtype.kind != "O" else "str"
              for name, dtype in sample.dtypes.items() if dtype.kind in "iuO" or dtype == "str"}
    return sample.iloc[:0].astype(dtypes)


def _bytes_per_row(path: Path) -> int:
    """Average line length over the first 64 KiB, for turning a row count into a block size."""
    with open(path, "rb") as handle:
        head = handle.read(2**16)
    return max(1, len(head) // max(1, head.count(b"\n")))


@dataclass
class CsvSource:
    """A CSV file; plain files split into byte blocks, compressed ones read as one block."""

    path: Path
    label: str
    compression: str | None
    blocks: list[tuple[int, int]]
    header: bytes
    row_starts: list[int]
    info: dict[str, ColumnInfo]
    meta: pd.DataFrame

    @classmethod
    def open(cls, path: Path, hdu: int | str | None = None, chunk_rows: int | None = None) -> CsvSource:
        compression = compression_of(path)
        meta = _sample_meta(path, compression)
        size = path.stat().st_size
        step = DEFAULT_PARTITION_BYTES if chunk_rows is None else chunk_rows * _bytes_per_row(path)
        blocks = [(0, size)] if compression else [(o, step) for o in range(0, size, step)]
        with open(path, "rb") as handle:
            header = read_block(handle, 0, 1, delimiter=b"\n")
        source = cls(path=path, label=path.name, compression=compression, blocks=blocks, header=header,
                     row_starts=[], meta=meta,
                     info={name: ColumnInfo(name, str(dtype)) for name, dtype in meta.dtypes.items()})
        counts = dask.compute(*[dask.delayed(source._count)(i) for i in range(len(blocks))])
        source.row_starts = [int(s) for s in np.cumsum([0, *counts])]
        if source.n_rows == 0:
            raise empty_table_error(path.name)
        return source

    @property
    def n_rows(self) -> int:
        return self.row_starts[-1]

    def _block_bytes(self, index: int) -> bytes:
        offset, length = self.blocks[index]
        with open(self.path, "rb") as handle:
            data = read_block(handle, offset, length, delimiter=b"\n")
        return data if offset == 0 else self.header + data

    def _parse(self, index: int, **options) -> pd.DataFrame:
        source = self.path if self.compression else io.BytesIO(self._block_bytes(index))
        try:
            return pd.read_csv(source, compression=self.compression, **options)
        except pd.errors.EmptyDataError:
            return self.meta.iloc[:0]
        except _PARSE_ERRORS as exc:
            first = self.row_starts[index] if self.row_starts else 0
            raise AstromlpError(f"cannot parse {self.label} near data row {first} ({reason(exc)}); check that every "
                                "row has the same columns and each column one type") from None

    def _count(self, index: int) -> int:
        return len(self._parse(index, usecols=[0], dtype=str))

    def row_ranges(self, chunk_rows: int | None) -> list[tuple[int, int]]:
        """One range per byte block (`chunk_rows` is approximated when the source is opened)."""
        pairs = zip(self.row_starts[:-1], self.row_starts[1:], strict=True)
        return [(start, stop) for start, stop in pairs if stop > start]

    def read_rows(self, start: int, stop: int, columns: list[str] | None) -> pd.DataFrame:
        first = bisect.bisect_right(self.row_starts, start) - 1
        last = bisect.bisect_left(self.row_starts, stop)
        meta = self.meta if columns is None else self.meta[columns]
        parts = [self._parse(i, usecols=list(meta.columns), dtype=meta.dtypes.to_dict())
                 for i in range(first, last)]
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        offset = start - self.row_starts[first]
        return conform(frame.iloc[offset:offset + stop - start], meta)
