"""Every way a user can hand astromlp something wrong, as a table: bad catalogs, configs, command-line
arguments and model files. Each gives exit code 2 and one line naming the file, key or column and what to
do; no traceback, no output file, and every input byte-identical afterwards."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from click.testing import CliRunner

from astromlp.pipeline.cli import main
from tests.robustness.conftest import file_hash, tiny_config

# A run stopped by bad data keeps the manifest of the stages that finished (so --resume can use them).
RUN_PRODUCTS = ("model.zip", "report.html", "metrics.json", "predictions.parquet")


@dataclass
class Case:
    """The command line, what its one line must say, the files it must leave alone and not create."""

    args: list[str]
    fragments: tuple[str, ...]
    inputs: list[Path] = field(default_factory=list)
    absent: list[Path] = field(default_factory=list)


@dataclass
class Kit:
    """A test's folder with its own copies of the tiny catalog and model, and ways to build a case."""

    tmp: Path
    catalog: Path
    model: Path
    finished_run: Path

    def config(self, text: str, name: str = "run.toml") -> Path:
        path = self.tmp / name
        path.write_text(text)
        return path

    def run(self, text: str, *fragments: str, extra: tuple[str, ...] = ()) -> Case:
        """`astromlp run` of a config; none of the run's products may appear."""
        path = self.config(text)
        run_dir = self.tmp / "runs" / path.stem
        return Case(["run", str(path), "--scheduler", "synchronous", "--quiet", *extra], fragments,
                    [path, self.catalog], [run_dir / name for name in RUN_PRODUCTS])

    def run_with(self, *fragments: str, **config) -> Case:
        return self.run(tiny_config(self.catalog, **config), *fragments)

    def predict(self, model: Path, catalogs: list[Path], *fragments: str, out: str = "out.parquet",
                extra: tuple[str, ...] = ()) -> Case:
        output = self.tmp / out
        return Case(["predict", str(model), *map(str, catalogs), "-o", str(output), *extra], fragments,
                    [p for p in [model, *catalogs] if p.is_file()], [output])

    def model_with(self, name: str, change: Callable[[dict, dict[str, bytes]], None]) -> Path:
        """A copy of the tiny model whose model.json (as a dict) and members (name -> bytes) `change` edits."""
        with zipfile.ZipFile(self.model) as source:
            members = {info.filename: source.read(info) for info in source.infolist()}
        document = json.loads(members.pop("model.json"))
        change(document, members)
        path = self.tmp / name
        with zipfile.ZipFile(path, "w") as target:
            if document is not None:
                target.writestr("model.json", json.dumps(document))
            for member, data in members.items():
                target.writestr(member, data)
        return path


# ---- configs -------------------------------------------------------------------------------------------

def toml_syntax(k: Kit) -> Case:
    return k.run('[task]\nkind = "classification\n', "run.toml", "not valid TOML", "fix the syntax")


def unknown_section(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog).replace("[model]", "[modle]"), "run.toml", "unknown section 'modle'",
                 "did you mean 'model'")


def unknown_key(k: Kit) -> Case:
    return k.run_with("run.toml", "[model] unknown key 'max_epoch'", "max_epochs", model="max_epoch = 3")


def wrong_type(k: Kit) -> Case:
    text = tiny_config(k.catalog).replace("test = 0.25", 'test = "a quarter"')
    return k.run(text, "run.toml", "[split] test", "expected a number")


def out_of_range(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog).replace("test = 0.25", "test = 1.5"), "[split] test = 1.5",
                 "out of range")


def split_leaves_no_training(k: Kit) -> Case:
    text = tiny_config(k.catalog).replace("test = 0.25\nvalidation = 0.15", "test = 0.6\nvalidation = 0.5")
    return k.run(text, "[split] test + validation", "leaves no training rows")


def missing_task(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog).split("[data]", 1)[1].join(["[data]", ""]), "[task] kind is required")


def missing_features(k: Kit) -> Case:
    text = tiny_config(k.catalog)
    start, stop = text.index("[features]"), text.index("[model]")
    return k.run(text[:start] + text[stop:], "run.toml", "[features] is required")


def features_not_a_table(k: Kit) -> Case:
    text = 'features = "u - g"\n' + tiny_config(k.catalog).replace('[features]\nu_g = "u - g"\ng_r = "g - r"\n'
                                                                    'r_i = "r - i"\nr = "r"\n', "")
    return k.run(text, "run.toml", "[features] must be a non-empty table")


def expression_calls_import(k: Kit) -> Case:
    hacked = k.tmp / "HACKED"
    case = k.run_with("__import__", "not an allowed function", "log10",
                      features=f'''evil = "__import__('os').system('touch {hacked}')"\n''')
    case.absent.append(hacked)
    return case


