"""Small real catalogs cut from the shared SDSS file, and configs that train in seconds."""

from pathlib import Path

import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SDSS = SHARED_DATA / "sdss_dr14_skyserver_10k.csv"

FEATURES = """
[features]
u_g = "u - g"
g_r = "g - r"
r_i = "r - i"
i_z = "i - z"
r = "r"
"""

MODEL = """
[model]
hidden_layer_sizes = [16]
learning_rate = 0.01
batch_size = 128
max_epochs = 15
patience = 5
n_starts = 2
"""


def _config_text(catalog: Path, *, kind="classification", target="class", extra_data="", extra="",
                model=MODEL) -> str:
    """A run config over `catalog`; `extra_data` lines go into [data], `extra` sections are appended."""
    return (f'[task]\nkind = "{kind}"\ntarget = "{target}"\n'
            f'[data]\ncatalogs = ["{catalog}"]\nkeep_columns = ["objid", "ra", "dec"]\n{extra_data}\n'
            f"{FEATURES}\n{model}\n"
            '[split]\ntest = 0.25\nvalidation = 0.15\n[run]\nseed = 7\n'
            '[report]\nn_bootstrap = 20\nmagnitude = "r"\n' + extra)


@pytest.fixture(scope="session")
def sdss_small(tmp_path_factory) -> Path:
    """The first 3000 rows of the SDSS DR14 sample (all three classes) as CSV."""
    path = tmp_path_factory.mktemp("catalogs") / "sdss_3000.csv"
    pd.read_csv(SDSS, nrows=3000).to_csv(path, index=False)
    return path


@pytest.fixture
def write_config(tmp_path):
    """Write a config file into the test's folder and return its path."""
    def write(text: str, name: str = "run.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path
    return write


@pytest.fixture(scope="session")
def config_text():
    """config_text(catalog, kind=..., target=..., extra_data=..., extra=..., model=...) -> TOML text."""
    return _config_text
