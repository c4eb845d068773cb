"""Hostile expressions, as a table: giant ones are refused by a named limit in one short line (never a
RecursionError, OverflowError or MemoryError), and names cannot be confused (NFKC folding, placeholders)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from astromlp.catalogs import compile_select, derive
from astromlp.catalogs.expressions import LIMITS
from astromlp.errors import AstromlpError
from astromlp.pipeline.cli import main
from tests.robustness.conftest import tiny_config

# class -> (expression, what the one line must say)
GIANT = {
    "very long source": ("r + " * 5000 + "r", "characters long; the limit is 10,000"),
    "thousands of terms": ("isin(r, [" + ", ".join(["7"] * 2500) + "]) & (r < 19)",
                           "has more than 2,000 terms"),
    "long sum": ("+".join(["r"] * 3000), "nested too deeply to parse; the limit is 100 levels"),
    "deep unary chain (parses)": ("-" * 150 + "r", "nested more than 100 levels deep"),
    "deep unary chain (breaks the parser)": ("-" * 9000 + "r", "nested too deeply to parse"),
    "deep parentheses": ("(" * 300 + "r" + ")" * 300, "too many nested parentheses"),
    "deep power tower": ("**".join(["r"] * 200), "nested more than 100 levels deep"),
    "huge integer literal": ("r < 1" + "0" * 100, "integer literal of 101 digits; the limit is "
                                                 "9,223,372,036,854,775,807"),
    "integer literal beyond Python's digit limit": ("r < 1" + "0" * 5000, "number literal of 5,001 digits"),
    "huge float literal": ("r < 1e999", "number literal '1e999' too large for a 64-bit float"),
}


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame({"r": [18.0, 20.0, np.nan], "g": [19.0, 21.0, 22.0]})


def _one_line(caught: pytest.ExceptionInfo, fragment: str, role: str) -> None:
    message = str(caught.value)
    assert fragment in message and role in message, message
    assert "\n" not in message and len(message) < 400, message


@pytest.mark.parametrize("case", GIANT)
def test_a_giant_select_is_one_line_naming_the_limit(frame, case):
    text, fragment = GIANT[case]
    with pytest.raises(AstromlpError) as caught:
        compile_select(text, list(frame.columns), frame.dtypes.to_dict())
    _one_line(caught, fragment, "[data] select = ")


@pytest.mark.parametrize("case", GIANT)
def test_a_giant_feature_is_one_line_naming_the_feature_and_the_limit(frame, case):
    text, fragment = GIANT[case]
    text = text.replace(" & (r < 19)", "")
    with pytest.raises(AstromlpError) as caught:
        derive(frame, {"hostile": text})
    _one_line(caught, fragment, "")
    assert "'hostile'" in str(caught.value)


def test_limits_leave_room_for_real_expressions(frame):
    """A 90-level nesting, a 1,500-term isin and a 64-bit flag mask are all fine."""
    out = derive(frame, {"deep": "-" * 90 + "r", "mask": "(r < 9223372036854775807)"})
    np.testing.assert_array_equal(out["deep"].to_numpy()[:2], [18.0, 20.0])  # an even number of minus signs
    assert out["mask"].tolist()[:2] == [1.0, 1.0] and np.isnan(out["mask"][2])  # missing r: missing feature
    cuts = compile_select("isin(r, [" + ", ".join(map(str, range(1500))) + "])", ["r"], {"r": "float64"})
    assert len(cuts) == 1 and LIMITS.depth == 100


def test_names_resolve_exactly_as_written_not_nfkc_folded():
    """Python folds the identifier `ｒ` (full-width) to `r`; the language must not."""
    both = pd.DataFrame({"r": [1.0, 2.0], "ｒ": [10.0, 20.0]})
    out = derive(both, {"full": "ｒ", "ascii": "r", "diff": "ｒ - r"})
    assert out["full"].tolist() == [10.0, 20.0] and out["ascii"].tolist() == [1.0, 2.0]
    assert out["diff"].tolist() == [9.0, 18.0]
    with pytest.raises(AstromlpError, match="no column 'ｒ'.*matched exactly as written, and 'ｒ' is not 'r'"):
        derive(pd.DataFrame({"r": [1.0]}), {"x": "ｒ + 1"})
    with pytest.raises(AstromlpError, match="calls 'ｌｏｇ10', which is not an allowed function"):
        derive(both, {"x": "ｌｏｇ10(r)"})
    kept = compile_select("ｒ > 15", list(both.columns), both.dtypes.to_dict())
    assert kept[0].columns == ["ｒ"]


@pytest.mark.parametrize("columns", [["a b", "_q_0"], ["a b", "__q_0", "_q_0"], ["a b", "__column_0__"]])
def test_back_quote_placeholders_cannot_collide_with_a_column(columns):
    data = pd.DataFrame({name: [float(10 ** k)] for k, name in enumerate(columns)})
    other = columns[-1]
    out = derive(data, {"x": f"`a b` - {other}", "y": f"{other} - `a b`"})
    expected = data["a b"][0] - data[other][0]
    assert out["x"][0] == expected and out["y"][0] == -expected


def test_a_giant_select_in_a_config_is_one_line_on_the_command_line(tmp_path, tiny_catalog):
    config = tmp_path / "giant.toml"
    config.write_text(tiny_config(tiny_catalog, data="select = '" + "-" * 9000 + "r < 19'"))
    result = CliRunner().invoke(main, ["run", str(config), "--scheduler", "synchronous", "--quiet"])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and len(lines[0]) < 400, result.stderr
    assert "[data] select = '------" in lines[0] and "nested too deeply to parse" in lines[0]
    assert not (tmp_path / "runs").exists()