def expression_attribute(k: Kit) -> Case:
    return k.run_with("'u.real'", "forbidden attribute access", features='x = "u.real"\n')


def expression_syntax(k: Kit) -> Case:
    return k.run_with("cannot parse feature 'x' = 'u - * g'", features='x = "u - * g"\n')


def expression_unknown_column(k: Kit) -> Case:
    return k.run_with("'w'", "sdss_400.csv", features='x = "u - w"\n')


def bad_model_parameter(k: Kit) -> Case:
    return k.run_with("run.toml", "[model]", "activation", "sigmoidal", model='activation = "sigmoidal"')


def zero_hidden_units(k: Kit) -> Case:
    text = tiny_config(k.catalog).replace("hidden_layer_sizes = [8]", "hidden_layer_sizes = [0]")
    return k.run(text, "[model]", "hidden_layer_sizes")


def reserved_random_state(k: Kit) -> Case:
    return k.run_with("[model] random_state is set by the pipeline", "[run] seed", model="random_state = 3")


def missing_policy(k: Kit) -> Case:
    return k.run_with("[data] missing = \"ignore\"", "drop, impute, error", data='missing = "ignore"')


def scheduler_in_config(k: Kit) -> Case:
    text = tiny_config(k.catalog).replace("seed = 11", 'seed = 11\nscheduler = "fast"')
    return k.run(text, "[run] scheduler 'fast'", "tcp://HOST:8786")


def empty_catalog_list(k: Kit) -> Case:
    text = tiny_config(k.catalog).replace(f'catalogs = ["{k.catalog}"]', "catalogs = []")
    return k.run(text, "[data] catalogs is empty", "list at least one catalog file")


def config_missing(k: Kit) -> Case:
    return Case(["run", str(k.tmp / "nowhere.toml")], ("nowhere.toml", "cannot read the config file"))


def config_is_a_directory(k: Kit) -> Case:
    (k.tmp / "configs").mkdir()
    return Case(["run", str(k.tmp / "configs")], ("configs", "is a directory"))


def config_not_text(k: Kit) -> Case:
    path = k.tmp / "run.toml"
    path.write_bytes(b"\xff\xfe\x00binary\x89PNG")
    return Case(["run", str(path)], ("run.toml", "UTF-8"), [path], [k.tmp / "runs"])


# ---- catalogs ------------------------------------------------------------------------------------------

def catalog_missing(k: Kit) -> Case:
    return k.run(tiny_config("nowhere.csv"), "[data] catalogs file 'nowhere.csv' not found")


def catalog_glob_matches_nothing(k: Kit) -> Case:
    return k.run(tiny_config("survey_*.fits"), "pattern 'survey_*.fits' matches no file")


def target_column_missing(k: Kit) -> Case:
    return k.run_with("'klass'", "sdss_400.csv", target="klass")


def regression_target_not_numeric(k: Kit) -> Case:
    return k.run_with("'class'", "not numeric", kind="regression", target="class")


def feature_from_text_column(k: Kit) -> Case:
    return k.run_with("'class'", "not numeric", features='label = "`class`"\nr = "r"\n')


def single_class_after_select(k: Kit) -> Case:
    return k.run_with("only the class 'STAR'", "at least two classes", data='select = { class = ["STAR"] }')


def select_column_missing(k: Kit) -> Case:
    return k.run_with("'klass'", data='select = { klass = ["STAR"] }')


def magnitude_column_missing(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog).replace("n_bootstrap = 0", 'n_bootstrap = 0\nmagnitude = "rmag"'), "'rmag'")


def missing_values_refused(k: Kit) -> Case:
    holes = k.tmp / "holes.csv"
    text = k.catalog.read_text().splitlines()
    head = text[0].split(",")
    row = text[5].split(",")
    row[head.index("g")] = ""
    holes.write_text("\n".join([*text[:5], ",".join(row), *text[6:]]) + "\n")
    case = k.run(tiny_config(holes, data='missing = "error"'), "holes.csv", "missing")
    case.inputs.append(holes)
    return case


def _catalog_file(k: Kit, name: str, data: bytes) -> Case:
    path = k.tmp / name
    path.write_bytes(data)
    case = k.run(tiny_config(path), name)
    case.inputs.append(path)
    return case


def binary_garbage_csv(k: Kit) -> Case:
    return _catalog_file(k, "garbage.csv", bytes(range(256)) * 40)


def zero_byte_csv(k: Kit) -> Case:
    return _catalog_file(k, "nothing.csv", b"")


def header_only_csv(k: Kit) -> Case:
    return _catalog_file(k, "header.csv", b"objid,ra,dec,u,g,r,i,class\n")


def ragged_csv(k: Kit) -> Case:
    lines = k.catalog.read_text().splitlines()
    lines[50] += ",1,2,3"
    return _catalog_file(k, "ragged.csv", ("\n".join(lines) + "\n").encode())


