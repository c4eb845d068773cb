"""The config is validated into one object before anything runs; every mistake names file, key and fix."""

import json
from pathlib import Path

import pytest

from astromlp.errors import AstromlpError
from astromlp.pipeline.config import load_config, parse_config
from astromlp.pipeline.kinds import TASK_KINDS
from astromlp.pipeline.models import estimator_class
from astromlp.pipeline.templates import TASK_NAMES, template

MINIMAL = """
[task]
kind = "classification"
target = "class"
[data]
catalogs = ["cat.csv"]
[features]
u_g = "u - g"
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "cat.csv").write_text("u,g,class\n1,2,A\n")
    return tmp_path


def _error(text: str, folder: Path) -> str:
    with pytest.raises(AstromlpError) as info:
        parse_config(text, folder / "run.toml")
    message = str(info.value)
    assert "\n" not in message and str(folder / "run.toml") in message
    return message


def test_minimal_config_gets_defaults_and_absolute_paths(folder):
    config = parse_config(MINIMAL, folder / "run.toml")
    assert config.catalog_paths == ((folder / "cat.csv").resolve(),)
    assert config.split.test == 0.2 and config.split.validation == 0.1 and config.normalise.method == "standard"
    assert config.data.missing == "drop" and config.run.seed == 0
    assert config.run_dir == (folder / "runs" / "run").resolve()
    assert config.features == {"u_g": "u - g"}


def test_paths_are_relative_to_the_config_file(folder):
    (folder / "sub").mkdir()
    (folder / "sub" / "a.csv").write_text("u\n1\n")
    (folder / "sub" / "b.csv").write_text("u\n1\n")
    text = MINIMAL.replace('["cat.csv"]', '["sub/*.csv"]') + '[run]\nout = "../elsewhere"\n'
    config = parse_config(text, folder / "run.toml")
    assert [p.name for p in config.catalog_paths] == ["a.csv", "b.csv"]
    assert config.run_dir == (folder.parent / "elsewhere").resolve()


@pytest.mark.parametrize("text, expected", [
    (MINIMAL.replace("[data]", "[data]\ncatalog = 1"), "[data] unknown key 'catalog'; did you mean 'catalogs'?"),
    (MINIMAL + "[splitt]\ntest = 0.1\n", "unknown section 'splitt'; did you mean 'split'?"),
    (MINIMAL.replace('"classification"', '"clasification"'), "did you mean 'classification'?"),
    (MINIMAL + "[split]\ntest = 1.5\n", "[split] test = 1.5 is out of range; expected >= 0.0 and < 1.0"),
    (MINIMAL + "[split]\ntest = 0.6\nvalidation = 0.4\n", "leaves no training rows"),
    (MINIMAL + "[split]\ntest = 0.0\n", "[split] test = 0.0 must be > 0"),
    (MINIMAL + "[run]\nseed = true\n", "[run] seed = true is a boolean; expected an integer"),
    (MINIMAL + "[run]\nworkers = 0\n", "[run] workers = 0 is out of range"),
    (MINIMAL + "[run]\nscheduler = \"thread\"\n", "[run] scheduler 'thread' is neither one of threads"),
    (MINIMAL + "[run]\nscheduler = \"tcp://h:1\"\nworkers = 2\n", "keep only one of them"),
    (MINIMAL.replace('target = "class"\n', ""), "[task] target is required; expected a string"),
    (MINIMAL.replace('["cat.csv"]', '"cat.csv"'), 'catalogs = "cat.csv" is a string; expected a list of strings'),
    (MINIMAL.replace('["cat.csv"]', '["nope.csv"]'), "catalogs file 'nope.csv' not found"),
    (MINIMAL.replace('["cat.csv"]', '["*.fits"]'), "pattern '*.fits' matches no file"),
    (MINIMAL.replace('["cat.csv"]', "[]"), "catalogs is empty"),
    (MINIMAL.replace('u_g = "u - g"', ""), "[features] must be a non-empty table"),
    (MINIMAL.replace('u_g = "u - g"', "u_g = 3"), "[features] u_g = 3"),
    (MINIMAL + "[normalise]\nmethod = \"robuts\"\n", "did you mean 'robust'?"),
    (MINIMAL + "[data.select]\nclass = []\n", "[data] select"),
    (MINIMAL.replace("[features]", "select = 'r <'\n[features]"), "[data] select = 'r <' (invalid syntax)"),
    (MINIMAL.replace("[features]", "select = 'r < 19 and g < 20'\n[features]"),
     "[data] select = 'r < 19 and g < 20' uses 'r < 19 and g < 20'; combine conditions with & (and)"),
    (MINIMAL.replace("[features]", "select = ['r < 19', '']\n[features]"), "expected a condition such as"),
    (MINIMAL.replace("[features]", "select = 3\n[features]"), "[data] select = 3 is an integer; expected a cond"),
    (MINIMAL.replace("[features]", "select = 'r < 1e999'\n[features]"), "too large for a 64-bit float"),
    (MINIMAL + "[model]\nhidden_layer_size = [8]\n", "[model] unknown key 'hidden_layer_size'; did you mean "
                                                    "'hidden_layer_sizes'?"),
    (MINIMAL + "[model]\nrandom_state = 3\n", "[model] random_state is set by the pipeline; set [run] seed"),
    (MINIMAL + "[model]\nlearning_rate = -1.0\n", "[model]"),
    (MINIMAL + "[model]\nactivation = \"rleu\"\n", "activation"),
    ("[task\n", "not valid TOML"),
])
def test_each_mistake_is_one_line_naming_file_and_key(folder, text, expected):
    assert expected in _error(text, folder)


@pytest.mark.parametrize("select, stored", [
    ("(r < 19) & (0 < z < 2)", "(r < 19) & (0 < z < 2)"),
    (["r < 19", "isnan(g)"], ("r < 19", "isnan(g)")),
    ({"class": ["GALAXY", "QSO"]}, {"class": ("GALAXY", "QSO")}),
])
def test_select_takes_a_condition_a_list_of_them_or_a_table(folder, select, stored):
    line = f"select = {json.dumps(select)}\n" if not isinstance(select, dict) else \
        "select = { class = [\"GALAXY\", \"QSO\"] }\n"
    config = parse_config(MINIMAL.replace("[features]", line + "[features]"), folder / "run.toml")
    assert config.data.select == stored


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(AstromlpError, match="cannot read the config file"):
        load_config(tmp_path / "absent.toml")


@pytest.mark.parametrize("task", TASK_NAMES)
def test_every_template_validates_against_the_bundled_sample(tmp_path, task):
    config = parse_config(template(task), tmp_path / f"{task}.toml")
    assert config.task.kind == task
    assert config.catalog_paths[0].exists()
    assert config.run_dir == (tmp_path / "runs" / task).resolve()


@pytest.mark.parametrize("task", TASK_NAMES)
def test_templates_spell_out_the_estimator_defaults(tmp_path, task):
    """`astromlp demo` and `init` train the defaults that benchmarks/bench_quality.py measures."""
    config = parse_config(template(task), tmp_path / f"{task}.toml")
    chosen = TASK_KINDS[task].template.model[0]  # the few values a task's template sets apart, with a reason
    defaults = {**estimator_class(task)().get_params(), **chosen}
    assert config.model and {key: defaults[key] for key in config.model} == config.model


@pytest.mark.parametrize("entry", ["../data/sample.csv", "../data/*.csv"])
def test_catalog_paths_are_normalised(tmp_path, entry):
    """work/../data/x.csv is data/x.csv in every message and record, for a file and for a glob."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sample.csv").write_text("u,g,r,i,z,class\n1,2,3,4,5,STAR\n")
    (tmp_path / "work").mkdir()
    text = template("classification").replace('"astromlp:sample"', f'"{entry}"')
    config = parse_config(text, tmp_path / "work" / "c.toml")
    assert config.catalog_paths == ((tmp_path / "data" / "sample.csv").resolve(),)
    assert ".." not in str(config.catalog_paths[0])


def test_a_kind_value_of_a_common_model_key_is_written_in_its_place_once():
    """photoz-pdf's three hidden layers replace the common [64, 64] line instead of adding a second key."""
    pdf, point = template("photoz-pdf"), template("photoz")
    assert pdf.count("hidden_layer_sizes = ") == 1 and "hidden_layer_sizes = [64, 64, 64]\n" in pdf
    assert point.count("hidden_layer_sizes = ") == 1 and "hidden_layer_sizes = [64, 64]\n" in point
