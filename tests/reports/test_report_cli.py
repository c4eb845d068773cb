"""`astromlp report RUN_DIR` rebuilds the page from a run directory's saved inputs."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from astromlp.pipeline.cli import main


def test_report_command_rebuilds_metrics_and_page(photoz_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(photoz_run, run_dir)
    (run_dir / "report.html").unlink()
    (run_dir / "metrics.json").unlink()
    result = CliRunner().invoke(main, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(run_dir / "report.html")
    # the saved provenance seed and [report] n_bootstrap set the bootstrap, so the rebuild equals the run's
    for name in ("metrics.json", "report.html"):
        assert (run_dir / name).read_bytes() == (photoz_run / name).read_bytes()


def test_report_command_honours_the_bootstrap_option(photoz_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(photoz_run, run_dir)
    result = CliRunner().invoke(main, ["report", str(run_dir), "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert (
        metrics["bootstrap"]["n_resamples"] == 0 and metrics["results"][metrics["network"]]["intervals"] == {}
    )


def _with_config_bootstrap(run_dir, count: int) -> None:
    """Rewrite the saved config text of `run_dir` so that its [report] n_bootstrap is `count`."""
    path = run_dir / "report_inputs.json"
    record = json.loads(path.read_text())
    text = record["provenance"]["config_text"]
    record["provenance"]["config_text"] = text[: text.index("n_bootstrap")] + f"n_bootstrap = {count}\n"
    path.write_text(json.dumps(record))


def test_report_command_takes_the_runs_bootstrap_count_unless_given(photoz_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(photoz_run, run_dir)
    _with_config_bootstrap(run_dir, 37)
    assert CliRunner().invoke(main, ["report", str(run_dir)]).exit_code == 0
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["bootstrap"]["n_resamples"] == 37 and metrics["bootstrap"]["n_resamples_from"] == "config"
    assert "37 paired resamples, seed 0 (count from the run&#39;s [report] n_bootstrap)" in (
        run_dir / "report.html").read_text()
    assert CliRunner().invoke(main, ["report", str(run_dir), "--bootstrap", "11"]).exit_code == 0
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["bootstrap"]["n_resamples"] == 11 and metrics["bootstrap"]["n_resamples_from"] == "given"


def test_report_command_rejects_a_bad_bootstrap_count_in_the_config_in_one_line(photoz_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(photoz_run, run_dir)
    _with_config_bootstrap(run_dir, -3)
    result = CliRunner().invoke(main, ["report", str(run_dir)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "n_bootstrap = -3" in result.output and "--bootstrap N" in result.output


def test_the_reports_default_bootstrap_count_is_the_configs():
    from astromlp.pipeline.config import ReportSection
    from astromlp.reports.html import DEFAULT_BOOTSTRAP

    assert ReportSection().n_bootstrap == DEFAULT_BOOTSTRAP


def test_report_command_on_a_directory_without_inputs_fails_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert result.output.startswith("astromlp: error: ") and "report_inputs.json: not found" in result.output
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "metrics.json").exists()


def test_report_command_bounds_an_edited_bootstrap_count_in_one_line(photoz_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(photoz_run, run_dir)
    _with_config_bootstrap(run_dir, 10**9)
    result = CliRunner().invoke(main, ["report", str(run_dir)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "report_inputs.json" in result.output and "1000000000" in result.output
