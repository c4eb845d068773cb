"""Build the bundled sample catalogs/data/sdss_dr14_skyserver_10k.fits.gz from the shared SDSS CSV.

Adds units (mag on ugriz, deg on ra/dec, dimensionless redshift) and a description per column, and writes a
byte-for-byte reproducible gzip (fixed mtime). Run from the repository root:
    python benchmarks/make_sample.py [--csv ../shared/data/sdss_dr14_skyserver_10k.csv]
"""

from __future__ import annotations

import argparse
import gzip
import io
from pathlib import Path

import astropy.units as u
from astropy.table import Table

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = ROOT / ".." / "shared" / "data" / "sdss_dr14_skyserver_10k.csv"
TARGET = ROOT / "catalogs" / "data" / "sdss_dr14_skyserver_10k.fits.gz"

COLUMNS = {  # name: (unit, description)
    "objid": (None, "SDSS PhotoObj object id; only 3 significant digits survived the export, not unique"),
    "ra": (u.deg, "Right ascension (J2000)"),
    "dec": (u.deg, "Declination (J2000)"),
    "u": (u.mag, "u-band magnitude (SDSS PhotoObj, asinh magnitude system)"),
    "g": (u.mag, "g-band magnitude (SDSS PhotoObj, asinh magnitude system)"),
    "r": (u.mag, "r-band magnitude (SDSS PhotoObj, asinh magnitude system)"),
    "i": (u.mag, "i-band magnitude (SDSS PhotoObj, asinh magnitude system)"),
    "z": (u.mag, "z-band magnitude (SDSS PhotoObj, asinh magnitude system)"),
    "run": (None, "Imaging run number"),
    "rerun": (None, "Imaging processing rerun number"),
    "camcol": (None, "Camera column (1-6)"),
    "field": (None, "Field number within the run"),
    "specobjid": (None, "SDSS SpecObj id; only 3 significant digits survived the export, not unique"),
    "redshift": (u.dimensionless_unscaled, "Spectroscopic redshift (SpecObj z), dimensionless"),
    "plate": (None, "Spectroscopic plate number"),
    "mjd": (u.day, "Modified Julian Date of the spectroscopic observation"),
    "fiberid": (None, "Fibre number on the plate"),
    "class": (None, "Spectroscopic class: GALAXY, STAR or QSO"),
}
PROVENANCE = [
    "SDSS Data Release 14, SkyServer query joining PhotoObj to SpecObj (10,000 objects).",
    "Converted by astromlp benchmarks/make_sample.py from sdss_dr14_skyserver_10k.csv.",
    "Public SDSS data: https://www.sdss.org/collaboration/citing-sdss/ for acknowledgement.",
]


def build_table(csv: Path) -> Table:
    table = Table.read(csv, format="ascii.csv")
    for name, (unit, description) in COLUMNS.items():
        table[name].unit = unit
        table[name].description = description
    table.meta["EXTNAME"] = "SDSS_DR14"
    table.meta["ORIGIN"] = "SDSS DR14 SkyServer"
    table.meta["comments"] = PROVENANCE
    return table


def write_reproducible_gzip(table: Table, target: Path) -> None:
    plain = io.BytesIO()
    table.write(plain, format="fits")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as raw, gzip.GzipFile(filename=TARGET.stem, mode="wb", fileobj=raw, mtime=0,
                                                   compresslevel=9) as out:
        out.write(plain.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args()
    table = build_table(args.csv)
    write_reproducible_gzip(table, args.output)
    print(f"wrote {args.output} ({len(table)} rows, {args.output.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
