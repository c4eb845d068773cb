"""Classes of input that were skipped, ignored, answered with a traceback or a hang, or echoed raw to the
terminal (issue 16 sections 3-5), one table per class: every row must be read in full, refused with one line,
or printed with its control characters escaped."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import Column, Table
from click.testing import CliRunner

from astromlp.catalogs import describe_columns, inspect_text, read
from astromlp.errors import printable
from astromlp.pipeline.cli import main
from astromlp.pipeline.config import load_config
from tests.robustness.conftest import tiny_config
from tests.robustness.test_bad_input import Case, Kit, assert_one_line

# ---- columns that exist are read, none skipped ------------------------------------------------------------

VOTABLE = """<?xml version="1.0"?>
<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE><TABLE>
<FIELD name="id" datatype="int"/><FIELD name="cls" datatype="char" arraysize="*"/>
<FIELD name="name" datatype="unicodeChar" arraysize="*"/><FIELD name="flux" datatype="double" arraysize="2"/>
<FIELD name="flux_1" datatype="double"/><FIELD name="c" datatype="doubleComplex"/>
<FIELD name="spectrum" datatype="float" arraysize="*"/>
<DATA><TABLEDATA>
<TR><TD>1</TD><TD>GALAXY</TD><TD>M 31 Andrómeda</TD><TD>1.5 2.5</TD><TD>9</TD><TD>1 2</TD><TD>1 2 3</TD></TR>
<TR><TD>2</TD><TD>STAR</TD><TD>Vega</TD><TD>3.5 4.5</TD><TD>8</TD><TD>-3 0.5</TD><TD>4</TD></TR>
</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>
"""
EXPECTED = {"id": [1, 2], "cls": ["GALAXY", "STAR"], "name": ["M 31 Andrómeda", "Vega"], "flux[0]": [1.5, 3.5],
            "flux[1]": [2.5, 4.5], "flux_1": [9.0, 8.0], "c_real": [1.0, -3.0], "c_imag": [2.0, 0.5]}


def _astropy_table() -> Table:
    return Table({"id": [1, 2], "cls": ["GALAXY", "STAR"], "flux": [[1.5, 2.5], [3.5, 4.5]],
                  "flux_1": [9.0, 8.0], "c": np.array([1 + 2j, -3 + 0.5j])})


def _votable(path: Path) -> Path:
    path.write_text(VOTABLE, encoding="utf-8")
    return path


def _fits(path: Path) -> Path:
    _astropy_table().write(path)
    return path


def _fits_gz(path: Path) -> Path:
    _astropy_table().write(path.with_suffix(""))
    subprocess.run(["gzip", str(path.with_suffix(""))], check=True)
    return path


def _ecsv(path: Path) -> Path:
    _astropy_table().write(path)
    return path


FORMATS: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "votable_text_vector_complex": ("cat.vot", _votable),
    "fits_vector_beside_element_name_and_complex": ("cat.fits", _fits),
    "gzip_fits_streamed": ("cat.fits.gz", _fits_gz),
    "ecsv_vector_and_complex": ("cat.ecsv", _ecsv),
}


@pytest.mark.parametrize("name", FORMATS)
def test_every_column_is_read_with_collision_free_names(name, tmp_path):
    file_name, make = FORMATS[name]
    path = make(tmp_path / file_name)
    frame = read(path, chunk_rows=1).compute()
    expected = {k: v for k, v in EXPECTED.items() if k in frame.columns or k != "name"}
    assert list(frame.columns) == list(expected)
    assert {k: frame[k].tolist() for k in expected} == expected
    assert list(describe_columns(path)) == list(expected)


def test_variable_length_arrays_are_named_by_inspect_as_not_read(tmp_path):
    spectra = fits.Column(name="spectrum", format="PD()", array=np.array([[1.0, 2.0], [3.0]], dtype=object))
    fits.BinTableHDU.from_columns([fits.Column(name="id", format="K", array=[1, 2]), spectra]).writeto(
        tmp_path / "vla.fits")
    for path in (tmp_path / "vla.fits", _votable(tmp_path / "cat.vot")):
        assert "\nnot read: spectrum (variable-length arrays" in inspect_text(path)


def test_element_names_take_the_short_form_when_free(tmp_path):
    Table({"mag": [[20.0, 19.0]], "z": [np.array(0.5 - 0.25j)]}).write(tmp_path / "t.fits")
    frame = read(tmp_path / "t.fits").compute()
    assert frame.to_dict("list") == {"mag_0": [20.0], "mag_1": [19.0], "z_real": [0.5], "z_imag": [-0.25]}


def test_a_complex_column_is_a_feature_by_its_parts(tmp_path, tiny_catalog):
    table = Table.read(tiny_catalog)
    table["zc"] = Column(np.asarray(table["redshift"]) + 1j * np.asarray(table["r"]))
    table.write(tmp_path / "c.fits")
    config = tmp_path / "c.toml"
    config.write_text(tiny_config(tmp_path / "c.fits", features='a = "zc_real"\nb = "zc_imag - g"\n'))
    result = CliRunner().invoke(main, ["run", str(config), "--scheduler", "synchronous", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "ComplexWarning" not in result.output


# ---- values accepted and ignored; tracebacks where one line is due; hangs --------------------------------

def _with_column(k: Kit, name: str, values) -> Path:
    table = pd.read_csv(k.catalog)
    table[name] = values
    path = k.tmp / f"with_{len(name)}.csv"
    table.to_csv(path, index=False)
    return path


def dropout_nan(k: Kit) -> Case:
    return k.run_with("run.toml", "[model] dropout holds nan", "finite", model="dropout = [nan]")


def learning_rate_inf(k: Kit) -> Case:
    return k.run_with("[model] learning_rate holds inf", model="learning_rate = inf")


def sentinel_nan(k: Kit) -> Case:
    return k.run_with("[data] sentinels holds nan", data="sentinels = [-9999, nan]")


def split_test_nan(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog).replace("test = 0.25", "test = nan"), "[split] test holds nan")


def select_leaves_no_rows(k: Kit) -> Case:
    return k.run_with("no rows are left", "400 read", "left 0", data='select = { class = ["QUASAR"] }')


def regression_target_all_missing(k: Kit) -> Case:
    path = _with_column(k, "zspec", np.nan)
    return k.run(tiny_config(path, kind="regression", target="zspec"), "no rows are left",
                 "missing target: 400", "'zspec'")


def two_rows_left(k: Kit) -> Case:
    path = k.tmp / "two.csv"
    pd.read_csv(k.catalog).iloc[:2].to_csv(path, index=False)
    return k.run(tiny_config(path, kind="regression", target="redshift"), "too few rows for the split",
                 "has 2 rows")


def magnitude_is_text(k: Kit) -> Case:
    return k.run(tiny_config(k.catalog, extra='magnitude = "class"\n'), "[report] magnitude column 'class'",
                 "not numeric")


def keep_row_column(k: Kit) -> Case:
    path = _with_column(k, "row", np.arange(400))
    return k.run(tiny_config(path, data="").replace('keep_columns = ["objid", "ra", "dec"]',
                                                     'keep_columns = ["objid", "row"]'),
                 "[data] keep_columns 'row'", "leave it out")


def keep_predicted_column(k: Kit) -> Case:
    path = _with_column(k, "CLASS_predicted", "x")
    return k.run(tiny_config(path).replace('"dec"]', '"dec", "class_predicted"]'), "'CLASS_predicted'")


def regression_target_is_text_at_ingest(k: Kit) -> Case:
    return k.run_with("[task] target column 'class'", "not numeric", kind="photoz", target="class")


def predict_keep_overwritten(k: Kit) -> Case:
    path = _with_column(k, "class_predicted", "mine")
    return k.predict(k.model, [path], "--keep 'class_predicted'", "overwrite", extra=("--keep", "class_predicted"))


def predict_keep_probability(k: Kit) -> Case:
    path = _with_column(k, "Probability_STAR", 0.5)
    return k.predict(k.model, [path], "'Probability_STAR'", "'probability_STAR'",
                     extra=("--keep", "probability_star"))


def report_bootstrap_over_cap(k: Kit) -> Case:
    return Case(["report", str(k.finished_run), "--bootstrap", "100001"],
                ("--bootstrap", "n_bootstrap", "<= 100000"), [k.finished_run / "metrics.json"])


def long_label_to_fits(k: Kit) -> Case:
    return k.predict(k.long_label_model, [k.catalog], "cannot be named in a FITS file", "probability_",
                     ".parquet", out="out.fits")


def unicode_label_to_fits_gz(k: Kit) -> Case:
    return k.predict(k.long_label_model, [k.catalog], "printable ASCII", out="out.fits.gz")


CASES: dict[str, Callable[[Kit], Case]] = {f.__name__: f for f in [
    dropout_nan, learning_rate_inf, sentinel_nan, split_test_nan, select_leaves_no_rows,
    regression_target_all_missing, two_rows_left, magnitude_is_text, keep_row_column, keep_predicted_column,
    regression_target_is_text_at_ingest, predict_keep_overwritten, predict_keep_probability,
    report_bootstrap_over_cap, long_label_to_fits, unicode_label_to_fits_gz]}

LONG_LABELS = {"GALAXY": "GALAXY_" + "g" * 60, "STAR": "étoile ☆", "QSO": "QSO"}


@pytest.fixture(scope="session")
def long_label_model(tmp_path_factory, sdss_table) -> Path:
    """model.zip of a tiny run whose class labels make probability columns FITS cannot name."""
    from astromlp.pipeline.runner import RunOptions, run

    folder = tmp_path_factory.mktemp("labels")
    sdss_table.assign(**{"class": sdss_table["class"].map(LONG_LABELS)}).to_csv(folder / "labels.csv", index=False)
    (folder / "labels.toml").write_text(tiny_config(folder / "labels.csv"))
    return run(load_config(folder / "labels.toml"), RunOptions(scheduler="synchronous", quiet=True)).run_dir \
        / "model.zip"


@pytest.mark.parametrize("name", CASES)
def test_one_line_exit_2_and_nothing_written(name, tmp_path, tiny_catalog, tiny_model, long_label_model):
    kit = Kit(tmp_path, shutil.copy(tiny_catalog, tmp_path / tiny_catalog.name),
              shutil.copy(tiny_model, tmp_path / "model.zip"), tiny_model.parent)
    kit.long_label_model = long_label_model
    assert_one_line(CASES[name](kit), tmp_path)


def test_long_and_unicode_labels_go_to_parquet(tmp_path, tiny_catalog, long_label_model):
    out = tmp_path / "labels.parquet"
    result = CliRunner().invoke(main, ["predict", str(long_label_model), str(tiny_catalog), "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out)
    assert set(table["class_predicted"]) <= set(LONG_LABELS.values())
    assert [c for c in table.columns if c.startswith("probability_")] == [
        f"probability_{label}" for label in sorted(LONG_LABELS.values())]


def test_target_as_feature_warns_in_log_stderr_and_report(tmp_path, tiny_catalog):
    config = tmp_path / "leak.toml"
    config.write_text(tiny_config(tiny_catalog, kind="regression", target="redshift",
                                  features='u_g = "u - g"\nz2 = "redshift * 2"\n'))
    result = CliRunner().invoke(main, ["run", str(config), "--scheduler", "synchronous", "--quiet"])
    assert result.exit_code == 0, result.output
    warning = "the target column 'redshift' is an input of feature 'z2'"
    assert result.stderr.count(warning) == 1 and result.stderr.startswith("astromlp: warning: ")
    run_dir = tmp_path / "runs" / "leak"
    assert "WARNING: " + warning in (run_dir / "log.txt").read_text()
    report = (run_dir / "report.html").read_text()
    assert report.index("Warning: the target column &#39;redshift&#39; is an input") < report.index("id=\"data\"")


# ---- non-regular files are refused before they are opened (a FIFO used to hang forever) ----------------

def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _socket(path: Path) -> Path:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    return path


SPECIAL = {  # case -> (argument builder, expected fragments)
    "config_fifo": (lambda t, c, m: ["run", str(_fifo(t / "run.toml"))], ("run.toml", "named pipe (FIFO)")),
    "config_socket": (lambda t, c, m: ["run", str(_socket(t / "s.toml"))], ("s.toml", "is a socket")),
    "catalog_fifo_in_config": (
        lambda t, c, m: ["run", str(_config(t, _fifo(t / "pipe.csv")))], ("[data] catalogs", "named pipe")),
    "catalog_device_in_config": (
        lambda t, c, m: ["run", str(_config(t, Path(os.devnull)))], ("character device",)),
    "inspect_fifo": (lambda t, c, m: ["inspect", str(_fifo(t / "pipe.fits"))], ("pipe.fits", "named pipe")),
    "predict_fifo": (lambda t, c, m: ["predict", str(m), str(_fifo(t / "p.csv")), "-o", str(t / "o.parquet")],
                     ("p.csv", "named pipe")),
}


def _config(tmp: Path, catalog: Path) -> Path:
    path = tmp / "run.toml"
    path.write_text(tiny_config(catalog))
    return path


@pytest.mark.parametrize("name", SPECIAL)
def test_special_files_are_refused_without_opening_them(name, tmp_path, tiny_catalog, tiny_model):
    build, fragments = SPECIAL[name]
    args = build(tmp_path, tiny_catalog, tiny_model)
    result = subprocess.run([sys.executable, "-m", "astromlp.pipeline.cli", *args], capture_output=True,
                            text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(fragment in lines[0] for fragment in fragments), lines


# ---- names that mislead: a BOM, a `[` in an existing file name ------------------------------------------

def test_a_bom_config_reads_like_the_same_config_without_it(tmp_path, tiny_catalog):
    text = tiny_config(tiny_catalog)
    (tmp_path / "plain.toml").write_text(text, encoding="utf-8")
    (tmp_path / "bom.toml").write_text(text, encoding="utf-8-sig")
    assert (tmp_path / "bom.toml").read_bytes()[:3] == b"\xef\xbb\xbf"
    plain, bom = load_config(tmp_path / "plain.toml"), load_config(tmp_path / "bom.toml")
    assert bom.resolved() | {"config_file": ""} == plain.resolved() | {"config_file": ""}


@pytest.mark.parametrize("name", ["sdss[1].csv", "sdss[a-z].csv", "what?.csv", "star*.csv"])
def test_an_existing_name_with_glob_characters_is_taken_literally(name, tmp_path, tiny_catalog):
    shutil.copy(tiny_catalog, tmp_path / name)
    shutil.copy(tiny_catalog, tmp_path / "sdss1.csv")  # what `sdss[1].csv` would match as a glob
    (tmp_path / "run.toml").write_text(tiny_config(name))
    assert load_config(tmp_path / "run.toml").catalog_paths == ((tmp_path / name).resolve(),)
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / name)])
    assert result.exit_code == 0 and result.stdout.startswith(f"{name}: CSV, 400 rows"), result.output


# ---- terminal safety ------------------------------------------------------------------------------------

ESCAPES = {  # raw text -> how a terminal must see it
    "\x1b]0;pwned\x07": "\\x1b]0;pwned\\x07",  # OSC: retitle the terminal, BEL-terminated
    "\x1b[2J\x1b[H": "\\x1b[2J\\x1b[H",  # CSI: clear the screen, cursor home
    "\x9b31m": "\\x9b31m",  # C1 CSI: red text
    "a\x7fb\x00c": "a\\x7fb\\x00c",  # DEL and NUL
    "line\nbreak\r\tx": "line\\nbreak\\r\\tx",
    "Andrómeda ☆ 天体": "Andrómeda ☆ 天体",  # printable Unicode is kept
}


@pytest.mark.parametrize("raw", ESCAPES)
def test_printable_escapes_control_characters_only(raw):
    assert printable(raw) == ESCAPES[raw]


EVIL = "mag\x1b]0;pwned\x07\x1b[2J"


def _no_controls(text: str) -> bool:
    return not any(ord(ch) < 32 and ch != "\n" or 127 <= ord(ch) < 160 for ch in text)


def test_inspect_escapes_column_names_units_descriptions_and_values(tmp_path):
    table = Table({EVIL: [1.0, 2.0, 3.0], "kind": ["A\x1b[31m", "A\x1b[31m", "B"]})
    table[EVIL].unit, table[EVIL].description = "mag", "clears \x1b[2J the screen"
    table.write(tmp_path / "evil.ecsv")
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "evil.ecsv")])
    assert result.exit_code == 0, result.output
    assert _no_controls(result.stdout), result.stdout
    assert "mag\\x1b]0;pwned\\x07\\x1b[2J" in result.stdout and "clears \\x1b[2J the screen" in result.stdout
    assert "  kind: A\\x1b[31m 2, B 1" in result.stdout


def test_error_lines_escape_catalog_derived_names(tmp_path):
    path = tmp_path / "x\x1b]0;t\x07.fits"
    path.write_bytes(b"SIMPLE  = garbage" * 200)
    result = CliRunner().invoke(main, ["inspect", str(path)])
    assert result.exit_code == 2 and _no_controls(result.stderr), result.stderr
    assert "x\\x1b]0;t\\x07.fits" in result.stderr


def test_inspect_value_counts_give_the_class_balance(tmp_path, sdss_table):
    sdss_table.to_csv(tmp_path / "s.csv", index=False)
    counts = sdss_table["class"].value_counts()
    text = inspect_text(tmp_path / "s.csv")
    expected = ", ".join(f"{label} {count:,}" for label, count in counts.items())
    assert f"  class: {expected}" in text.splitlines()
    ids = pd.DataFrame({"name": [f"obj{i}" for i in range(1500)], "k": ["a"] * 1499 + ["b"]})
    ids.to_csv(tmp_path / "ids.csv", index=False)
    lines = inspect_text(tmp_path / "ids.csv").splitlines()
    assert "  name: more than 1,000 distinct values" in lines and "  k: a 1,499, b 1" in lines
