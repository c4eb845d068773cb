"""The command line exists from the first commit and reports its version."""

import subprocess
import sys
from importlib.metadata import version

import pytest
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


@pytest.mark.slow
def test_the_program_keeps_exit_codes_output_and_exit_handlers(tmp_path):
    """`console_main` leaves with os._exit: codes, buffered output and atexit handlers must survive that."""
    script = tmp_path / "probe.py"
    script.write_text(
        "import atexit, sys\n"
        "from astromlp.pipeline.cli import console_main\n"
        "marker = sys.argv[1]\n"
        "atexit.register(lambda: open(marker, 'w').write('handled'))\n"
        "sys.stdout.write('buffered, no newline')\n"
        "sys.argv = ['astromlp', *sys.argv[2:]]\n"
        "console_main()\n"
    )
    marker = tmp_path / "marker.txt"

    def program(*args):
        return subprocess.run([sys.executable, str(script), str(marker), *args], capture_output=True, text=True,
                              check=False)

    ok = program("--version")
    assert ok.returncode == 0 and ok.stdout.startswith("buffered, no newline" + "astromlp, version")
    assert marker.read_text() == "handled"
    bad = program("run", str(tmp_path / "missing.toml"))
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("astromlp: error:")
    usage = program("--no-such-option")
    assert usage.returncode == 2 and "no such option" in usage.stderr.lower()


def test_a_profiled_run_still_writes_its_profile(tmp_path):
    """Under a profiler the program exits normally, so cProfile can write its results after it returns."""
    stats = tmp_path / "cli.prof"
    out = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), "-m", "astromlp.pipeline.cli",
                          "--version"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert stats.stat().st_size > 0
