"""The feature language: values equal numpy's, magnitudes follow their definitions, anything else refused."""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from astromlp.catalogs import derive, parse_expression, read
from astromlp.catalogs.photometry import SDSS_SOFTENING
from astromlp.errors import AstromlpError


@pytest.fixture()
def photometry() -> pd.DataFrame:
    return pd.DataFrame({"u": [19.0, 20.5, np.nan, 18.0], "g": [18.0, 19.0, 17.5, 17.0],
                         "flux_r": [1.0, 100.0, 0.0, -2.0], "flux_jy": [3631e-6, 1e-3, 2e-5, 1e-4],
                         "class": ["STAR", "QSO", "GALAXY", "STAR"], "psf Flux": [4.0, 9.0, 16.0, 25.0]})


def test_colours_and_arithmetic_equal_numpy(photometry):
    out = derive(photometry, {"ug": "u - g", "x": "2 * U ** 2 / g - -1", "y": "log10(g) + ln(g) + sqrt(g) + abs(-g)"})
    u, g = photometry["u"].to_numpy(), photometry["g"].to_numpy()
    np.testing.assert_allclose(out["ug"], u - g, equal_nan=True)
    np.testing.assert_allclose(out["x"], 2 * u**2 / g + 1, equal_nan=True)
    np.testing.assert_allclose(out["y"], np.log10(g) + np.log(g) + np.sqrt(g) + g)
    assert out["ug"].isna().tolist() == [False, False, True, False]


def test_later_features_may_use_earlier_ones_and_quoted_names(photometry):
    out = derive(photometry, {"ug": "u - g", "double": "2 * ug", "root": "sqrt(`PSF FLUX`)"})
    np.testing.assert_allclose(out["double"], 2 * (photometry["u"] - photometry["g"]), equal_nan=True)
    assert out["root"].tolist() == [2.0, 3.0, 4.0, 5.0]


def test_ab_magnitudes_from_nanomaggies_and_jansky(photometry):
    out = derive(photometry, {"m": "abmag_nmgy(flux_r)", "mj": "abmag_jy(flux_jy)"})
    np.testing.assert_allclose(out["m"][:2], 22.5 - 2.5 * np.log10([1.0, 100.0]))
    assert out["m"][2:].isna().all()  # zero and negative flux have no AB magnitude
    ab_zero_point_jy = 10 ** (-48.6 / 2.5) / 1e-23  # 3630.78 Jy: the AB definition in erg s-1 cm-2 Hz-1
    np.testing.assert_allclose(out["mj"], -2.5 * np.log10(photometry["flux_jy"] / ab_zero_point_jy), rtol=1e-9)


def test_asinh_magnitudes_follow_lupton_and_meet_ab_when_bright(photometry):
    b = SDSS_SOFTENING["r"]
    out = derive(photometry, {"a": f"asinh_mag_nmgy(flux_r, {b})"})
    maggies = photometry["flux_r"].to_numpy() * 1e-9
    expected = -2.5 / np.log(10) * (np.arcsinh(maggies / (2 * b)) + np.log(b))
    np.testing.assert_allclose(out["a"], expected)
    assert out["a"][2] == pytest.approx(24.80, abs=0.005)  # SDSS r-band zero-flux asinh magnitude
    assert np.isfinite(out["a"]).all()
    bright = derive(pd.DataFrame({"f": [1e4]}), {"a": f"asinh_mag_nmgy(f, {b})", "m": "abmag_nmgy(f)"})
    assert bright["a"][0] == pytest.approx(bright["m"][0], abs=1e-6)


def test_dask_derivation_equals_pandas(photometry):
    features = {"ug": "u - g", "m": "abmag_nmgy(flux_r)"}
    lazy = derive(dd.from_pandas(photometry, npartitions=2), features)
    assert list(lazy.dtypes[["ug", "m"]]) == [np.float64, np.float64]
    numbers = ["u", "g", "flux_r", "ug", "m"]  # dask stores the text column as pyarrow strings
    pd.testing.assert_frame_equal(lazy.compute()[numbers], derive(photometry, features)[numbers])


def test_features_on_the_sdss_catalog(sdss_csv):
    frame = derive(read(sdss_csv, columns=["u", "g", "r"]), {"u_g": "u - g", "g_r": "g - r"}).compute()
    raw = pd.read_csv(sdss_csv)
    np.testing.assert_allclose(frame["u_g"], raw["u"] - raw["g"])
    np.testing.assert_allclose(frame["g_r"], raw["g"] - raw["r"])


def test_parse_returns_the_columns_used_in_the_file_spelling(photometry):
    assert parse_expression("log10(U) - G + u", list(photometry.columns)) == ["u", "g"]
    assert parse_expression("3.5", list(photometry.columns)) == []


