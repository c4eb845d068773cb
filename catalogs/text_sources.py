"""VOTable and ECSV catalogs: parsed whole by astropy (XML and typed text do not split), served by rows."""

from __future__ import annotations

import warnings
from pathlib import Path
from xml.parsers.expat import ExpatError

from astropy.io.votable.exceptions import VOWarning
from astropy.table import Table

from astromlp.catalogs.sources import TableSource, reason
from astromlp.errors import AstromlpError

_ASTROPY_READ_ERRORS = (ValueError, OSError, IndexError, KeyError, TypeError, ExpatError)


def _read(path: Path, kind: str, **options) -> Table:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", VOWarning)
            return Table.read(path, **options)
    except _ASTROPY_READ_ERRORS as exc:
        raise AstromlpError(f"{path.name} is not a readable {kind} file ({reason(exc)}); check that it is complete "
                            f"and really {kind}") from None


def open_votable(path: Path, hdu: int | str | None = None, chunk_rows: int | None = None) -> TableSource:
    """The VOTable's first table, or the one `hdu` names by index or ID."""
    table_id = int(hdu) if isinstance(hdu, str) and hdu.strip().isdigit() else hdu
    label = path.name if hdu is None else f"{path.name} table {hdu}"
    return TableSource.from_table(path, label, _read(path, "VOTable", format="votable", table_id=table_id))


def open_ecsv(path: Path, hdu: int | str | None = None, chunk_rows: int | None = None) -> TableSource:
    return TableSource.from_table(path, path.name, _read(path, "ECSV", format="ascii.ecsv"))
