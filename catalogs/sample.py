"""The bundled sample catalog: 10,000 SDSS DR14 objects as a gzipped FITS table (see README for provenance)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SAMPLE_NAME = "sdss_dr14_skyserver_10k.fits.gz"


def sample_path() -> Path:
    """Path of the bundled SDSS DR14 sample (ugriz magnitudes, redshift, class) inside the installed package."""
    return Path(str(files("astromlp.catalogs") / "data" / SAMPLE_NAME))
