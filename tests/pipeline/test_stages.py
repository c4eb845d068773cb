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


@pytest.fixture()
def sdss_with_holes(tmp_path, sdss_small):
    """The small SDSS catalog with r missing in every 100th row (30 rows)."""
    table = pd.read_csv(sdss_small)
    table.loc[::100, "r"] = np.nan
    path = tmp_path / "holes.csv"
    table.to_csv(path, index=False)
    return path, table


SELECT_FORMS = {
    "expression": "select = '(r < 19) & (0 < redshift < 2) & (`class` != \"STAR\")'",
    "list": "select = ['r < 19', '0 < redshift < 2', '`class` != \"STAR\"']",
}


@pytest.mark.parametrize("form", SELECT_FORMS)
def test_select_counts_the_rows_each_cut_removes_in_order(sdss_with_holes, write_config, config_text, form):
    path, table = sdss_with_holes
    prepared = _prepare(write_config(config_text(path, extra_data=SELECT_FORMS[form])))
    bright = (table["r"] < 19).to_numpy()  # NaN < 19 is False: the 30 rows without r are removed here
    near = ((table["redshift"] > 0) & (table["redshift"] < 2)).to_numpy()
    extragalactic = (table["class"] != "STAR").to_numpy()
    expected = [
        {"cut": "r < 19", "columns": ["r"], "removed": int((~bright).sum()), "removed_missing": 30},
        {"cut": "0 < redshift < 2", "columns": ["redshift"], "removed": int((bright & ~near).sum()),
         "removed_missing": 0},
        {"cut": '`class` != "STAR"', "columns": ["class"], "removed": int((bright & near & ~extragalactic).sum()),
         "removed_missing": 0},
    ]
    rows = prepared.summary["rows"]
    assert rows["select"] == expected and rows["read"] == 3000
    assert rows["used"] == int((bright & near & extragalactic).sum()) == 3000 - sum(c["removed"] for c in expected)
    assert 0 < expected[2]["removed"] and rows["dropped"] == {"missing target": 0, "missing features": 0}


def test_select_table_form_is_one_cut_per_column(sdss_small, write_config, config_text):
    prepared = _prepare(write_config(config_text(sdss_small, extra_data='select = { class = ["GALAXY", "QSO"] }')))
    table = pd.read_csv(sdss_small)
    stars = int((table["class"] == "STAR").sum())
    assert prepared.summary["rows"]["select"] == [
        {"cut": 'class = ["GALAXY", "QSO"]', "columns": ["class"], "removed": stars, "removed_missing": 0}]
    assert prepared.summary["rows"]["used"] == 3000 - stars


def test_select_sees_sentinels_as_missing(holey_catalog, write_config, config_text):
    """A sentinel becomes missing before the cuts, so -9999 never passes `u < 30`."""
    text = config_text(holey_catalog, extra_data="sentinels = [-9999]\nselect = 'u < 30'")
    prepared = _prepare(write_config(text))
    table = pd.read_csv(holey_catalog)
    missing = int(((table["u"] == -9999) | table["u"].isna()).sum())
    assert missing > 0 and prepared.summary["rows"]["select"][0]["removed_missing"] == missing


def test_select_that_keeps_nothing_says_which_cut(sdss_small, write_config, config_text):
    with pytest.raises(AstromlpError, match=r"no rows are left after \[data\] select \(3,000 read; removed 0 by "
                                            r"'r < 30', 3,000 by 'r > 30'; left 0\)"):
        _prepare(write_config(config_text(sdss_small, extra_data="select = '(r < 30) & (r > 30)'")))


def test_feature_kind_errors_name_the_configured_feature(sdss_small, write_config, config_text):
    text = config_text(sdss_small).replace('r = "r"', 'r = "r + (g < 1)"')
    with pytest.raises(AstromlpError, match=r"^feature 'r' = 'r \+ \(g < 1\)' needs numbers where 'g < 1' is a "
                                            "condition"):
        _prepare(write_config(text))
