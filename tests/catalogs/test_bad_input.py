"""Every bad input gives one line naming the file (or column) and what to do; the CLI exits 2 with it."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.table import Table
from click.testing import CliRunner

from astromlp.catalogs import derive, handle_missing, parse_expression, read, resolve_features
from astromlp.errors import AstromlpError
from astromlp.pipeline.cli import main
from tests.catalogs.conftest import ASTROPY_FITS_DATA, catalog_table


def one_line_error(action: Callable[[], object], *fragments: str) -> str:
    with pytest.raises(AstromlpError) as caught:
        action()
    message = str(caught.value)
    assert "\n" not in message and message
    for fragment in fragments:
        assert fragment in message, message
    return message


def _missing(tmp: Path) -> tuple[list[str], tuple[str, ...]]:
    return [str(tmp / "nowhere.fits")], ("nowhere.fits", "does not exist")


def _directory(tmp: Path):
    return [str(tmp)], ("is a directory",)


def _not_fits(tmp: Path):
    (tmp / "notes.fits").write_text("these are my observing notes, not a table\n")
    return [str(tmp / "notes.fits")], ("notes.fits", "is not a FITS file")


def _truncated_data(tmp: Path):
    catalog_table(n_rows=500).write(tmp / "whole.fits")
    data = (tmp / "whole.fits").read_bytes()
    (tmp / "cut.fits").write_bytes(data[: len(data) - 9000])
    return [str(tmp / "cut.fits")], ("cut.fits", "truncated", "re-download")


def _truncated_header(tmp: Path):
    catalog_table().write(tmp / "whole.fits")
    (tmp / "cut.fits").write_bytes((tmp / "whole.fits").read_bytes()[:4000])
    return [str(tmp / "cut.fits")], ("cut.fits", "truncated or corrupt", "re-download")


def _corrupted_header(tmp: Path):
    catalog_table().write(tmp / "whole.fits")
    data = bytearray((tmp / "whole.fits").read_bytes())
    data[2880 + 80 * 4: 2880 + 80 * 5] = b"NAXIS2  = 'many'".ljust(80)
    (tmp / "bad.fits").write_bytes(bytes(data))
    return [str(tmp / "bad.fits")], ("bad.fits",)


def _no_table_hdu(tmp: Path):
    return [str(ASTROPY_FITS_DATA / "test0.fits")], ("test0.fits", "no table HDU", "ImageHDU")


def _hdu_name(tmp: Path):
    catalog_table().write(tmp / "cat.fits")
    return [str(tmp / "cat.fits"), "--hdu", "GALAXIES"], ("no HDU named 'GALAXIES'", "cat.fits")


def _hdu_not_a_table(tmp: Path):
    return [str(ASTROPY_FITS_DATA / "test0.fits"), "--hdu", "1"], ("is not a table",)


def _empty_fits(tmp: Path):
    Table({"u": np.zeros(0)}).write(tmp / "empty.fits")
    return [str(tmp / "empty.fits")], ("empty.fits", "has no rows")


def _empty_csv(tmp: Path):
    (tmp / "empty.csv").write_text("u,g,r\n")
    return [str(tmp / "empty.csv")], ("empty.csv", "has no rows")


def _schemas(tmp: Path):
    catalog_table().write(tmp / "a.fits")
    other = catalog_table()
    other.remove_column("u")
    other.write(tmp / "b.fits")
    return [str(tmp / "a.fits"), str(tmp / "b.fits")], ("inconsistent schemas", "b.fits", "'u'")


def _schema_types(tmp: Path):
    catalog_table().write(tmp / "a.fits")
    other = catalog_table()
    other["u"] = np.array(["bright"] * len(other))
    other.write(tmp / "b.fits")
    return [str(tmp / "a.fits"), str(tmp / "b.fits")], ("inconsistent schemas", "column 'u'", "b.fits")


def _bad_parquet(tmp: Path):
    (tmp / "bad.parquet").write_bytes(b"PAR1" + bytes(100))
    return [str(tmp / "bad.parquet")], ("bad.parquet", "not a readable Parquet file")


def _bad_votable(tmp: Path):
    (tmp / "bad.vot").write_text('<?xml version="1.0"?><VOTABLE><RESOURCE><TABLE><FIELD name="x"')
    return [str(tmp / "bad.vot")], ("bad.vot", "VOTable")


def _unknown_suffix(tmp: Path):
    (tmp / "table.dat").write_bytes(b"\x00\x01binary")
    return [str(tmp / "table.dat")], ("table.dat", "cannot tell the format")


def _glob_without_match(tmp: Path):
    return [str(tmp / "*.fits")], ("no files match",)


FILE_CASES = {f.__name__.lstrip("_"): f for f in [
    _missing, _directory, _not_fits, _truncated_data, _truncated_header, _corrupted_header, _no_table_hdu,
    _hdu_name, _hdu_not_a_table, _empty_fits, _empty_csv, _schemas, _schema_types, _bad_parquet, _bad_votable,
    _unknown_suffix, _glob_without_match]}


def _read_args(args: list[str]) -> tuple[list[str], dict]:
    if "--hdu" in args:
        at = args.index("--hdu")
        return args[:at], {"hdu": args[at + 1]}
    return args, {}


@pytest.mark.parametrize("case", FILE_CASES)
def test_bad_file_is_one_line_error_from_read(case, tmp_path):
    args, fragments = FILE_CASES[case](tmp_path)
    paths, options = _read_args(args)
    one_line_error(lambda: read(paths, **options).compute(), *fragments)


CLI_CASES = [case for case in FILE_CASES if not case.startswith("schema")]


@pytest.mark.parametrize("case", CLI_CASES)
def test_bad_file_gives_exit_code_2_and_one_line_from_the_cli(case, tmp_path):
    args, fragments = FILE_CASES[case](tmp_path)
    result = CliRunner().invoke(main, ["inspect", *args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("astromlp: error: ") and "Traceback" not in result.output
    assert all(fragment in lines[0] for fragment in fragments)
    assert result.stdout == ""


@pytest.mark.parametrize("case", ["schemas", "schema_types"])
def test_inspect_shows_each_file_and_says_why_they_cannot_be_read_together(case, tmp_path):
    args, fragments = FILE_CASES[case](tmp_path)
    result = CliRunner().invoke(main, ["inspect", *args])
    assert result.exit_code == 0
    note = result.stdout.strip().splitlines()[-1]
    assert note.startswith("note: these files cannot be read together: inconsistent schemas")
    assert all(fragment in note for fragment in fragments)


def test_truncated_gzip_is_found_when_opened(tmp_path):
    catalog_table(n_rows=3000).write(tmp_path / "whole.fits")
    packed = gzip.compress((tmp_path / "whole.fits").read_bytes())
    (tmp_path / "cut.fits.gz").write_bytes(packed[: len(packed) // 2])
    one_line_error(lambda: read(tmp_path / "cut.fits.gz"), "cut.fits.gz is truncated or corrupt", "gzip stream")


def test_rows_missing_from_a_compressed_stream_are_reported_when_read(tmp_path):
    """A gzip member that ends cleanly but early: astropy cannot tell, the chunk reader can."""
    catalog_table(n_rows=3000).write(tmp_path / "whole.fits")
    data = (tmp_path / "whole.fits").read_bytes()
    (tmp_path / "short.fits.gz").write_bytes(gzip.compress(data[: len(data) // 2]))
    frame = read(tmp_path / "short.fits.gz", chunk_rows=500)
    assert len(frame.get_partition(0).compute()) == 500
    one_line_error(lambda: frame.compute(), "short.fits.gz is truncated", "ends before row")


def test_cli_debug_flag_shows_the_traceback(tmp_path):
    result = CliRunner().invoke(main, ["--debug", "inspect", str(tmp_path / "nowhere.fits")])
    assert isinstance(result.exception, AstromlpError)


def test_cli_subprocess_prints_one_line_and_exits_2(tmp_path):
    (tmp_path / "notes.fits").write_text("not a table")
    out = subprocess.run([sys.executable, "-m", "astromlp.pipeline.cli", "inspect", str(tmp_path / "notes.fits")],
                         capture_output=True, text=True, check=False)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "notes.fits is not a FITS file" in out.stderr


def _without_root_file_access() -> list[str]:
    """Root reads any file; setpriv drops the two capabilities that allow it, for the child process only."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: cannot make a file unreadable")
    caps = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", "--"]


