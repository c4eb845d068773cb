"""The table of catalog formats: how each is recognised (content, then suffix), opened and written."""

from __future__ import annotations

import bz2
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from astromlp.catalogs.csv_source import CsvSource
from astromlp.catalogs.parquet_source import ParquetSource
from astromlp.catalogs.sources import Source, compression_of, reason
from astromlp.errors import AstromlpError

HEAD_BYTES = 4096
_DECOMPRESSORS = {"gzip": gzip.open, "bzip2": bz2.open}
_COMPRESSED_SUFFIXES = (".gz", ".bz2")


def _is_votable(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith((b"<?xml", b"<VOTABLE")) and b"<VOTABLE" in head


@dataclass(frozen=True)
class Format:
    """One catalog format: its name, file suffixes, content signature (None: recognised by suffix only) and
    the opener returning its Source. Writers live in writers.WRITERS, keyed by the same names."""

    name: str
    suffixes: tuple[str, ...]
    signature: Callable[[bytes], bool] | None
    open: Callable[..., Source]


def _open_fits(*args) -> Source:  # the astropy readers are imported when such a file is opened (~0.4 s)
    from astromlp.catalogs.fits_source import FitsSource

    return FitsSource.open(*args)


def _open_hats(*args) -> Source:  # hats (optional extra) is imported when such a catalog is opened
    from astromlp.catalogs.hats_source import HatsSource

    return HatsSource.open(*args)


def _open_votable(*args) -> Source:
    from astromlp.catalogs.text_sources import open_votable

    return open_votable(*args)


def _open_ecsv(*args) -> Source:
    from astromlp.catalogs.text_sources import open_ecsv

    return open_ecsv(*args)


FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("fits", (".fits", ".fit", ".fts"), lambda head: head.startswith(b"SIMPLE  ="), _open_fits),
    Format("parquet", (".parquet", ".pq"), lambda head: head.startswith(b"PAR1"), ParquetSource.open),
    Format("votable", (".vot", ".votable", ".xml"), _is_votable, _open_votable),
    Format("ecsv", (".ecsv",), lambda head: head.startswith(b"# %ECSV"), _open_ecsv),
    Format("csv", (".csv", ".txt"), None, CsvSource.open),
    Format("hats", (), None, _open_hats),  # a directory, recognised by its properties file (see detect)
]}
"""The catalog formats astromlp reads, by name: suffixes, content signature and opener."""


def plain_suffix(path: Path) -> str:
    """The suffix that names the format, looking through .gz / .bz2 (e.g. 'sdss.fits.gz' -> '.fits')."""
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSED_SUFFIXES:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def _head(path: Path) -> bytes:
    """The first bytes of the file's content, decompressed when it is gzip or bzip2."""
    compression = compression_of(path)
    opener = _DECOMPRESSORS.get(compression, open)
    try:
        with opener(path, "rb") as handle:
            return handle.read(HEAD_BYTES)
    except (OSError, EOFError) as exc:
        raise AstromlpError(f"cannot read {path.name} ({reason(exc)}); check that the file is complete") from None


def by_name(name: str) -> Format:
    try:
        return FORMATS[name.strip().lower()]
    except KeyError:
        raise AstromlpError(f"unknown catalog format {name!r}; choose one of {', '.join(FORMATS)}") from None


def by_suffix(path: Path) -> Format | None:
    suffix = plain_suffix(path)
    return next((f for f in FORMATS.values() if suffix in f.suffixes), None)


def detect(path: Path, override: str | None = None) -> Format:
    """The format named by `override`, else recognised from content, else from the suffix; checked against
    the content whenever the format has a signature. A HATS catalog is a directory holding its properties."""
    if path.is_dir():
        if override and by_name(override).name != "hats":
            raise AstromlpError(f"{path} is a HATS catalog directory, not a {override.upper()} file; drop format=")
        return FORMATS["hats"]
    if override and by_name(override).name == "hats":
        raise AstromlpError(f"{path} is a file, not a HATS catalog directory; give the catalog's directory")
    head = _head(path)
    chosen = by_name(override) if override else None
    if chosen is None:
        chosen = next((f for f in FORMATS.values() if f.signature and f.signature(head)), None) or by_suffix(path)
    if chosen is None:
        raise AstromlpError(f"cannot tell the format of {path.name}; name it with one of the suffixes "
                            f"{', '.join(s for f in FORMATS.values() for s in f.suffixes)} or pass format=...")
    if chosen.signature and not chosen.signature(head):
        raise AstromlpError(f"{path.name} is not a {chosen.name.upper()} file (its content does not start like "
                            f"one); check the file or pass the right format")
    return chosen


def open_source(path: Path, *, hdu: int | str | None, format: str | None, chunk_rows: int | None) -> Source:
    return detect(path, format).open(path, hdu, chunk_rows)