def truncated_fits(k: Kit) -> Case:
    Table.read(k.catalog).write(k.tmp / "whole.fits")
    data = (k.tmp / "whole.fits").read_bytes()
    return _catalog_file(k, "cut.fits", data[: len(data) - 9000])


def fits_without_table(k: Kit) -> Case:
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(np.zeros((4, 4)))]).writeto(buffer)
    return _catalog_file(k, "image.fits", buffer.getvalue())


def hdu_out_of_range(k: Kit) -> Case:
    Table.read(k.catalog).write(k.tmp / "cat.fits")
    case = k.run(tiny_config(k.tmp / "cat.fits", data="hdu = 7"), "cat.fits", "7")
    case.inputs.append(k.tmp / "cat.fits")
    return case


def corrupt_parquet(k: Kit) -> Case:
    return _catalog_file(k, "bad.parquet", b"PAR1" + bytes(300) + b"PAR1")


def unknown_suffix(k: Kit) -> Case:
    return _catalog_file(k, "table.dat", b"\x00\x01binary")


# ---- command line --------------------------------------------------------------------------------------

def resume_and_force(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog), "--resume and --force contradict", extra=("--resume", "--force"))


def run_directory_already_used(k: Kit) -> Case:
    shutil.copytree(k.finished_run, k.tmp / "runs" / "run")
    case = k.run(tiny_config(k.catalog), "already holds a run", "--resume")
    case.inputs += [p for p in (k.tmp / "runs" / "run").iterdir() if p.is_file() and p.name != "log.txt"]
    case.absent = []
    return case


def scheduler_option(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog), "--scheduler", "'fast'", extra=("--scheduler", "fast"))


def workers_zero(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog), "--workers", "0", extra=("--workers", "0"))


def workers_and_address(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog), "give only one", extra=("--workers", "2", "--scheduler", "tcp://h:1"))


def out_is_a_file(k: Kit) -> Case:
    (k.tmp / "taken").write_text("my notes\n")
    case = k.run(tiny_config(k.catalog), "taken", extra=("--out", str(k.tmp / "taken")))
    case.inputs.append(k.tmp / "taken")
    return case


def unknown_command(k: Kit) -> Case:
    return Case(["trian", str(k.catalog)], ("trian",), [k.catalog])


def unknown_global_option(k: Kit) -> Case:
    return Case(["--verbose", "run", str(k.catalog)], ("--verbose", "astromlp --help"), [k.catalog])


def predict_without_output(k: Kit) -> Case:
    return Case(["predict", str(k.model), str(k.catalog)], ("-o",), [k.model, k.catalog])


def predict_output_suffix(k: Kit) -> Case:
    return k.predict(k.model, [k.catalog], "out.csv", ".fits", out="out.csv")


def predict_output_folder_missing(k: Kit) -> Case:
    return k.predict(k.model, [k.catalog], "does not exist", out="missing/out.parquet")


def predict_keep_missing_column(k: Kit) -> Case:
    return k.predict(k.model, [k.catalog], "'petroRad_r'", extra=("--keep", "petroRad_r"))


def init_over_existing(k: Kit) -> Case:
    path = k.tmp / "astromlp.toml"
    path.write_text("# my config\n")
    return Case(["init", "-o", str(path)], ("astromlp.toml", "already exists", "--force"), [path])


def report_without_run(k: Kit) -> Case:
    (k.tmp / "empty").mkdir()
    return Case(["report", str(k.tmp / "empty")], ("report_inputs.json", "not found"), [],
                [k.tmp / "empty" / "report.html", k.tmp / "empty" / "metrics.json"])


def inspect_unknown_format(k: Kit) -> Case:
    return Case(["inspect", str(k.catalog), "--format", "excel"], ("excel",), [k.catalog])


# ---- model files ---------------------------------------------------------------------------------------

def model_missing(k: Kit) -> Case:
    return k.predict(k.tmp / "nowhere.zip", [k.catalog], "nowhere.zip", "does not exist")


def model_is_a_directory(k: Kit) -> Case:
    (k.tmp / "model_dir").mkdir()
    return k.predict(k.tmp / "model_dir", [k.catalog], "model_dir", "is a directory")


def model_not_a_zip(k: Kit) -> Case:
    (k.tmp / "notes.zip").write_text("my observing notes\n")
    return k.predict(k.tmp / "notes.zip", [k.catalog], "notes.zip", "not a readable zip")


