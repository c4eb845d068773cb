"""Statements of README.md and the guides about what the code does, checked against the code (issue 17, 6)."""

from __future__ import annotations

import re
import tomllib

import pytest

from astromlp.nn import MLPClassifier, MLPRegressor
from astromlp.pipeline.commands import demo
from astromlp.pipeline.config import load_config
from astromlp.pipeline.templates import template

from .conftest import DOCS, REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
MLP_GUIDE = (DOCS / "guide" / "mlp.md").read_text(encoding="utf-8")
RUN_WRITES = re.compile(r"astromlp init --task (\w+) -o (\S+\.toml).*\nastromlp run \2\s+# writes (\S+?)/? ")


def test_the_readme_run_writes_the_run_directory_it_names(tmp_path):
    """`astromlp init --task T -o NAME.toml` then `astromlp run NAME.toml` writes where the README says."""
    found = RUN_WRITES.findall(README)
    assert found, "the README's init/run lines changed: update this test"
    for task, config_name, run_dir in found:
        (tmp_path / config_name).write_text(template(task))
        assert load_config(tmp_path / config_name).run_dir == (tmp_path / run_dir).resolve()


def test_the_demo_writes_the_folder_the_readme_names():
    folder = re.search(r"`astromlp demo` writes `([^`]+?)/?`", README).group(1)
    assert next(p for p in demo.params if p.name == "out").default == folder


def _guide_model_block() -> dict:
    block = re.search(r"```toml\n(\[model\]\n.*?)```", MLP_GUIDE, re.S).group(1)
    return tomllib.loads(block)["model"]


def test_the_mlp_guides_first_model_is_what_init_writes():
    """The guide's example [model] is the photo-z template's, key for key and value for value."""
    assert "astromlp init --task photoz" in MLP_GUIDE
    assert _guide_model_block() == tomllib.loads(template("photoz"))["model"]


@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor])
def test_the_mlp_guides_stated_defaults_are_the_estimators(estimator):
    assert "The default is one start" in MLP_GUIDE and estimator().n_starts == 1
    assert "`l2` (default 3e-4)" in MLP_GUIDE and estimator().l2 == 3e-4
    assert "`reduce_on_plateau` (default)" in MLP_GUIDE and estimator().schedule == "reduce_on_plateau"
