"""Numbers that break naive pipelines: constant columns, 1e30 magnitudes, infinities, a feature missing in
every training row, a class only in the held-out rows, one-row catalogs, duplicate column names. Each has a
stated behaviour tested here, or is refused with one line; no run ends in a model that predicts NaN."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from astromlp.catalogs import describe_columns, parse_expression
from astromlp.errors import AstromlpError
from astromlp.pipeline.config import parse_config
from astromlp.pipeline.runner import RunOptions, run
from astromlp.pipeline.schedulers import executor
from astromlp.pipeline.stages import Prepared, catalog_files, ingest, prepare
from tests.robustness.conftest import tiny_config

KEYED = '[split]\nkey = ["objid"]\n'  # the split then depends on objid only, not on the columns a case adds


def _config(folder: Path, table: pd.DataFrame, keyed: bool = False, text_edit=lambda text: text, **config):
    catalog = folder / "catalog.csv"
    table.to_csv(catalog, index=False)
    text = text_edit(tiny_config(catalog, **config))
    return parse_config(text.replace("[split]\n", KEYED) if keyed else text, folder / "run.toml")


def _run(folder: Path, table: pd.DataFrame, **options):
    """A whole run (ingest to report) on the synchronous scheduler."""
    return run(_config(folder, table, **options), RunOptions(scheduler="synchronous", quiet=True))


def _prepare(folder: Path, table: pd.DataFrame, **options) -> Prepared:
    """Only the data stages: cleaning, features, split and normalisation, as the run does them."""
    config = _config(folder, table, **options)
    with executor("synchronous") as ex:
        return prepare(config, ingest(config, catalog_files(config)), ex)


def _one_line(action, *fragments: str) -> str:
    with pytest.raises(AstromlpError) as caught:
        action()
    message = str(caught.value)
    assert "\n" not in message and all(f in message for f in fragments), message
    return message


def _finite_predictions(result) -> pd.DataFrame:
    table = pd.read_parquet(result.run_dir / "predictions.parquet")
    proba = table[[c for c in table.columns if c.startswith("probability_")]].to_numpy()
    assert np.isfinite(proba).all() and np.allclose(proba.sum(axis=1), 1.0)
    assert table["class_predicted"].isin(["GALAXY", "QSO", "STAR"]).all()
    return table


def test_constant_column_and_imputed_infinities_train_a_finite_model(tmp_path, sdss_table):
    """A constant feature keeps scale 1 (no division by zero); infinities are missing values, here imputed."""
    table = sdss_table.assign(flat=21.5)
    table.loc[::9, "g"] = np.inf
    table.loc[1::9, "r"] = -np.inf
    result = _run(tmp_path, table, data='missing = "impute"', features='u_g = "u - g"\nflat = "flat"\nr = "r"\n')
    record = json.loads((result.run_dir / "preparation.json").read_text())
    assert record["normaliser"]["scale"][1] == 1.0 and record["normaliser"]["center"][1] == 21.5
    assert (np.load(result.run_dir / "prepared" / "X_train.npy")[:, 1] == 0).all()
    assert np.isfinite(list(record["fill_values"].values())).all()
    assert json.loads((result.run_dir / "data_summary.json").read_text())["rows"]["used"] == 400
    _finite_predictions(result)


def test_infinities_are_dropped_as_missing(tmp_path, sdss_table):
    table = sdss_table.copy()
    table.loc[::9, "g"] = np.inf
    table.loc[1::9, "r"] = -np.inf
    prepared = _prepare(tmp_path, table)
    assert prepared.summary["rows"]["dropped"] == {"missing target": 0,
                                                   "missing features": len(table.loc[::9]) + len(table.loc[1::9])}
    assert all(np.isfinite(X).all() for X in prepared.X.values())


def test_huge_magnitudes_are_data_unless_named_as_sentinels(tmp_path, sdss_table):
    table = sdss_table.copy()
    table.loc[::8, "u"] = 1e30
    n_huge = len(table.loc[::8])
    kept = _run(_mkdir(tmp_path / "kept"), table, text_edit=_no_normalisation)
    assert json.loads((kept.run_dir / "data_summary.json").read_text())["rows"]["used"] == 400
    training = json.loads((kept.run_dir / "training.json").read_text())
    assert all(np.isfinite(start["final_train_loss"]) for start in training["starts"])
    _finite_predictions(kept)
    dropped = _prepare(_mkdir(tmp_path / "dropped"), table, data="sentinels = [1e30]")
    assert dropped.summary["rows"]["dropped"]["missing features"] == n_huge
    assert dropped.summary["rows"]["used"] == 400 - n_huge


def _mkdir(path: Path) -> Path:
    path.mkdir()
    return path


def _no_normalisation(text: str) -> str:
    return text + '[normalise]\nmethod = "none"\n'


def test_feature_missing_in_every_training_row_is_refused(tmp_path, sdss_table):
    probe = _prepare(_mkdir(tmp_path / "probe"), sdss_table, keyed=True)
    held_out = np.concatenate([probe.rows["test"], probe.rows["validation"]])
    table = sdss_table.assign(sparse=np.nan)
    table.loc[held_out, "sparse"] = table.loc[held_out, "r"]
    _one_line(lambda: _run(_mkdir(tmp_path / "sparse"), table, keyed=True, data='missing = "impute"',
                           features='u_g = "u - g"\ns = "sparse"\n'),
              "feature 's'", "missing in every training row", "remove it from [features]")
    _one_line(lambda: _run(_mkdir(tmp_path / "empty"), sdss_table.assign(sparse=np.nan),
                           features='u_g = "u - g"\ns = "sparse"\n'), "entirely missing", "catalog.csv")


def test_class_only_in_held_out_rows_is_refused_before_training(tmp_path, sdss_table):
    probe = _prepare(_mkdir(tmp_path / "probe"), sdss_table, keyed=True)
    table = sdss_table.copy()
    table.loc[probe.rows["test"][0], "class"] = "RARE"
    folder = _mkdir(tmp_path / "unstratified")
    unstratified = lambda text: text.replace("[split]\n", KEYED + "stratify = false\n")  # noqa: E731
    _one_line(lambda: _run(folder, table, text_edit=unstratified), "class 'RARE'", "no row in the training split",
              "stratify")
    assert not (folder / "runs" / "run" / "model.zip").exists()
    _one_line(lambda: _run(_mkdir(tmp_path / "stratified"), table), "class 'RARE' has 1 rows", "too few rows")


@pytest.mark.parametrize(("kind", "target", "fragment"), [
    ("classification", "class", "at least two classes"), ("regression", "redshift", "too few rows for the split")])
def test_single_row_catalog_is_refused(tmp_path, sdss_table, kind, target, fragment):
    _one_line(lambda: _run(tmp_path, sdss_table.head(1), kind=kind, target=target), fragment)


def test_duplicate_column_names_are_refused_and_case_variants_resolved_exactly(tmp_path):
    (tmp_path / "twice.csv").write_text("u,r,r\n1,2,3\n4,5,6\n")
    _one_line(lambda: describe_columns(tmp_path / "twice.csv"), "twice.csv has two columns named 'r'")
    names = [pa.array([1.0, 2.0])] * 3
    pq.write_table(pa.table(names, names=["u", "r", "r"]), tmp_path / "twice.parquet")
    _one_line(lambda: describe_columns(tmp_path / "twice.parquet"), "twice.parquet has two columns named 'r'")
    assert parse_expression("R - r", ["r", "R"]) == ["R", "r"]
    _one_line(lambda: parse_expression("U", ["u", "u "]), "ambiguous")


def test_huge_learning_rate_gives_a_finite_model_or_says_it_diverged(tmp_path, sdss_table):
    result = _run(tmp_path, sdss_table, model="learning_rate = 1e6")
    starts = json.loads((result.run_dir / "training.json").read_text())["starts"]
    assert all(start["diverged"] or np.isfinite(start["final_train_loss"]) for start in starts)
    _finite_predictions(result)
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert np.isfinite(metrics["results"]["MLP"]["scalars"]["accuracy"])
