"""Magnitudes from fluxes through astropy units: AB magnitudes and SDSS asinh ("luptitude") magnitudes."""

from __future__ import annotations

import functools

import numpy as np

POGSON = 2.5 / np.log(10.0)
SDSS_SOFTENING = {"u": 1.4e-10, "g": 0.9e-10, "r": 1.2e-10, "i": 1.8e-10, "z": 7.4e-10}
"""The softening parameter b of SDSS asinh magnitudes per band (Lupton, Gunn & Szalay 1999; SDSS DR docs)."""

@functools.cache
def _units():
    """astropy.units, its photometric units and the maggy zero point, imported on first use (~0.3 s)."""
    import astropy.units as u
    from astropy.units import photometric

    return u, photometric, u.zero_point_flux(1 * photometric.AB)


def maggies_from_nanomaggies(flux: np.ndarray) -> np.ndarray:
    u, _, _ = _units()
    return (np.asarray(flux, dtype="float64") * u.nmgy).to_value(u.mgy)


def maggies_from_jansky(flux: np.ndarray) -> np.ndarray:
    """Flux density in units of the AB zero point (3631 Jy), i.e. in maggies."""
    u, photometric, _ = _units()
    return (np.asarray(flux, dtype="float64") * u.Jy).to_value(photometric.AB)


def ab_mag_from_nanomaggies(flux: np.ndarray) -> np.ndarray:
    """AB magnitude of fluxes in nanomaggies (22.5 at 1 nmgy); NaN where the flux is not positive."""
    u, photometric, maggy_zero_point = _units()
    with np.errstate(divide="ignore", invalid="ignore"):
        mags = (np.asarray(flux, dtype="float64") * u.nmgy).to(photometric.AB, maggy_zero_point).to_value(u.ABmag)
    return np.where(np.isfinite(mags), mags, np.nan)


def ab_mag_from_jansky(flux: np.ndarray) -> np.ndarray:
    """AB magnitude of flux densities in Jy (0 at 3631 Jy); NaN where the flux is not positive."""
    u, _, _ = _units()
    with np.errstate(divide="ignore", invalid="ignore"):
        mags = (np.asarray(flux, dtype="float64") * u.Jy).to_value(u.ABmag)
    return np.where(np.isfinite(mags), mags, np.nan)


def asinh_mag(maggies: np.ndarray, softening: float | np.ndarray) -> np.ndarray:
    """m = -(2.5 / ln 10) [asinh(f / 2b) + ln b]: finite for zero and negative fluxes, AB-like when bright."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return -POGSON * (np.arcsinh(maggies / (2.0 * softening)) + np.log(softening))


def asinh_mag_from_nanomaggies(flux: np.ndarray, softening: float | np.ndarray) -> np.ndarray:
    return asinh_mag(maggies_from_nanomaggies(flux), softening)


def asinh_mag_from_jansky(flux: np.ndarray, softening: float | np.ndarray) -> np.ndarray:
    return asinh_mag(maggies_from_jansky(flux), softening)
