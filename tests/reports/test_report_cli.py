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
    result = CliRunner().invoke(main, ["report", str(run_dir), "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(run_dir / "report.html")
    # the saved provenance seed seeds the bootstrap, so the rebuild equals what the run wrote
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


def test_report_command_on_a_directory_without_inputs_fails_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert result.output.startswith("astromlp: error: ") and "report_inputs.json: not found" in result.output
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "metrics.json").exists()
