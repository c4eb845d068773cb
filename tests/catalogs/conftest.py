"""Small real catalogs built with astropy in every format, plus the shared SDSS CSV."""

from __future__ import annotations

from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.table import MaskedColumn, Table

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SDSS_CSV = SHARED_DATA / "sdss_dr14_skyserver_10k.csv"
ASTROPY_FITS_DATA = Path(fits.__file__).parent / "tests" / "data"


def catalog_table(n_rows: int = 50, seed: int = 7) -> Table:
    """A catalog with units, a description, a masked int (TNULL in FITS), a masked float and text."""
    rng = np.random.default_rng(seed)
    table = Table()
    table["objid"] = np.arange(1_000_000_000_000, 1_000_000_000_000 + n_rows, dtype=np.int64)
    table["RA"] = rng.uniform(0, 360, n_rows) * u.deg
    table["Dec"] = rng.uniform(-30, 60, n_rows) * u.deg
    table["u"] = MaskedColumn(rng.uniform(16, 24, n_rows), mask=np.arange(n_rows) % 7 == 3, unit=u.mag)
    table["g"] = rng.uniform(15, 23, n_rows).astype(np.float32) * u.mag
    table["nobs"] = MaskedColumn(rng.integers(1, 30, n_rows).astype(np.int32), mask=np.arange(n_rows) % 5 == 1)
    table["class"] = np.array(["GALAXY", "STAR", "QSO"])[np.arange(n_rows) % 3]
    table["RA"].description = "Right ascension (J2000)"
    table["u"].description = "u-band PSF magnitude"
    return table


@pytest.fixture(scope="session")
def table() -> Table:
    return catalog_table()


@pytest.fixture(scope="session")
def catalog_files(tmp_path_factory, table) -> dict[str, Path]:
    """The same catalog written by astropy in every readable format."""
    root = tmp_path_factory.mktemp("catalogs")
    paths = {"fits": root / "cat.fits", "fits.gz": root / "cat.fits.gz", "votable": root / "cat.vot",
             "ecsv": root / "cat.ecsv", "parquet": root / "cat.parquet", "csv": root / "cat.csv"}
    table.write(paths["fits"], format="fits")
    table.write(paths["fits.gz"], format="fits")
    table.write(paths["votable"], format="votable")
    table.write(paths["ecsv"], format="ascii.ecsv")
    table.write(paths["parquet"], format="parquet")
    table.write(paths["csv"], format="ascii.csv")
    return paths


@pytest.fixture(scope="session")
def sdss_csv() -> Path:
    assert SDSS_CSV.exists(), f"shared data missing: {SDSS_CSV}"
    return SDSS_CSV