def test_unreadable_file_is_reported_with_the_fix(tmp_path):
    catalog_table().write(tmp_path / "secret.fits")
    (tmp_path / "secret.fits").chmod(0o000)
    command = [*_without_root_file_access(), sys.executable, "-m", "astromlp.pipeline.cli", "inspect",
               str(tmp_path / "secret.fits")]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    assert out.returncode == 2, out.stderr
    assert out.stderr.count("\n") == 1
    assert "secret.fits" in out.stderr and "permission denied" in out.stderr and "chmod" in out.stderr


@pytest.fixture()
def frame():
    return pd.DataFrame({"u": [19.0, 20.0, np.nan], "g": [18.0, 19.5, 18.5], "class": ["STAR", "QSO", "STAR"],
                         "empty": [np.nan] * 3})


def test_missing_feature_column_suggests_the_closest(frame):
    one_line_error(lambda: resolve_features(frame, ["umag", "g"], "sdss.fits"),
                   "no column 'umag' in sdss.fits; did you mean 'u'?")


def test_non_numeric_feature_column(frame):
    one_line_error(lambda: resolve_features(frame, ["u", "CLASS"], "sdss.fits"),
                   "column 'class' in sdss.fits is not numeric")


def test_all_missing_column(frame):
    one_line_error(lambda: handle_missing(frame, ["u", "empty"], "drop", source="sdss.fits"),
                   "column 'empty' in sdss.fits is entirely missing")


def test_forbidden_expression(frame):
    one_line_error(lambda: parse_expression("u.__class__", list(frame.columns)), "attribute access",
                   "'u.__class__'")
    one_line_error(lambda: derive(frame, {"gr": "open('x') - g"}), "'open'", "not an allowed function")
