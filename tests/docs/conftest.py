"""Paths shared by the documentation tests: the repository, its docs and examples, the shared data."""

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
EXAMPLES = REPO / "examples"
SDSS = REPO / ".." / "shared" / "data" / "sdss_dr14_skyserver_10k.csv"


@pytest.fixture(scope="session")
def sdss_small(tmp_path_factory) -> Path:
    """The first 1500 rows of the SDSS DR14 sample (all three classes) as CSV."""
    path = tmp_path_factory.mktemp("catalogs") / "sdss_1500.csv"
    pd.read_csv(SDSS, nrows=1500).to_csv(path, index=False)
    return path
