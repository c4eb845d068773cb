"""The pipeline's commands through click: help, init, run, predict, and every bad input as one line, exit 2."""

import re

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table
from click.testing import CliRunner

from astromlp.errors import AstromlpError
from astromlp.pipeline.cli import main


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _one_line_error(result, expected: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("astromlp: error:"), result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["run", "demo", "predict", "init"])
def test_every_command_has_help(command):
    result = _invoke(command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_init_writes_a_template_that_refuses_to_overwrite(tmp_path):
    target = tmp_path / "photoz.toml"
    assert _invoke("init", "--task", "photoz", "-o", target).exit_code == 0
    assert 'kind = "photoz"' in target.read_text()
    _one_line_error(_invoke("init", "-o", target), "already exists")


@pytest.fixture(scope="module")
def cli_run(sdss_small, tmp_path_factory, config_text):
    folder = tmp_path_factory.mktemp("cli")
    config = folder / "run.toml"
    config.write_text(config_text(sdss_small))
    result = _invoke("run", config, "--scheduler", "synchronous")
    assert result.exit_code == 0, result.output
    return folder / "runs" / "run", result


def test_run_prints_a_summary_with_the_report_path(cli_run):
    run_dir, result = cli_run
    assert f"report: {run_dir / 'report.html'}" in result.output
    assert "stages: ingest" in result.output and "MLP" in result.output


def test_predict_reproduces_the_test_predictions(cli_run, sdss_small, tmp_path):
    run_dir, _ = cli_run
    out = tmp_path / "predicted.parquet"
    result = _invoke("predict", run_dir / "model.zip", sdss_small, "-o", out)
    assert result.exit_code == 0, result.output
    predicted = pd.read_parquet(out)
    assert len(predicted) == 3000 and list(predicted.columns[:3]) == ["objid", "ra", "dec"]
    test = pd.read_parquet(run_dir / "predictions.parquet")
    rows = predicted.iloc[test["row"]]
    np.testing.assert_array_equal(rows["class_predicted"], test["class_predicted"])
    np.testing.assert_array_equal(rows["probability_QSO"], test["probability_QSO"])


def test_a_rows_prediction_does_not_depend_on_the_rows_predicted_with_it(cli_run):
    """The guarantee behind predict == evaluate: bit-identical whatever the batch size, order or neighbours."""
    from astromlp.nn import load

    run_dir, _ = cli_run
    model, X = load(run_dir / "model.zip"), np.load(run_dir / "prepared" / "X_train.npy")
    whole = model.predict_proba(X)
    order = np.random.default_rng(0).permutation(len(X))
    for size in (1, 7, 127, 128, 129, 333, 1000):
        rows = order[:size]
        np.testing.assert_array_equal(model.predict_proba(X[rows]), whole[rows])
    np.testing.assert_array_equal(model.predict_proba(X[::-1]), whole[::-1])


def test_predict_select_writes_only_the_rows_passing_it(cli_run, sdss_small, tmp_path):
    run_dir, _ = cli_run
    everything, bright = tmp_path / "all.parquet", tmp_path / "bright.parquet"
    assert _invoke("predict", run_dir / "model.zip", sdss_small, "-o", everything).exit_code == 0
    result = _invoke("predict", run_dir / "model.zip", sdss_small, "-o", bright, "--select",
                     "(r < 18) & isin(`class`, ['GALAXY', 'QSO'])")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(sdss_small)
    chosen = (table["r"] < 18) & table["class"].isin(["GALAXY", "QSO"])
    predicted = pd.read_parquet(bright)
    assert 0 < len(predicted) == int(chosen.sum()) and f"wrote {len(predicted)} rows" in result.output
    expected = pd.read_parquet(everything)[chosen.to_numpy()]
    np.testing.assert_array_equal(predicted["objid"], expected["objid"])
    np.testing.assert_array_equal(predicted["probability_QSO"], expected["probability_QSO"])


def test_predict_select_errors_are_one_line(cli_run, sdss_small, tmp_path):
    run_dir, _ = cli_run
    out = tmp_path / "none.parquet"
    _one_line_error(_invoke("predict", run_dir / "model.zip", sdss_small, "-o", out, "--select", "r < 19 & g < 20"),
                    "--select 'r < 19 & g < 20' joins '19' and 'g' with a bitwise operator")
    _one_line_error(_invoke("predict", run_dir / "model.zip", sdss_small, "-o", out, "--select", "rmag < 19"),
                    "no column 'rmag'")
    assert not out.exists()


def test_predict_writes_fits_with_missing_rows_marked(cli_run, sdss_small, tmp_path):
    run_dir, _ = cli_run
    table = pd.read_csv(sdss_small).head(50)
    table.loc[3, "u"] = np.nan
    source = tmp_path / "few.csv"
    table.to_csv(source, index=False)
    out = tmp_path / "predicted.fits"
    assert _invoke("predict", run_dir / "model.zip", source, "-o", out).exit_code == 0
    written = Table.read(out)
    assert len(written) == 50
    label, proba = written["class_predicted"], written["probability_GALAXY"]
    assert np.ma.is_masked(label[3]) and label[4] in {"GALAXY", "STAR", "QSO"}
    assert np.ma.is_masked(proba[3]) and 0 <= proba[4] <= 1


def test_predict_with_a_catalog_lacking_the_features(cli_run, tmp_path):
    run_dir, _ = cli_run
    other = tmp_path / "other.csv"
    pd.DataFrame({"objid": [1, 2], "ra": [1.0, 2.0], "dec": [0.0, 0.1], "mag_u": [20.0, 21.0]}).to_csv(other)
    _one_line_error(_invoke("predict", run_dir / "model.zip", other, "-o", tmp_path / "x.parquet"),
                    "needs feature u_g = 'u - g'")
    assert not (tmp_path / "x.parquet").exists()


def test_predict_with_a_file_that_is_not_a_model(tmp_path, sdss_small):
    fake = tmp_path / "model.zip"
    fake.write_text("not a zip")
    _one_line_error(_invoke("predict", fake, sdss_small, "-o", tmp_path / "x.parquet"), "model.zip")


@pytest.mark.parametrize("case, expected", [
    ("config_error", "[task] kind = \"clasification\" is not one of"),
    ("missing_config", "cannot read the config file"),
    ("no_target", "no column 'klass'"),
    ("one_class", "only the class 'STAR'"),
    ("too_few_rows", "too few rows for the split: class 'QSO' has 2 rows"),
    ("unwritable_out", "is not writable"),
    ("unreachable_scheduler", "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
    ("resume_and_force", "--resume and --force contradict"),
    ("foreign_out", "is not empty and holds no astromlp run (no manifest.json)"),
    ("unknown_scheduler", "--scheduler: scheduler 'thread' is neither"),
])
def test_bad_input_is_one_line_and_exit_code_2(case, expected, sdss_small, tmp_path, config_text):
    config, args = tmp_path / "run.toml", []
    text = config_text(sdss_small)
    if case == "config_error":
        text = text.replace('kind = "classification"', 'kind = "clasification"')
    elif case == "no_target":
        text = config_text(sdss_small, target="klass")
    elif case == "one_class":
        text = config_text(sdss_small, extra_data='select = { class = ["STAR"] }')
    elif case == "too_few_rows":
        table = pd.read_csv(sdss_small)
        tiny = tmp_path / "tiny.csv"
        pd.concat([table[table["class"] != "QSO"].head(40), table[table["class"] == "QSO"].head(2)]).to_csv(tiny)
        text = config_text(tiny)
    elif case == "unwritable_out":
        (tmp_path / "blocker").write_text("a file, not a folder")
        args = ["--out", tmp_path / "blocker" / "run"]
    elif case == "unreachable_scheduler":
        args = ["--scheduler", "tcp://127.0.0.1:9"]
    elif case == "unknown_scheduler":
        args = ["--scheduler", "thread"]
    elif case == "foreign_out":
        (tmp_path / "mine").mkdir()
        (tmp_path / "mine" / "report.html").write_text("the user's report")
        args = ["--out", tmp_path / "mine", "--force"]
    elif case == "resume_and_force":
        args = ["--resume", "--force"]
    if case != "missing_config":
        config.write_text(text)
    _one_line_error(_invoke("run", config, *args), expected)


def test_debug_lets_the_error_propagate_with_its_traceback(tmp_path):
    result = _invoke("--debug", "run", tmp_path / "absent.toml")
    assert isinstance(result.exception, AstromlpError) and result.exc_info[2] is not None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["init", "--task", "bogus"], r"'bogus' is not one of .* \(see astromlp init --help\)"),
        (["run"], r"Missing argument 'CONFIG'\. \(see astromlp run --help\)"),
        (["frob"], r"No such command 'frob'\. \(see astromlp --help\)"),
        (["demo", "--bogus-option"], r"No such option.*--bogus-option.*\(see astromlp demo --help\)"),
    ],
)
def test_usage_errors_are_one_line_with_where_to_look(args, expected):
    result = CliRunner().invoke(main, args, prog_name="astromlp")
    _one_line_error(result, "")
    assert re.search(expected, result.stderr)


def test_a_bare_astromlp_shows_its_help():
    result = CliRunner().invoke(main, [], prog_name="astromlp")
    assert result.exit_code == 0 and result.output.startswith("Usage: astromlp")


def test_predict_keeps_the_units_and_descriptions_of_the_columns_it_copies(cli_run, sdss_small, tmp_path):
    run_dir, _ = cli_run
    table = Table.from_pandas(pd.read_csv(sdss_small).head(40))
    table["ra"].unit, table["ra"].description = "deg", "Right ascension (J2000)"
    table["dec"].unit = "deg"
    source, out = tmp_path / "few.fits", tmp_path / "predicted.fits"
    table.write(source)
    assert _invoke("predict", run_dir / "model.zip", source, "-o", out).exit_code == 0
    written = Table.read(out)
    assert written["ra"].unit == "deg" and written["dec"].unit == "deg"
    assert written["ra"].description == "Right ascension (J2000)"
    np.testing.assert_array_equal(written["ra"], table["ra"])
