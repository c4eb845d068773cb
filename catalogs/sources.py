"""What every catalog reader provides (a `Source`), and the astropy Table -> pandas conversion they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from astromlp.catalogs.columns import ColumnInfo
from astromlp.errors import AstromlpError

if TYPE_CHECKING:  # astropy is imported where a FITS, VOTable or ECSV file is read: CSV and Parquet runs skip it
    from astropy.table import Table

DEFAULT_PARTITION_BYTES = 8 * 2**20
COMPRESSION_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2"}


class Source(Protocol):
    """One table in one file: its size and schema known up front, its rows read on demand by range."""

    path: Path
    label: str
    n_rows: int
    info: dict[str, ColumnInfo]
    meta: pd.DataFrame

    def row_ranges(self, chunk_rows: int | None) -> list[tuple[int, int]]: ...

    def read_rows(self, start: int, stop: int, columns: list[str] | None) -> pd.DataFrame: ...


def reason(exc: BaseException) -> str:
    """A library's error text on one line (pandas and Arrow messages can span several)."""
    return " ".join(str(exc).split())


def compression_of(path: Path) -> str | None:
    """'gzip' or 'bzip2' when the file starts with that compressor's magic number, else None."""
    with open(path, "rb") as handle:
        head = handle.read(3)
    return next((name for magic, name in COMPRESSION_MAGIC.items() if head.startswith(magic)), None)


def split_rows(n_rows: int, chunk_rows: int) -> list[tuple[int, int]]:
    """[start, stop) ranges of at most `chunk_rows` rows covering 0..n_rows."""
    return [(start, min(start + chunk_rows, n_rows)) for start in range(0, n_rows, max(1, chunk_rows))]


