"""README.md: its set-up commands, picture, command lines, config and Python snippet all work as shown."""

import re
import runpy
import shlex

import click
import numpy as np
from astropy.table import Table

from astromlp.pipeline.cli import main
from astromlp.pipeline.config import load_config

from .conftest import EXAMPLES, REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
SETUP_COMMANDS = ['python -m pip install . && astromlp demo', 'python -m pip install -e ".[test]" && python -m pytest']


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_the_two_setup_commands_are_there_as_ci_runs_them():
    first_block = _blocks("bash")[0]
    assert [line for line in first_block.splitlines() if line and not line.startswith("#")] == SETUP_COMMANDS


def test_ci_runs_the_readme_commands_in_order_in_one_venv():
    """.ci/run makes one fresh venv and then runs exactly the README's set-up lines, in the README's order."""
    ci = [line.strip() for line in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert sum(line.startswith("python3 -m venv") for line in ci) == 1
    venv_made = next(i for i, line in enumerate(ci) if line.startswith("python3 -m venv"))
    positions = [ci.index(command) for command in SETUP_COMMANDS]
    assert venv_made < positions[0] < positions[1], "the README's commands must run after the venv, in order"
    assert "set -euo pipefail" in ci, "a failing command (pytest's exit 5 included) must fail CI"


def test_pictures_exist():
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README)
    assert pictures
    for picture in pictures:
        assert (REPO / picture).is_file() and (REPO / picture).stat().st_size > 10_000, picture


def test_every_astromlp_command_line_parses():
    lines = [command.strip() for block in _blocks("bash") for line in block.splitlines()
             for command in line.split("#")[0].split("&&") if command.strip().startswith("astromlp ")]
    assert {shlex.split(line)[1] for line in lines} >= {"demo", "inspect", "init", "run", "predict"}
    parent = click.Context(main, info_name="astromlp")
    for line in lines:
        words = shlex.split(line)
        main.commands[words[1]].make_context(words[1], words[2:], parent=parent)  # raises on a bad option


def test_the_config_snippet_validates(tmp_path):
    Table({"mag_g": [20.1, 19.5], "mag_r": [19.6, 19.0], "mag_i": [19.3, 18.8], "z_spec": [0.1, 0.2]}).write(
        tmp_path / "my_catalog.fits")
    (tmp_path / "my-photoz.toml").write_text(_blocks("toml")[0])
    config = load_config(tmp_path / "my-photoz.toml")
    assert config.task.kind == "photoz" and list(config.features) == ["g_r", "r_i", "r"]


def test_the_slurm_example_line_parses():
    lines = [line for block in _blocks("bash") for line in block.splitlines()
             if line.startswith("python examples/slurm_cluster.py")]
    assert lines
    parse = runpy.run_path(str(EXAMPLES / "slurm_cluster.py"))["parse"]
    for line in lines:
        args = parse(shlex.split(line.split("#")[0])[2:])
        assert args.config.endswith(".toml") and args.local is None


def test_the_python_snippet_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # it saves classes.zip in the working directory
    namespace = {}
    exec(compile(_blocks("python")[0], "README.md", "exec"), namespace)
    model, same, X_test, y_test = (namespace[k] for k in ("model", "same", "X_test", "y_test"))
    assert model.score(X_test, y_test) > 0.9
    scaled = model[0].transform(X_test)
    np.testing.assert_array_equal(same.predict_proba(scaled), model[-1].predict_proba(scaled))
