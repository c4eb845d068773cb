"""Issue 23: labels cross-matched with lsdb equal astropy's `match_to_catalog_sky` within the radius."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import SkyCoord

from astromlp.catalogs.crossmatch import crossmatch_labels
from tests.catalogs.hats_samples import sdss_frame, write_hats

pytest.importorskip("lsdb")
RADIUS = 1.0
COLUMNS = ["ra", "dec", "g", "r"]


@pytest.fixture(scope="module")
def photometric() -> pd.DataFrame:
    return sdss_frame(4000)


@pytest.fixture(scope="module")
def labels(photometric) -> pd.DataFrame:
    """700 spectra: 600 within 0-1.5 arcsec of an object (some beyond the radius), 100 moved 30 arcsec away."""
    rng = np.random.default_rng(23)
    rows = rng.choice(len(photometric), 700, replace=False)
    offsets = np.r_[rng.uniform(0, 1.5, 600), np.full(100, 30.0)] * u.arcsec
    moved = SkyCoord(photometric["ra"].to_numpy()[rows] * u.deg, photometric["dec"].to_numpy()[rows] * u.deg
                     ).directional_offset_by(rng.uniform(0, 360, 700) * u.deg, offsets)
    return pd.DataFrame({"RA_spec": moved.ra.deg, "DEC_spec": moved.dec.deg,
                         "z_spec": photometric["redshift"].to_numpy()[rows] + 1e-3})


def _astropy_match(photometric: pd.DataFrame, labels: pd.DataFrame):
    catalog = SkyCoord(photometric["ra"].to_numpy() * u.deg, photometric["dec"].to_numpy() * u.deg)
    spectra = SkyCoord(labels["RA_spec"].to_numpy() * u.deg, labels["DEC_spec"].to_numpy() * u.deg)
    index, separation, _ = spectra.match_to_catalog_sky(catalog)
    within = separation.arcsec <= RADIUS
    return index[within], separation.arcsec[within], within


@pytest.mark.parametrize("as_hats", [False, True], ids=["frame", "hats-collection"])
@pytest.mark.slow
def test_crossmatch_equals_astropy_nearest_neighbour_within_the_radius(photometric, labels, as_hats,
                                                                        tmp_path):
    target = write_hats(photometric, tmp_path / "sdss", partition_rows=800, collection=True) if as_hats \
        else photometric
    match = crossmatch_labels(target, labels, ra=("ra", "RA_spec"), dec=("dec", "DEC_spec"), columns=COLUMNS,
                              label_columns=["z_spec"], radius_arcsec=RADIUS)
    index, separation, within = _astropy_match(photometric, labels)
    assert 400 < match.matched == within.sum() and match.unmatched == (~within).sum() >= 100
    assert list(match.frame.columns) == [*COLUMNS, "z_spec"]
    expected = photometric.iloc[index][COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(match.frame[COLUMNS], expected)
    np.testing.assert_array_equal(match.frame["z_spec"], labels["z_spec"][within])
    np.testing.assert_allclose(match.separations, separation, atol=1e-6)
    summary = match.summary()
    assert summary["matched"] == within.sum() and summary["separation_arcsec"]["max"] <= RADIUS
