"""The command line exists from the first commit and reports its version."""

import subprocess
import sys
from importlib.metadata import version

from click.testing import CliRunner

from astromlp.pipeline.cli import main


def test_version_flag_prints_installed_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert version("astromlp") in result.output


def test_console_script_runs_in_a_subprocess():
    out = subprocess.run([sys.executable, "-m", "astromlp.pipeline.cli", "--version"],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("astromlp, version")
