"""Tiny real catalogs and configs for the robustness suite: a few hundred SDSS rows, a few epochs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SDSS = SHARED_DATA / "sdss_dr14_skyserver_10k.csv"


def tiny_config(catalog: Path | str, *, kind: str = "classification", target: str = "class", data: str = "",
                features: str = 'u_g = "u - g"\ng_r = "g - r"\nr_i = "r - i"\nr = "r"\n', model: str = "",
                extra: str = "") -> str:
    """A config that trains in about a second: 8 hidden units, a few epochs, no bootstrap."""
    return (f'[task]\nkind = "{kind}"\ntarget = "{target}"\n'
            f'[data]\ncatalogs = ["{catalog}"]\nkeep_columns = ["objid", "ra", "dec"]\n{data}\n'
            f"[features]\n{features}\n"
            f"[model]\nhidden_layer_sizes = [8]\nmax_epochs = 6\nbatch_size = 64\nn_starts = 2\n{model}\n"
            '[split]\ntest = 0.25\nvalidation = 0.15\n[run]\nseed = 11\n[report]\nn_bootstrap = 0\n' + extra)


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def sdss_table() -> pd.DataFrame:
    """The first 400 rows of the real SDSS DR14 sample (all three classes)."""
    return pd.read_csv(SDSS, nrows=400)


@pytest.fixture(scope="session")
def tiny_catalog(tmp_path_factory, sdss_table) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "sdss_400.csv"
    sdss_table.to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, tiny_catalog) -> Path:
    """model.zip of one finished tiny classification run."""
    from astromlp.pipeline.config import load_config
    from astromlp.pipeline.runner import RunOptions, run

    config = tmp_path_factory.mktemp("model") / "model.toml"
    config.write_text(tiny_config(tiny_catalog))
    result = run(load_config(config), RunOptions(scheduler="synchronous", quiet=True))
    return result.run_dir / "model.zip"


# What the run-directory and kill/resume tests run: a regression, whose report (three figures) costs a third of a
# classification's (six, per class), while every stage writes and resumes the same way.
RUN_KIND = {"kind": "regression", "target": "redshift"}


@pytest.fixture(scope="session")
def config(tmp_path_factory, tiny_catalog) -> Path:
    """A tiny run's config, in a folder of its own."""
    path = tmp_path_factory.mktemp("run") / "run.toml"
    path.write_text(tiny_config(tiny_catalog, **RUN_KIND))
    return path


@pytest.fixture(scope="session")
def reference(config) -> Path:
    """The run directory of `config` run once to the end: what every resumed run must reproduce."""
    from astromlp.pipeline.config import load_config
    from astromlp.pipeline.runner import RunOptions, run

    out = config.parent / "reference"
    run(load_config(config), RunOptions(out=out, scheduler="synchronous", quiet=True))
    return out