FORBIDDEN = {
    "u.__class__": "attribute access 'u.__class__'",
    "__import__('os').system('ls')": "\"__import__('os').system\", which is not an allowed function",
    "exp(u)": "calls 'exp', which is not an allowed function",
    "u % 2": "operator %",
    "u // 2": "operator //",
    "u if g else 1": "conditional 'u if g else 1'",
    "u and g": "uses 'u and g'; combine conditions with & (and)",
    "not u": "uses 'not u'; combine conditions with & (and), | (or) and ~ (not)",
    "~u": "needs a condition or an integer after ~ where column 'u' of the catalog is float64",
    "u < `class`": "compares 'u' (number) with '`class`' (text)",
    "u + (g < 1)": "needs numbers where 'g < 1' is a condition",
    "u in [1]": "forbidden operator in",
    "[u, g]": "list '[u, g]'",
    "u[0]": "indexing 'u[0]'",
    "lambda: u": "lambda 'lambda: u'",
    "'text'": "is not numeric",
    "True": "constant True",
    "log10(u, base=10)": "keyword argument 'base=10'",
    "log10(u, g)": "calls log10 with 2 argument(s); it takes 1",
    "u -": "cannot parse feature 'f' = 'u -'",
    "umag - g": "no column 'umag' in the catalog; did you mean 'u'?",
}


@pytest.mark.parametrize("text", FORBIDDEN)
def test_anything_else_is_refused_naming_the_token(photometry, text):
    with pytest.raises(AstromlpError) as caught:
        derive(photometry, {"f": text})
    assert FORBIDDEN[text] in str(caught.value) and "\n" not in str(caught.value)


def test_derive_refuses_text_columns_and_name_clashes(photometry):
    with pytest.raises(AstromlpError, match="feature 'c' = '`class` \\+ 1' needs numbers where column 'class' of "
                                            "sdss.csv is (str|object)"):
        derive(photometry, {"c": "`class` + 1"}, source="sdss.csv")
    with pytest.raises(AstromlpError, match="derived feature 'u' already names a column"):
        derive(photometry, {"u": "u * 2"})


def test_python_keywords_as_column_names_get_a_hint(photometry):
    with pytest.raises(AstromlpError, match="back quotes"):
        parse_expression("class + 1", list(photometry.columns))


@pytest.fixture()
def flagged() -> pd.DataFrame:
    return pd.DataFrame({"r": [18.0, 20.0, np.nan, 17.0],
                         "flags": pd.array([0, 4, None, 2**62 + 5], dtype="Int64"),
                         "objid": np.array([2**62 + 1, 2**62 + 2, 3, 4], dtype="int64"),
                         "class": ["GALAXY", "STAR", "QSO", None]})


CONDITION_FEATURES = {  # expression -> values per row; NaN where a compared value is missing
    "r < 19": [1.0, 0.0, np.nan, 1.0],
    "18 <= r < 20": [1.0, 0.0, np.nan, 0.0],
    "r != 18": [0.0, 1.0, np.nan, 1.0],
    "(flags & 4) != 0": [0.0, 1.0, np.nan, 1.0],
    "flags & 1": [0.0, 0.0, np.nan, 1.0],
    "objid == 4611686018427387905": [1.0, 0.0, 0.0, 0.0],  # 2**62 + 1: not exact in float64
    "`class` == 'STAR'": [0.0, 1.0, 0.0, np.nan],
    "isin(`class`, ['GALAXY', 'QSO'])": [1.0, 0.0, 1.0, np.nan],
    "isnan(r)": [0.0, 0.0, 1.0, 0.0],
    "(r < 19) & ~isnan(r)": [1.0, 0.0, np.nan, 1.0],
    "(r < 19) | (`class` == 'STAR')": [1.0, 1.0, np.nan, np.nan],
}


@pytest.mark.parametrize("text", CONDITION_FEATURES)
def test_a_condition_feature_is_one_or_zero_and_missing_with_its_values(flagged, text):
    out = derive(flagged, {"f": text})
    np.testing.assert_array_equal(out["f"].to_numpy(), CONDITION_FEATURES[text])


SELECTIONS = {  # select -> rows kept (row 2 has no r, row 3 no class), and the per-cut counts
    "r != 18": ([1, 3], [(2, 1)]),
    "~(r < 19)": ([1, 2], [(2, 0)]),
    "(r < 19) | isnan(r)": ([0, 2, 3], [(1, 0)]),
    "(r < 19) & (`class` != 'QSO')": ([0], [(2, 1), (1, 1)]),
    "((flags & 4) == 0) & (objid > 4)": ([0], [(3, 1), (0, 0)]),  # 2**62 + 5 has bit 4 set
}


@pytest.mark.parametrize("text", SELECTIONS)
def test_select_keeps_rows_and_counts_each_cut_with_its_missing(flagged, text):
    from astromlp.catalogs import compile_select, count_removed, cut_report, select_rows

    cuts = compile_select(text, list(flagged.columns), flagged.dtypes.to_dict())
    kept, counts = SELECTIONS[text]
    assert select_rows(flagged, cuts).index.tolist() == kept
    lazy = dd.from_pandas(flagged, npartitions=2)
    assert select_rows(lazy, cuts).compute().index.tolist() == kept
    report = cut_report(cuts, count_removed(lazy, cuts).compute())
    assert [(c["removed"], c["removed_missing"]) for c in report] == counts