def rows_per_partition(chunk_rows: int | None, row_bytes: int) -> int:
    """The caller's chunk size, or enough rows for about DEFAULT_PARTITION_BYTES of table data."""
    if chunk_rows is not None:
        if int(chunk_rows) < 1:
            raise AstromlpError(f"chunk_rows must be a positive number of rows, not {chunk_rows!r}")
        return int(chunk_rows)
    return max(1, DEFAULT_PARTITION_BYTES // max(1, row_bytes))


def _is_text(col) -> bool:
    """An object column holding text (a VOTable char field of arraysize="*"), not variable-length arrays."""
    return all(isinstance(value, str) for value in np.ma.compressed(np.ma.asarray(col, dtype=object)))


def _parts(col) -> list[tuple[tuple[str, ...], np.ndarray]]:
    """(name suffix parts, values) of each scalar a column holds: itself, each vector element (j), and the
    real and imaginary part of complex values; nothing is dropped."""
    values = col.reshape(len(col), -1) if col.ndim > 1 else col.reshape(len(col), 1)
    suffixes = [(str(j),) for j in range(values.shape[1])] if col.ndim > 1 else [()]
    parts = [(suffix, values[:, j]) for j, suffix in enumerate(suffixes)]
    if col.dtype.kind == "c":
        parts = [(suffix + (side,), getattr(part, side)) for suffix, part in parts for side in ("real", "imag")]
    return parts


# Element names: name_0, name_1, ... / name_real, name_imag; when one of them is another column's name,
# every element of that column is named name[0], name[1], ... / name[real] instead.
_ELEMENT_STYLES = (lambda name, suffix: "_".join((name, *suffix)),
                   lambda name, suffix: name + "".join(f"[{part}]" for part in suffix))


def element_names(name: str, suffixes: list[tuple[str, ...]], taken: set[str]) -> list[str]:
    """Names for a column's elements that collide with no other column (case-insensitively)."""
    if suffixes == [()]:
        return [name]
    for style in _ELEMENT_STYLES:
        names = [style(name, suffix) for suffix in suffixes]
        if not {n.casefold() for n in names} & taken:
            return names
    clash = next(n for n in names if n.casefold() in taken)
    raise AstromlpError(f"vector or complex column {name!r} cannot be split into scalar columns: its element "
                        f"name {clash!r} is taken by another column; rename one of them in the file")


def flat_columns(table: Table) -> tuple[Table, dict[str, str]]:
    """`table` with every column a scalar column (vectors and complex values split, see `_parts`), and each
    flat column's source column. Only variable-length numeric arrays are left out: they have no fixed
    number of scalars."""
    from astropy.table import Column, MaskedColumn, Table

    columns, origin = [], {}
    taken = {name.casefold() for name in table.colnames}
    for col in table.itercols():
        if col.dtype.kind == "O" and not _is_text(col):
            continue
        parts = _parts(col)
        names = element_names(col.info.name, [suffix for suffix, _ in parts], taken)
        taken |= {n.casefold() for n in names}
        for flat_name, (_, values) in zip(names, parts, strict=True):
            kind = MaskedColumn if isinstance(col, MaskedColumn) else Column
            part = kind(values, name=flat_name, copy=False, unit=col.info.unit, description=col.info.description)
            columns.append(part)
            origin[flat_name] = col.info.name
    return Table(columns, copy=False), origin


def left_out(table: Table) -> tuple[str, ...]:
    """The columns of `table` that `flat_columns` leaves out (variable-length arrays), for `inspect`."""
    kept = set(flat_columns(table)[1].values())
    return tuple(name for name in table.colnames if name not in kept)


def frame_from_table(table: Table, columns: list[str] | None = None) -> pd.DataFrame:
    """A pandas frame of `table`'s values (optionally only `columns`): masked -> NaN / <NA>, text -> str."""
    from astropy.table import Table

    flat = flat_columns(table)[0]
    if columns is not None:
        flat = Table([flat[name] for name in columns], copy=False)
    frame = flat.to_pandas()
    text = [name for name, dtype in frame.dtypes.items() if pd.api.types.is_object_dtype(dtype)]
    if text:
        frame = frame.astype(dict.fromkeys(text, "str"))
    return frame


def info_from_table(table: Table, frame: pd.DataFrame) -> dict[str, ColumnInfo]:
    """ColumnInfo for each column of `frame` (converted from `table`), units and descriptions from astropy."""
    flat = flat_columns(table)[0]
    info = {}
    for name in frame.columns:
        col = flat[name]
        unit = col.info.unit
        info[name] = ColumnInfo(name=name, dtype=str(frame[name].dtype),
                                unit=None if unit is None else unit.to_string(),
                                description=col.info.description or None)
    return info


def conform(frame: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """`frame` with `meta`'s columns, order and dtypes (chunks of one file may differ, e.g. masked ints)."""
    if not frame.columns.equals(meta.columns):  # selecting columns copies the frame: only when needed
        frame = frame[list(meta.columns)]
    dtypes = frame.dtypes
    changes = {name: dtype for name, dtype in meta.dtypes.items() if dtypes[name] != dtype}
    return frame.astype(changes) if changes else frame


def with_columns(frame: pd.DataFrame, columns: dict[str, pd.Series | np.ndarray]) -> pd.DataFrame:
    """A frame of `columns` (in their order) on `frame`'s index and flags, built at once: a third of the cost
    of replacing or adding them one by one, which matters in small partitions."""
    return pd.DataFrame(columns, index=frame.index, copy=False).__finalize__(frame)


def nullable(dtype: np.dtype) -> object:
    """The pandas nullable counterpart of an integer dtype (int16 -> Int16), other dtypes unchanged."""
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pd.api.types.pandas_dtype(dtype.name.capitalize().replace("Uint", "UInt"))
    return dtype


def empty_table_error(label: str) -> AstromlpError:
    return AstromlpError(f"{label} has no rows; give a catalog that contains data")


@dataclass
class TableSource:
    """A table astropy reads whole (VOTable, ECSV): parsed once, then served in row ranges from memory."""

    path: Path
    label: str
    frame: pd.DataFrame = field(repr=False)
    info: dict[str, ColumnInfo]
    left_out: tuple[str, ...] = ()

    @classmethod
    def from_table(cls, path: Path, label: str, table: Table) -> TableSource:
        if len(table) == 0:
            raise empty_table_error(label)
        frame = frame_from_table(table)
        return cls(path=path, label=label, frame=frame, info=info_from_table(table, frame), left_out=left_out(table))

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def meta(self) -> pd.DataFrame:
        return self.frame.iloc[:0]

    def row_ranges(self, chunk_rows: int | None) -> list[tuple[int, int]]:
        row_bytes = int(self.frame.memory_usage(index=False, deep=False).sum() // max(1, self.n_rows))
        return split_rows(self.n_rows, rows_per_partition(chunk_rows, row_bytes))

    def read_rows(self, start: int, stop: int, columns: list[str] | None) -> pd.DataFrame:
        part = self.frame.iloc[start:stop]
        return part if columns is None else part[columns]
