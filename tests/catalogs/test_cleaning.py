"""Sentinels become missing; the missing-data policy drops (with a count), imputes, or refuses."""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest
from astropy.table import Table

from astromlp.catalogs import (
    DEFAULT_SENTINELS,
    MissingPolicy,
    apply_sentinels,
    count_missing,
    fill_values_from,
    handle_missing,
    read,
    summarize_missing,
)
from astromlp.errors import AstromlpError


@pytest.fixture()
def survey() -> pd.DataFrame:
    return pd.DataFrame({
        "u": np.array([19.5, -9999.0, 21.0, 99.99, np.nan, 22.0]),
        "g": np.array([18.5, 18.7, 99.99, 19.0, 19.2, -999.0], dtype=np.float32),
        "fiberid": np.array([99, 100, 999, 101, 102, 103]),
        "flag": pd.array([0, 1, None, 1, -9999, 0], dtype="Int32"),
    })


def test_global_sentinels_apply_to_every_numeric_column(survey):
    cleaned = apply_sentinels(survey, [-9999, 99.99])
    assert cleaned["u"].isna().tolist() == [False, True, False, True, True, False]
    assert cleaned["g"].isna().tolist() == [False, False, True, False, False, False]  # float32 99.99 matches
    assert cleaned["flag"].isna().tolist() == [False, False, True, False, True, False]
    assert cleaned["fiberid"].isna().sum() == 0 and str(cleaned["fiberid"].dtype) == "Int64"
    assert survey["u"].isna().sum() == 1  # the input is not modified


def test_sentinels_per_column_match_names_in_any_case(survey):
    cleaned = apply_sentinels(survey, {"U": [-9999], "FIBERID": [99, 999]})
    assert cleaned["u"].isna().tolist() == [False, True, False, False, True, False]
    assert cleaned["fiberid"].isna().tolist() == [True, False, True, False, False, False]
    assert cleaned["g"].isna().sum() == 0


def test_default_sentinels_only_on_request_and_only_on_float_columns(survey):
    assert apply_sentinels(survey, None) is survey
    cleaned = apply_sentinels(survey, "default")
    assert count_missing(cleaned, ["u", "g", "fiberid", "flag"]) == {"u": 3, "g": 2, "fiberid": 0, "flag": 1}
    assert 99.99 in DEFAULT_SENTINELS and -9999.0 in DEFAULT_SENTINELS


def test_sentinels_on_dask_equal_pandas(survey):
    lazy = apply_sentinels(dd.from_pandas(survey, npartitions=3), [-9999, 99.99, -999])
    pd.testing.assert_frame_equal(lazy.compute(), apply_sentinels(survey, [-9999, 99.99, -999]))


def test_sentinels_in_a_fits_file_become_missing_after_reading(tmp_path):
    Table({"r": [20.1, 99.99, -9999.0, 21.3]}).write(tmp_path / "s.fits")
    frame = apply_sentinels(read(tmp_path / "s.fits", chunk_rows=2), "default").compute()
    assert frame["r"].isna().tolist() == [False, True, True, False]


def test_bad_sentinel_setting_is_one_line(survey):
    with pytest.raises(AstromlpError, match="sentinels must be"):
        apply_sentinels(survey, "usual")
    with pytest.raises(AstromlpError, match="no column 'umag'"):
        apply_sentinels(survey, {"umag": [99]})


def test_summary_counts_rows_columns_and_rows_with_any_missing(survey):
    cleaned = apply_sentinels(survey, "default")
    summary = summarize_missing(dd.from_pandas(cleaned, npartitions=2), ["u", "g"])
    assert (summary.rows, summary.per_column, summary.rows_with_missing) == (6, {"u": 3, "g": 2}, 5)


def test_drop_policy_reports_the_count(survey):
    cleaned = apply_sentinels(survey, "default")
    outcome = handle_missing(dd.from_pandas(cleaned, npartitions=2), ["u", "g"], "drop")
    assert outcome.policy is MissingPolicy.DROP and outcome.dropped == 5
    assert outcome.frame.compute().index.tolist() == [0]


def test_impute_policy_uses_training_statistics_only(survey):
    cleaned = apply_sentinels(survey, "default")
    train, test = cleaned.iloc[:4], cleaned.iloc[4:]
    values = fill_values_from(train, ["u", "g"])
    assert values == {"u": pytest.approx(np.median([19.5, 21.0])), "g": pytest.approx(np.median([18.5, 18.7, 19.0]))}
    outcome = handle_missing(test, ["u", "g"], "impute", fill_values=values)
    assert outcome.frame["u"].tolist() == [pytest.approx(20.25), 22.0]
    assert outcome.frame["g"].tolist() == [pytest.approx(19.2), pytest.approx(18.7)]
    assert fill_values_from(train, ["u"], "mean") == {"u": pytest.approx(20.25)}


def test_impute_without_a_value_names_the_column(survey):
    with pytest.raises(AstromlpError, match="cannot impute column 'u'"):
        handle_missing(survey, ["u"], "impute", fill_values={})


def test_error_policy_names_columns_and_counts(survey):
    cleaned = apply_sentinels(survey, "default")
    missing = r"5 rows of sdss.fits have missing features: column 'u' \(3\), column 'g' \(2\)"
    with pytest.raises(AstromlpError, match=missing):
        handle_missing(cleaned, ["u", "g"], "ERROR", source="sdss.fits")
    assert handle_missing(cleaned, ["fiberid"], "error").frame is cleaned


def test_unknown_policy(survey):
    with pytest.raises(AstromlpError, match="unknown missing-data policy 'skip'; choose one of drop, impute, error"):
        handle_missing(survey, ["u"], "skip")
