"""FITS output streamed chunk by chunk: astropy encodes each chunk, the table header is patched at the end.

FITS needs the row count (NAXIS2) in the header before the data, so the header is written with 0 rows and
rewritten in place once all chunks are out (the card keeps its length). Text columns need one width for the
whole file, which `text_widths` finds in a first pass over those columns only. Text is stored UTF-8 encoded
in columns sized in bytes (astropy decodes it on reading); column names must fit a FITS header card (printable
ASCII, at most 68 characters), which `check_column_names` checks before anything is written.
"""

from __future__ import annotations

import gzip
import io
import shutil
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning
from astropy.table import Column, MaskedColumn, Table

from astromlp.catalogs.column_meta import ColumnInfos, annotate, numpy_dtype
from astromlp.catalogs.vector_columns import vector_length, vector_values
from astromlp.errors import AstromlpError

BLOCK = 2880
CARD_LENGTH = 80
_FORMAT_KEYS = ("TTYPE", "TFORM", "TNULL")


def text_columns(meta: pd.DataFrame) -> list[str]:
    return [name for name, dtype in meta.dtypes.items()
            if pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)]


def check_column_names(names: Iterable[str], path: Path) -> None:
    """AstromlpError naming the first column whose name FITS cannot hold in its TTYPE card."""
    for name in names:
        if not (name.isascii() and name.isprintable()) or len(str(fits.Card("TTYPE1", name))) != CARD_LENGTH:
            raise AstromlpError(f"column {name!r} cannot be named in a FITS file ({path.name}): FITS column names "
                                "are printable ASCII of at most 68 characters; write a .parquet file instead")


def text_widths(df: pd.DataFrame | dd.DataFrame, meta: pd.DataFrame) -> dict[str, int]:
    """The longest UTF-8 encoding of each text column's values (at least 1 byte), the width FITS stores."""
    names = text_columns(meta)
    longest = [df[name].astype("str").str.encode("utf-8").str.len().max() for name in names]
    if isinstance(df, dd.DataFrame):
        longest = dask.compute(*longest)
    return {name: max(1, int(n)) if pd.notna(n) else 1 for name, n in zip(names, longest, strict=True)}


def _null_value(dtype: np.dtype) -> int:
    """TNULL for a nullable integer column: the most negative (or, unsigned, the largest) value."""
    return int(np.iinfo(dtype).min if dtype.kind == "i" else np.iinfo(dtype).max)


def chunk_table(chunk: pd.DataFrame, widths: Mapping[str, int], info: ColumnInfos | None) -> Table:
    """`chunk` as an astropy Table whose FITS encoding is the same for every chunk of the file."""
    columns = []
    for name, dtype in chunk.dtypes.items():
        series = chunk[name]
        if name in widths:
            encoded = series.fillna("").astype("str").str.encode("utf-8")
            values = encoded.to_numpy().astype(f"S{widths[name]}")
            columns.append(MaskedColumn(values, name=name, mask=series.isna().to_numpy()))
        elif isinstance(dtype, np.dtype):
            columns.append(Column(series.to_numpy(), name=name))
        elif vector_length(dtype) is not None:  # a vector column: TFORM "<B>E" (or D, J...) with TDIM "(<B>)"
            columns.append(Column(vector_values(series), name=name))
        else:
            base = numpy_dtype(dtype)
            filled = series.to_numpy(dtype=base, na_value=_null_value(base) if base.kind in "iu" else np.nan)
            columns.append(MaskedColumn(filled, name=name, mask=series.isna().to_numpy(),
                                        fill_value=_null_value(base) if base.kind in "iu" else None))
    return annotate(Table(columns, copy=False), info)


def _encode(table: Table) -> tuple[fits.Header, bytes]:
    """astropy's FITS encoding of `table`: the table HDU header and its data bytes (unpadded)."""
    buffer = io.BytesIO()
    table.write(buffer, format="fits")
    encoded = buffer.getvalue()
    with fits.open(io.BytesIO(encoded)) as hdul:
        header, start = hdul[1].header.copy(), hdul.fileinfo(1)["datLoc"]
    return header, encoded[start:start + header["NAXIS1"] * header["NAXIS2"]]


def _format_cards(header: fits.Header) -> list[tuple[str, object]]:
    return [(key, value) for key, value in header.items() if key.startswith(_FORMAT_KEYS)]


def _header_bytes(header: fits.Header, rows: int) -> bytes:
    header = header.copy()
    header["NAXIS2"] = rows
    return header.tostring().encode("ascii")


def _with_records(header: fits.Header, metadata: Mapping[str, str]) -> fits.Header:
    """`header` with one HIERARCH card per record (long values continue on CONTINUE cards)."""
    header = header.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VerifyWarning)  # "keyword > 8 characters: HIERARCH card created"
        for key, value in metadata.items():
            header[f"HIERARCH {key}"] = value
    return header


def _write_plain(chunks: Iterable[pd.DataFrame], meta: pd.DataFrame, path: Path, widths: Mapping[str, int],
                 info: ColumnInfos | None, metadata: Mapping[str, str]) -> int:
    header = _with_records(_encode(chunk_table(meta, widths, info))[0], metadata)
    rows = 0
    with open(path, "wb") as out:
        out.write(fits.PrimaryHDU().header.tostring().encode("ascii"))
        header_at = out.tell()
        out.write(_header_bytes(header, 0))
        for chunk in chunks:
            chunk_header, data = _encode(chunk_table(chunk, widths, info))
            if _format_cards(chunk_header) != _format_cards(header):
                raise RuntimeError(f"chunk encodes differently from the first: {_format_cards(chunk_header)}")
            out.write(data)
            rows += len(chunk)
        out.write(bytes(-(rows * header["NAXIS1"]) % BLOCK))
        out.seek(header_at)
        out.write(_header_bytes(header, rows))
    return rows


def write_fits(chunks: Iterable[pd.DataFrame], meta: pd.DataFrame, path: Path, widths: Mapping[str, int],
               info: ColumnInfos | None = None, compress: bool = False,
               metadata: Mapping[str, str] | None = None) -> int:
    """Stream `chunks` into a FITS binary table at `path` (gzip-compressed when `compress`), `metadata` as
    HIERARCH cards of its header; returns rows."""
    if not compress:
        return _write_plain(chunks, meta, path, widths, info, metadata or {})
    plain = path.with_name(path.name + ".plain")
    try:
        rows = _write_plain(chunks, meta, plain, widths, info, metadata or {})
        with open(plain, "rb") as source, gzip.open(path, "wb") as target:
            shutil.copyfileobj(source, target, length=2**22)
    finally:
        plain.unlink(missing_ok=True)
    return rows