def model_truncated(k: Kit) -> Case:
    data = k.model.read_bytes()
    (k.tmp / "cut.zip").write_bytes(data[: len(data) // 2])
    return k.predict(k.tmp / "cut.zip", [k.catalog], "cut.zip")


def model_without_json(k: Kit) -> Case:
    path = k.model_with("nojson.zip", lambda doc, members: None)
    with zipfile.ZipFile(path, "w") as target:
        target.writestr("theta_0.npy", b"")
    return k.predict(path, [k.catalog], "nojson.zip", "no model.json")


def model_json_damaged(k: Kit) -> Case:
    path = k.tmp / "damaged.zip"
    with zipfile.ZipFile(path, "w") as target:
        target.writestr("model.json", "{not json")
    return k.predict(path, [k.catalog], "damaged.zip", "model.json is damaged")


def model_wrong_format(k: Kit) -> Case:
    path = k.model_with("other.zip", lambda doc, members: doc.update(format="keras"))
    return k.predict(path, [k.catalog], "other.zip", "not an astromlp model file")


def model_newer_version(k: Kit) -> Case:
    path = k.model_with("future.zip", lambda doc, members: doc.update(format_version=99))
    return k.predict(path, [k.catalog], "future.zip", "upgrade astromlp")


def model_array_shape(k: Kit) -> Case:
    def shrink(doc, members):
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(3))
        members["theta_0.npy"] = buffer.getvalue()
    return k.predict(k.model_with("shape.zip", shrink), [k.catalog], "shape.zip", "theta_0.npy",
                     "does not match its architecture")


def model_object_array(k: Kit) -> Case:
    def pickled(doc, members):
        buffer = io.BytesIO()
        np.save(buffer, np.array([{"payload": 1}], dtype=object), allow_pickle=True)
        members["theta_0.npy"] = buffer.getvalue()
    return k.predict(k.model_with("pickle.zip", pickled), [k.catalog], "pickle.zip", "object arrays are refused")


def model_without_pipeline_record(k: Kit) -> Case:
    path = k.model_with("bare.zip", lambda doc, members: doc.update(metadata={}))
    return k.predict(path, [k.catalog], "bare.zip", "lacks the pipeline record", "astromlp run")


def catalog_lacks_model_feature(k: Kit) -> Case:
    lines = k.catalog.read_text().replace(",i,", ",i_band,", 1)
    (k.tmp / "renamed.csv").write_text(lines)
    return k.predict(k.model, [k.tmp / "renamed.csv"], "r_i = 'r - i'", "renamed.csv")


CASES: dict[str, Callable[[Kit], Case]] = {f.__name__: f for f in [
    toml_syntax, unknown_section, unknown_key, wrong_type, out_of_range, split_leaves_no_training, missing_task,
    missing_features, features_not_a_table, expression_calls_import, expression_attribute, expression_syntax,
    expression_unknown_column, bad_model_parameter, zero_hidden_units, reserved_random_state, missing_policy,
    scheduler_in_config, empty_catalog_list, config_missing, config_is_a_directory, config_not_text,
    catalog_missing, catalog_glob_matches_nothing, target_column_missing, regression_target_not_numeric,
    feature_from_text_column, single_class_after_select, select_column_missing, magnitude_column_missing,
    missing_values_refused, binary_garbage_csv, zero_byte_csv, header_only_csv, ragged_csv, truncated_fits,
    fits_without_table, hdu_out_of_range, corrupt_parquet, unknown_suffix,
    resume_and_force, run_directory_already_used, scheduler_option, workers_zero, workers_and_address,
    out_is_a_file, unknown_command, unknown_global_option,
    predict_without_output, predict_output_suffix, predict_output_folder_missing,
    predict_keep_missing_column, init_over_existing, report_without_run, inspect_unknown_format,
    model_missing, model_is_a_directory, model_not_a_zip, model_truncated, model_without_json,
    model_json_damaged, model_wrong_format, model_newer_version, model_array_shape, model_object_array,
    model_without_pipeline_record, catalog_lacks_model_feature]}


def _leftovers(folder: Path) -> list[str]:
    """Temporary files of an atomic write that was not completed."""
    return [str(p) for p in folder.rglob("*") if ".partial" in p.name or p.name.endswith(".tmp")]


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_one_line_exit_2_and_touches_nothing(name, tmp_path, tiny_catalog, tiny_model):
    kit = Kit(tmp_path, shutil.copy(tiny_catalog, tmp_path / tiny_catalog.name),
              shutil.copy(tiny_model, tmp_path / "model.zip"), tiny_model.parent)
    assert_one_line(CASES[name](kit), tmp_path)


def assert_one_line(case: Case, folder: Path) -> None:
    """`case` exits 2 with one error line holding its fragments, its inputs unchanged, nothing left behind."""
    before = {path: file_hash(path) for path in case.inputs}
    result = CliRunner().invoke(main, case.args)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert len(lines) == 1 and lines[0].startswith("astromlp: error: "), result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    for fragment in case.fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert {path: file_hash(path) for path in case.inputs} == before
    assert [path for path in case.absent if path.exists()] == []
    assert _leftovers(folder) == []


def test_the_table_is_wide():
    assert len(CASES) >= 30
