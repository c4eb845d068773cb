"""`astromlp inspect` reports what a catalog holds; the bundled sample is the shared SDSS CSV with units."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.table import MaskedColumn, Table
from click.testing import CliRunner

from astromlp.catalogs import describe_columns, inspect_text, read, sample_path
from astromlp.pipeline.cli import main

REPO = Path(__file__).resolve().parents[2]


def row_of(text: str, column: str) -> list[str]:
    return next(line.split() for line in text.splitlines() if line.split()[:1] == [column])


def test_inspect_counts_missing_and_sentinels_and_reports_ranges(tmp_path):
    table = Table({"r": MaskedColumn([20.5, 99.99, -9999.0, 18.25, 0.0], mask=[0, 0, 0, 0, 1]),
                   "n": [3, 1, 4, 1, 5]})
    table["r"].unit, table["r"].description = "mag", "r-band magnitude"
    table.write(tmp_path / "m.fits")
    text = inspect_text(tmp_path / "m.fits")
    assert text.splitlines()[0] == "m.fits HDU 1: FITS, 5 rows, 2 columns"
    assert row_of(text, "r") == ["r", "float64", "mag", "1", "2", "-9999", "99.99", "r-band", "magnitude"]
    assert row_of(text, "n") == ["n", "int64", "0", "0", "1", "5"]


def test_inspect_cli_on_the_bundled_sample():
    result = CliRunner().invoke(main, ["inspect", str(sample_path())])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "sdss_dr14_skyserver_10k.fits.gz HDU 1 (SDSS_DR14): FITS, 10,000 rows, 18 columns"
    assert row_of(result.stdout, "u")[:6] == ["u", "float64", "mag", "0", "0", "12.989"]
    assert row_of(result.stdout, "class")[:4] == ["class", "str", "0", "0"]


def test_inspect_cli_several_files_and_hdu_option(tmp_path):
    Table({"a": [1.0, 2.0]}).write(tmp_path / "x.fits")
    Table({"A": [3.0]}).write(tmp_path / "y.parquet")
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "x.fits"), str(tmp_path / "y.parquet"),
                                       "--hdu", "1"])
    assert result.exit_code == 0, result.output
    assert "x.fits HDU 1: FITS, 2 rows" in result.stdout and "y.parquet: PARQUET, 1 rows" in result.stdout
    assert result.stdout.strip().endswith("The 2 files share one schema and can be read together.")


def test_sample_is_packaged_gzipped_fits_equal_to_the_shared_csv(sdss_csv):
    path = sample_path()
    assert path.parent.name == "data" and path.parent.parent.name == "catalogs"
    assert path.read_bytes()[:2] == b"\x1f\x8b" and gzip.decompress(path.read_bytes())[:9] == b"SIMPLE  ="
    frame = read(path).compute()
    csv = pd.read_csv(sdss_csv)
    assert list(frame.columns) == list(csv.columns) and len(frame) == 10_000
    numbers = csv.select_dtypes("number").columns
    np.testing.assert_array_equal(frame[numbers].to_numpy(dtype=float), csv[numbers].to_numpy(dtype=float))
    assert frame["class"].tolist() == csv["class"].tolist()


def test_sample_carries_units_and_descriptions():
    info = describe_columns(sample_path())
    assert {info[b].unit for b in "ugriz"} == {"mag"} and info["ra"].unit == info["dec"].unit == "deg"
    assert "dimensionless" in info["redshift"].description and info["redshift"].unit is None
    assert all(i.description for i in info.values())


def test_sample_is_reproduced_byte_for_byte_by_its_script(tmp_path, sdss_csv):
    out = subprocess.run([sys.executable, str(REPO / "benchmarks" / "make_sample.py"), "--csv", str(sdss_csv),
                          "--output", str(tmp_path / "sample.fits.gz")], capture_output=True, text=True, check=True)
    assert "10000 rows" in out.stdout
    assert (tmp_path / "sample.fits.gz").read_bytes() == sample_path().read_bytes()
