"""Ingest and prepare on real files: partitioning, sentinels and the missing-data policies, bad catalogs."""

import numpy as np
import pandas as pd
import pytest

from astromlp.errors import AstromlpError
from astromlp.pipeline.config import load_config
from astromlp.pipeline.schedulers import executor
from astromlp.pipeline.stages import catalog_files, ingest, prepare


def _prepare(path):
    config = load_config(path)
    with executor("synchronous") as ex:
        return prepare(config, ingest(config, catalog_files(config)), ex)


def test_partitioning_does_not_change_the_prepared_arrays(sdss_small, write_config, config_text):
    whole = _prepare(write_config(config_text(sdss_small)))
    chunked_config = write_config(config_text(sdss_small, extra_data="chunk_rows = 250"), "chunked.toml")
    assert ingest(load_config(chunked_config), catalog_files(load_config(chunked_config))).frame.npartitions > 5
    chunked = _prepare(chunked_config)
    for split in whole.X:
        np.testing.assert_array_equal(whole.X[split], chunked.X[split])
        np.testing.assert_array_equal(whole.y[split], chunked.y[split])


def test_seed_changes_the_split(sdss_small, write_config, config_text):
    base = _prepare(write_config(config_text(sdss_small)))
    other = _prepare(write_config(config_text(sdss_small).replace("seed = 7", "seed = 8"), "other.toml"))
    assert not np.array_equal(base.test_rows["row"], other.test_rows["row"])


@pytest.fixture
def holey_catalog(sdss_small, tmp_path):
    """The small sample with sentinel -9999 in u for 30 rows and a missing g for 20 others."""
    table = pd.read_csv(sdss_small)
    table.loc[:29, "u"] = -9999.0
    table.loc[100:119, "g"] = np.nan
    path = tmp_path / "holey.csv"
    table.to_csv(path, index=False)
    return path


def test_drop_policy_counts_the_dropped_rows(holey_catalog, write_config, config_text):
    prepared = _prepare(write_config(config_text(holey_catalog, extra_data="sentinels = [-9999]")))
    assert prepared.summary["rows"]["dropped"]["missing features"] == 50
    assert prepared.summary["rows"]["used"] == 2950
    assert all(np.isfinite(x).all() for x in prepared.X.values())


def test_impute_policy_fills_training_medians(holey_catalog, write_config, config_text):
    text = config_text(holey_catalog, extra_data='sentinels = [-9999]\nmissing = "impute"')
    prepared = _prepare(write_config(text))
    assert prepared.summary["rows"]["used"] == 3000
    # u_g is missing where u was a sentinel; its fill value is the median of u - g on training rows only
    table = pd.read_csv(holey_catalog)
    colour = (table["u"] - table["g"]).where(table["u"] != -9999)
    assert prepared.fill_values["feature:u_g"] == colour.iloc[prepared.rows["train"]].median()
    assert prepared.fill_values["feature:u_g"] != colour.median()


def test_error_policy_names_the_missing_columns(holey_catalog, write_config, config_text):
    text = config_text(holey_catalog, extra_data='sentinels = [-9999]\nmissing = "error"')
    with pytest.raises(AstromlpError, match="50 rows .* have missing features"):
        _prepare(write_config(text))


def test_catalog_without_the_target_suggests_a_column(sdss_small, write_config, config_text):
    with pytest.raises(AstromlpError, match="no column 'klass'.*did you mean 'class'"):
        _prepare(write_config(config_text(sdss_small, target="klass")))


def test_target_with_one_class_is_refused(sdss_small, write_config, config_text):
    text = config_text(sdss_small, extra_data='select = { class = ["STAR"] }')
    with pytest.raises(AstromlpError, match="has only the class 'STAR'.*at least two classes"):
        _prepare(write_config(text))


def test_too_few_rows_for_the_split(tmp_path, sdss_small, write_config, config_text):
    table = pd.read_csv(sdss_small)
    tiny = pd.concat([table[table["class"] == "GALAXY"].head(20), table[table["class"] == "QSO"].head(2)])
    path = tmp_path / "tiny.csv"
    tiny.to_csv(path, index=False)
    with pytest.raises(AstromlpError, match="too few rows for the split: class 'QSO' has 2 rows"):
        _prepare(write_config(config_text(path)))


def test_regression_on_a_text_target_is_refused(sdss_small, write_config, config_text):
    with pytest.raises(AstromlpError, match="target column 'class'.*not numeric"):
        _prepare(write_config(config_text(sdss_small, kind="regression")))


def test_messages_name_a_derived_feature_as_configured():
    """A derived column is called by its [features] name, never by the internal 'feature:' column."""
    from astromlp.catalogs import handle_missing
    from astromlp.pipeline.stages import _feature_names, feature_columns

    table = pd.DataFrame({"feature:u_g": [np.nan, np.nan], "feature:r": [1.0, np.nan]})
    names = _feature_names(feature_columns({"u_g": "u - g", "r": "r"}))
    with pytest.raises(AstromlpError, match=r"^feature 'u_g' in cat.csv is entirely missing") as raised:
        handle_missing(table, list(table), "drop", source="cat.csv", names=names)
    assert "feature:" not in str(raised.value)
    with pytest.raises(AstromlpError, match=r"have missing features: feature 'r' \(1\);"):
        handle_missing(table[["feature:r"]], ["feature:r"], "error", source="cat.csv", names=names)
