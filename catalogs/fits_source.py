"""FITS binary and ASCII tables read in row chunks: memory-mapped for plain files, streamed when compressed."""

from __future__ import annotations

import bz2
import gzip
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import astropy.units as u
import numpy as np
import pandas as pd
from astropy.io import fits
from astropy.table import MaskedColumn, Table
from astropy.utils.exceptions import AstropyWarning

from astromlp.catalogs.columns import ColumnInfo
from astromlp.catalogs.sources import (
    compression_of,
    conform,
    empty_table_error,
    flat_columns,
    frame_from_table,
    info_from_table,
    left_out,
    nullable,
    reason,
    rows_per_partition,
    split_rows,
)
from astromlp.errors import AstromlpError

BLOCK = 2880
OPENERS = {"gzip": gzip.open, "bzip2": bz2.open}
TABLE_HDUS = (fits.BinTableHDU, fits.TableHDU)
_VARIABLE_LENGTH = re.compile(r"^\d*[PQ]")
PLAIN_FORMATS = frozenset({"u1", "i2", "i4", "i8", "f4", "f8"})  # one number stored as is: B, I, J, K, E, D


def _open(path: Path) -> fits.HDUList:
    try:
        hdul = fits.open(path, memmap=True)
    except (OSError, ValueError, EOFError) as exc:
        raise AstromlpError(f"{path.name} is not a readable FITS file ({reason(exc)}); check that it is complete "
                            "and really FITS") from None
    return hdul


def _locate(path: Path, hdu: int | str | None) -> tuple[int, fits.Header, int]:
    """Index, header and data offset of the table HDU; astropy's warnings about a damaged file (it skips
    unreadable HDUs with a warning) turn a "no such HDU" into a "truncated or corrupt" error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AstropyWarning)
        try:
            with _open(path) as hdul:
                index = _select_hdu(hdul, hdu, path)
                return index, hdul[index].header, int(hdul.fileinfo(index)["datLoc"])
        except AstromlpError:
            damage = [" ".join(str(w.message).split()) for w in caught if issubclass(w.category, AstropyWarning)]
            damage += _stream_damage(path)
            if damage:
                raise AstromlpError(f"{path.name} is truncated or corrupt ({damage[0][:160]}); re-download or "
                                    "re-create it") from None
            raise
        except (OSError, TypeError, KeyError, ValueError, EOFError) as exc:
            raise AstromlpError(f"{path.name} is not a readable FITS file ({type(exc).__name__}: {reason(exc)}); "
                                "check that it is complete and really FITS") from None


def _stream_damage(path: Path) -> list[str]:
    """Why a compressed file cannot be decompressed to its end (astropy stops silently at such an end)."""
    compression = compression_of(path)
    if compression is None:
        return []
    try:
        with OPENERS[compression](path, "rb") as stream:
            while stream.read(2**22):
                pass
    except (OSError, EOFError) as exc:
        return [f"{compression} stream: {exc}"]
    return []


def _describe_hdus(hdul: fits.HDUList) -> str:
    return ", ".join(f"{i} {h.name or '(no name)'} ({type(h).__name__})" for i, h in enumerate(hdul))


def _select_hdu(hdul: fits.HDUList, hdu: int | str | None, path: Path) -> int:
    """Index of the requested table HDU (by index or EXTNAME, any case), or of the first table HDU."""
    if hdu is None:
        return _first_table(hdul, path)
    if isinstance(hdu, str) and not hdu.strip().lstrip("-").isdigit():
        named = [i for i, h in enumerate(hdul) if h.name.casefold() == hdu.strip().casefold()]
        if not named:
            raise AstromlpError(f"no HDU named {hdu!r} in {path.name}; it holds: {_describe_hdus(hdul)}")
        index = named[0]
    else:
        index = int(hdu)
        if not 0 <= index < len(hdul):
            raise AstromlpError(f"{path.name} has no HDU {index}; it holds: {_describe_hdus(hdul)}")
    if not isinstance(hdul[index], TABLE_HDUS):
        raise AstromlpError(f"HDU {hdu!r} of {path.name} is not a table (it holds: {_describe_hdus(hdul)}); "
                            "choose a binary or ASCII table HDU")
    return index


def _first_table(hdul: fits.HDUList, path: Path) -> int:
    """Index of the first table HDU, loading headers only as far as needed (compressed files stream)."""
    index = 0
    while True:
        try:
            if isinstance(hdul[index], TABLE_HDUS):
                return index
        except IndexError:
            raise AstromlpError(f"{path.name} has no table HDU (it holds: {_describe_hdus(hdul)}); "
                                "give a FITS file with a binary or ASCII table") from None
        index += 1


def _header_descriptions(header: fits.Header) -> dict[str, str]:
    """Column descriptions written as TCOMMn keywords or as comments on the TTYPEn cards."""
    found = {}
    for i in range(1, header.get("TFIELDS", 0) + 1):
        text = header.get(f"TCOMM{i}") or header.comments[f"TTYPE{i}"]
        if text:
            found[header[f"TTYPE{i}"]] = str(text)
    return found


def _ascii_table_with_nulls(hdu: fits.TableHDU) -> Table:
    """An ASCII-table HDU declaring TNULL strings, masked where the raw text is the null string.

    astropy's Table.read fails on these (it sets the string TNULL as the fill value of a numeric column),
    and FITS_rec alone turns null integers into 0, so the mask comes from the raw text fields.
    """
    raw = hdu.data.view(np.ndarray)
    columns = []
    for col in hdu.columns:
        values = hdu.data[col.name]
        if col.null is not None:
            mask = np.char.strip(raw[col.name]) == str(col.null).strip().encode("ascii")
        else:
            mask = np.isnan(values) if values.dtype.kind == "f" else np.zeros(len(values), dtype=bool)
        unit = u.Unit(col.unit, parse_strict="silent") if col.unit else None
        columns.append(MaskedColumn(values, name=col.name, mask=mask, unit=unit))
    return Table(columns)


def plain_columns(hdu: fits.BinTableHDU | fits.TableHDU, meta: pd.DataFrame) -> tuple[str, ...]:
    """The binary-table columns that are one number stored as is (no scaling, TNULL or TDIM) and arrive in
    `meta` under their own name and dtype: these are read straight from the file's bytes."""
    if not isinstance(hdu, fits.BinTableHDU):
        return ()
    return tuple(col.name for col in hdu.columns
                 if col.format.recformat in PLAIN_FORMATS and col.bscale in (None, 1) and col.bzero in (None, 0)
                 and col.null is None and col.dim is None and col.name in meta.columns
                 and meta[col.name].dtype == np.dtype(col.format.recformat))


