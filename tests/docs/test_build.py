"""The documentation builds offline with warnings as errors, and its generated references cover the code."""

import dataclasses
import inspect
import re
import subprocess
import sys
import tomllib
from html import unescape

import pytest
from numpydoc.docscrape import NumpyDocString

import astromlp.catalogs
import astromlp.nn
import astromlp.reports
from astromlp.catalogs import parse_expression
from astromlp.nn import MLPClassifier, MLPRegressor
from astromlp.pipeline.cli import main
from astromlp.pipeline.config import SECTIONS

from .conftest import DOCS


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    """Build the HTML once, exactly as CI does: -W turns every warning into a failure."""
    out = tmp_path_factory.mktemp("html")
    build = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                            str(DOCS), str(out)], capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stderr
    return out


def _ids(page) -> set[str]:
    return set(re.findall(r'id="([^"]+)"', page.read_text(encoding="utf-8")))


def test_every_page_is_built(html):
    for page in ["index", "guide/pipeline", "guide/data", "guide/mlp", "guide/report", "guide/redshift-pdfs",
                 "examples", "reference/configuration", "reference/cli", "reference/api"]:
        assert (html / f"{page}.html").is_file(), page
    assert (html / "_static" / "report-classification.png").is_file()


def test_configuration_reference_has_every_key_of_the_schema(html):
    ids = _ids(html / "reference" / "configuration.html")
    for name, section in SECTIONS.items():
        assert f"config-{name}" in ids
        for field in dataclasses.fields(section):
            assert f"confval-{name}.{field.name}" in ids, (name, field.name)
    for parameter in MLPRegressor().get_params():
        assert f"confval-model.{parameter}" in ids, parameter


def test_configuration_reference_shows_rules_and_help_from_the_schema(html):
    page = (html / "reference" / "configuration.html").read_text(encoding="utf-8")
    text = " ".join(unescape(re.sub(r"<[^>]+>", "", page)).split())
    missing = SECTIONS["data"].__dataclass_fields__["missing"].metadata["rule"]
    assert "a string: one of drop, impute, error" in text
    assert " ".join(missing.help.replace("`", "").split()[:6]) in text
    seed = SECTIONS["run"].__dataclass_fields__["seed"].metadata["rule"]
    assert f"an integer, >= 0 and <= {seed.high}" in text


def test_every_schema_key_says_what_it_means():
    for name, section in SECTIONS.items():
        for field in dataclasses.fields(section):
            assert len(field.metadata["rule"].help.split()) >= 6, (name, field.name)


def test_every_estimator_parameter_is_documented_once():
    for estimator in (MLPRegressor, MLPClassifier):  # in the class docstring, as scikit-learn does
        documented = [p.name for p in NumpyDocString(inspect.getdoc(estimator))["Parameters"]]
        assert sorted(documented) == sorted(estimator().get_params())
        assert len(documented) == len(set(documented))


def test_api_reference_documents_every_public_name(html):
    page = (html / "reference" / "api.html").read_text(encoding="utf-8")
    entries = dict(re.findall(r'<dt class="sig sig-object py" id="([^"]+)">.*?</dt>\s*<dd>(.*?)</dd>', page, re.S))
    for module in (astromlp.nn, astromlp.catalogs, astromlp.reports):
        for name in module.__all__:
            # constants are documented where they are defined (autodoc reads their docstring from that source)
            found = [key for key in entries if key.startswith(module.__name__ + ".") and key.endswith("." + name)]
            assert found, f"{module.__name__}.{name}"
            text = " ".join(unescape(re.sub(r"<[^>]+>", "", entries[found[0]])).split())
            assert len(text.split()) >= 5 and "Built-in" not in text, (name, text)  # its own docstring


def test_cli_reference_shows_every_command(html):
    text = (html / "reference" / "cli.html").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert f'id="cli-astromlp-{name}"' in text
        assert command.help.splitlines()[0] in text


def test_toml_in_the_guide_parses_and_its_features_compile():
    blocks = [block for page in sorted(DOCS.rglob("*.md"))
              for block in re.findall(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.S)]
    assert len(blocks) >= 4
    for block in blocks:
        features = tomllib.loads(block).get("features", {})
        for expression in features.values():
            columns = re.findall(r"`([^`]+)`|([A-Za-z_]\w*)", expression)
            available = [a or b for a, b in columns]
            assert parse_expression(expression, available)
