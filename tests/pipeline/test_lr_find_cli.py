"""`astromlp lr-find CONFIG`: the range test on a config's training split, one HTML page with an inline SVG."""

import re

from click.testing import CliRunner

from astromlp.pipeline.cli import main
from astromlp.pipeline.templates import template


def test_lr_find_writes_the_page_and_prints_the_suggestion(tmp_path):
    config = tmp_path / "photoz.toml"
    config.write_text(template("photoz").replace('loss = "absolute_error"', 'loss = "squared_error"'))
    out = tmp_path / "lr.html"
    result = CliRunner().invoke(main, ["lr-find", str(config), "-o", str(out), "--steps", "60", "--start", "1e-5"])
    assert result.exit_code == 0, result.output
    suggestion = float(re.search(r"suggested learning_rate = (\S+);", result.output).group(1))
    assert 1e-5 < suggestion < 10
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and "Suggested learning rate" in page
    assert not list(tmp_path.glob("runs*"))  # nothing but the page


def test_lr_find_refuses_a_bad_config_in_one_line(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(template("photoz").replace("learning_rate = 0.01", "learning_rate = -1"))
    result = CliRunner().invoke(main, ["lr-find", str(config)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