def record_dtype(hdu: fits.BinTableHDU | fits.TableHDU) -> np.dtype:
    """The big-endian dtype of one stored row (field offsets and row size as in the file)."""
    fields = hdu.data.dtype.fields
    return np.dtype({"names": list(fields), "formats": [fields[n][0] for n in fields],
                     "offsets": [fields[n][1] for n in fields], "itemsize": hdu.data.dtype.itemsize})


def table_of_hdu(hdu: fits.BinTableHDU | fits.TableHDU) -> Table:
    """The astropy Table of a (chunk) table HDU: units kept, TNULL and NaN masked."""
    if isinstance(hdu, fits.TableHDU) and any(col.null is not None for col in hdu.columns):
        return _ascii_table_with_nulls(hdu)
    return Table.read(hdu, format="fits", unit_parse_strict="silent")  # named: identifying it imports h5py


@dataclass
class FitsSource:
    """One table HDU of a FITS file; partitions are row ranges decoded by astropy one chunk at a time."""

    path: Path
    label: str
    hdu_index: int
    header_text: str
    data_offset: int
    row_bytes: int
    n_rows: int
    compression: str | None
    info: dict[str, ColumnInfo]
    meta: pd.DataFrame
    left_out: tuple[str, ...] = ()
    plain: tuple[str, ...] = ()
    records: np.dtype | None = None

    @classmethod
    def open(cls, path: Path, hdu: int | str | None = None, chunk_rows: int | None = None) -> FitsSource:
        compression = compression_of(path)
        index, header, data_offset = _locate(path, hdu)
        label = f"{path.name} HDU {index}" + (f" ({header.get('EXTNAME')})" if header.get("EXTNAME") else "")
        n_rows, row_bytes = int(header["NAXIS2"]), int(header["NAXIS1"])
        if n_rows == 0:
            raise empty_table_error(label)
        source = cls(path=path, label=label, hdu_index=index, header_text=header.tostring(),
                     data_offset=data_offset, row_bytes=row_bytes, n_rows=n_rows,
                     compression=compression, info={}, meta=pd.DataFrame())
        source._check_complete(header)
        source._describe(header)
        return source

    def _check_complete(self, header: fits.Header) -> None:
        if self.compression is not None:
            variable = [header[f"TTYPE{i}"] for i in range(1, header["TFIELDS"] + 1)
                        if _VARIABLE_LENGTH.match(str(header[f"TFORM{i}"]))]
            if variable:
                raise AstromlpError(f"{self.label} has variable-length array column {variable[0]!r}, which "
                                    "cannot be streamed from a compressed file; decompress it first")
            return
        needed = self.data_offset + self.n_rows * self.row_bytes
        size = self.path.stat().st_size
        if size < needed:
            raise AstromlpError(f"{self.path.name} is truncated: {self.label} needs {needed} bytes but the file "
                                f"holds {size}; re-download or re-create it")

    def _describe(self, header: fits.Header) -> None:
        """Schema from the first row, with integer columns that declare TNULL made nullable."""
        table_hdu = self._chunk_hdu(0, 1)
        table = table_of_hdu(table_hdu)
        for name, text in _header_descriptions(header).items():
            if name in table.colnames and not table[name].info.description:
                table[name].info.description = text
        frame = frame_from_table(table)
        nulls = {c.name for c in table_hdu.columns if c.null is not None}
        origin = flat_columns(table)[1]
        self.left_out = left_out(table)
        dtypes = {name: nullable(np.dtype(dtype)) if origin[name] in nulls else dtype
                  for name, dtype in frame.dtypes.items() if isinstance(dtype, np.dtype)}
        self.meta = frame.iloc[:0].astype(dtypes)
        self.plain, self.records = plain_columns(table_hdu, self.meta), record_dtype(table_hdu)
        self.info = {name: ColumnInfo(name, str(self.meta[name].dtype), info.unit, info.description)
                     for name, info in info_from_table(table, frame).items()}

    def row_ranges(self, chunk_rows: int | None) -> list[tuple[int, int]]:
        return split_rows(self.n_rows, rows_per_partition(chunk_rows, self.row_bytes))

    def read_rows(self, start: int, stop: int, columns: list[str] | None) -> pd.DataFrame:
        try:
            if set(self.meta.columns if columns is None else columns) <= set(self.plain):
                return self._plain_rows(start, stop, list(self.meta.columns) if columns is None else columns)
            table = table_of_hdu(self._chunk_hdu(start, stop))
        except AstromlpError:
            raise
        except (OSError, ValueError, EOFError, TypeError) as exc:
            raise AstromlpError(f"cannot decode rows {start}-{stop} of {self.label} ({reason(exc)}); "
                                "check that the file is complete") from None
        meta = self.meta if columns is None else self.meta[columns]
        return conform(frame_from_table(table, list(meta.columns)), meta)

    def _plain_rows(self, start: int, stop: int, columns: list[str]) -> pd.DataFrame:
        """Rows [start, stop) of plain columns only: the stored rows read once, each column byte-swapped
        into a native contiguous array in one pass (astropy's path decodes, masks and copies every column)."""
        rows = np.frombuffer(self._raw_rows(start, stop), dtype=self.records)
        return pd.DataFrame({name: rows[name].astype(rows.dtype[name].newbyteorder("=")) for name in columns},
                            index=pd.RangeIndex(len(rows)), copy=False)

    def _raw_rows(self, start: int, stop: int) -> bytes | np.ndarray:
        """The stored bytes of rows [start, stop): read from the file, or decompressed from the stream."""
        size = (stop - start) * self.row_bytes
        if self.compression is None:
            return np.fromfile(self.path, dtype=np.uint8, count=size, offset=self.data_offset + start * self.row_bytes)
        with OPENERS[self.compression](self.path, "rb") as stream:
            stream.seek(self.data_offset + start * self.row_bytes)
            raw = stream.read(size)
        if len(raw) < size:
            raise AstromlpError(f"{self.path.name} is truncated: {self.label} ends before row {stop}; "
                                "re-download or re-create it")
        return raw

    def _chunk_hdu(self, start: int, stop: int) -> fits.BinTableHDU | fits.TableHDU:
        if self.compression is None:
            return self._mapped_chunk(start, stop)
        return self._streamed_chunk(start, stop)

    def _mapped_chunk(self, start: int, stop: int) -> fits.BinTableHDU | fits.TableHDU:
        """Rows [start, stop) as an HDU viewing the memory-mapped file; astropy unmaps it once unused."""
        with fits.open(self.path, memmap=True) as hdul:
            whole = hdul[self.hdu_index]
            return type(whole)(data=whole.data[start:stop], header=whole.header)

    def _streamed_chunk(self, start: int, stop: int) -> fits.BinTableHDU | fits.TableHDU:
        """Rows [start, stop) decompressed from the stream into a small in-memory HDU of the same header."""
        raw = self._raw_rows(start, stop)
        header = fits.Header.fromstring(self.header_text)
        header["NAXIS2"] = stop - start
        hdu_class = fits.BinTableHDU if header["XTENSION"].strip() == "BINTABLE" else fits.TableHDU
        return hdu_class.fromstring(header.tostring().encode("ascii") + raw + bytes(-len(raw) % BLOCK))

