"""Property-based tests: the feature-expression parser never runs code and fails only with AstromlpError,
the config loader survives any TOML document, and the metrics keep their invariants on any data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix

from astromlp.catalogs.features import compile_expression, compile_features, evaluate
from astromlp.errors import AstromlpError
from astromlp.pipeline.config import FREE_TABLES, SECTIONS, parse_config
from astromlp.reports import EvaluationInputs, compute_metrics
from astromlp.reports.photoz import sigma_nmad
from astromlp.reports.regression import ValuedCase

COLUMNS = ["u", "g", "r", "flux", "class"]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CANARY = Path(os.environ.get("TMPDIR", "/tmp")) / "astromlp-property-canary"

# ---- the feature-expression parser ---------------------------------------------------------------------

HOSTILE = ["__import__('os')", "open('x')", "exec", "eval", "lambda: 0", "os.system", ".real", "[0]", "()",
           "__class__", "__subclasses__()", "getattr", "'text'", "b'x'", "{}", "[]", "not", "and", "if", "else",
           "**", "*", "/", "+", "-", "%", "//", "@", "~", "<", "==", "`u`", "`", ",", ":", ";", "\\n", "0x1f",
           "1e999", "1j", "True", "None", "...", "f'{1}'", "yield", "await", ":=", "log10(", "sqrt", "abs",
           "abmag_nmgy", "asinh_mag_jy(", f"open('{CANARY}', 'w')", "u", "g", "R", " ", "(", ")", "1.5", "0"]
tokens = st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=8).map(" ".join)


@FAST
@given(st.one_of(tokens, st.text(max_size=40)))
def test_parser_accepts_or_refuses_with_the_user_error_and_runs_nothing(text):
    try:  # the feature path: parse, check, and refuse a value that is not a number or a condition
        expression = compile_features({"feature": text}, COLUMNS, dict.fromkeys(COLUMNS, "float64"))["feature"]
    except AstromlpError as exc:
        assert "\n" not in str(exc) and str(exc)
    else:
        assert set(expression.columns) <= set(COLUMNS)
        frame = pd.DataFrame({name: np.linspace(1.0, 2.0, 4) for name in COLUMNS})
        values = evaluate(expression, frame)
        assert values.shape == (4,) and values.dtype == np.float64
        assert np.isnan(values).any() or np.isfinite(values).all()  # non-finite results become NaN
    assert not CANARY.exists()


UNARY = {"-": np.negative, "log10": np.log10, "sqrt": np.sqrt, "abs": np.abs}
BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide}


def _expressions():
    """(text, function of the columns) pairs of allowed expressions, nested."""
    leaves = st.one_of(st.sampled_from(["u", "g", "r", "flux"]).map(lambda c: (c, lambda d, c=c: d[c])),
                       st.floats(0.5, 50, allow_nan=False).map(lambda v: (repr(v), lambda d, v=v: v)))

    def extend(children):
        unary = st.tuples(st.sampled_from(list(UNARY)), children).map(
            lambda p: (f"-({p[1][0]})" if p[0] == "-" else f"{p[0]}({p[1][0]})",
                       lambda d, p=p: UNARY[p[0]](p[1][1](d))))
        binary = st.tuples(children, st.sampled_from(list(BINARY)), children).map(
            lambda p: (f"({p[0][0]}) {p[1]} ({p[2][0]})", lambda d, p=p: BINARY[p[1]](p[0][1](d), p[2][1](d))))
        return st.one_of(unary, binary)

    return st.recursive(leaves, extend, max_leaves=6)


@FAST
@given(_expressions(), st.lists(st.floats(-30, 30, allow_nan=False), min_size=4, max_size=4))
def test_allowed_expressions_compute_what_numpy_computes(pair, values):
    text, reference = pair
    frame = pd.DataFrame({name: np.asarray(values) + k for k, name in enumerate(["u", "g", "r", "flux"])})
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(np.asarray(reference(frame), dtype=float), (4,))
    got = evaluate(compile_expression(text, COLUMNS), frame)
    np.testing.assert_allclose(got, np.where(np.isfinite(expected), expected, np.nan), rtol=1e-12, equal_nan=True)


# ---- the config loader ---------------------------------------------------------------------------------

scalars = st.one_of(st.booleans(), st.integers(-2**40, 2**40), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["classification", "photoz", "drop", "u - g", "r",
                                                           "standard", "astromlp:sample", "*.fits"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=6)
known_keys = st.sampled_from(["kind", "target", "catalogs", "test", "validation", "seed", "out", "missing",
                              "method", "hidden_layer_sizes", "max_epochs", "n_bootstrap", "u_g", "select",
                              "workers", "scheduler", "hdu", "stratify", "key", "sentinels", "activation"])
tables = st.dictionaries(st.one_of(known_keys, st.text(min_size=1, max_size=8)), values, max_size=5)
documents = st.dictionaries(st.one_of(st.sampled_from([*SECTIONS, *FREE_TABLES]), st.text(min_size=1, max_size=8)),
                            st.one_of(tables, values), max_size=7)


@FAST
@given(documents)
def test_any_toml_document_gives_a_config_or_one_line_user_error(tmp_path_factory, document):
    folder = tmp_path_factory.getbasetemp()
    try:
        text = tomli_w.dumps(document)
    except (TypeError, ValueError):  # e.g. a value TOML cannot spell
        return
    try:
        config = parse_config(text, folder / "random.toml")
    except AstromlpError as exc:
        assert "\n" not in str(exc) and "random.toml" in str(exc) or "feature" in str(exc), str(exc)
    else:
        assert config.task.kind in ("classification", "regression", "photoz") and config.catalog_paths


@FAST
@given(st.text(max_size=200))
def test_any_text_gives_a_config_or_one_line_user_error(tmp_path_factory, text):
    try:
        parse_config(text, tmp_path_factory.getbasetemp() / "random.toml")
    except AstromlpError as exc:
        assert "\n" not in str(exc)


# ---- metrics -------------------------------------------------------------------------------------------

redshifts = st.lists(st.tuples(st.floats(0, 6), st.floats(-0.99, 8)), min_size=1, max_size=60)


@FAST
@given(redshifts)
def test_sigma_nmad_is_never_negative_and_ignores_row_order(pairs):
    z_spec, z_phot = (np.array(column) for column in zip(*pairs, strict=True))
    value = sigma_nmad(ValuedCase(z_spec, z_phot))
    assert value >= 0
    order = np.random.default_rng(len(pairs)).permutation(len(pairs))
    assert sigma_nmad(ValuedCase(z_spec[order], z_phot[order])) == pytest.approx(value, abs=1e-12)


CLASSES = ["GALAXY", "QSO", "STAR"]
labelled = st.integers(3, 60).flatmap(lambda n: st.tuples(
    st.lists(st.sampled_from(CLASSES), min_size=n, max_size=n), st.lists(st.sampled_from(CLASSES), min_size=n,
                                                                          max_size=n),
    st.lists(st.lists(st.floats(0.01, 1), min_size=3, max_size=3), min_size=n, max_size=n)))


def _classification(truth, predicted, weights) -> EvaluationInputs:
    proba = np.asarray(weights) / np.sum(weights, axis=1, keepdims=True)
    return EvaluationInputs(task="classification", target="class", y_true=np.asarray(truth),
                            predictions={"MLP": np.asarray(predicted), "majority": np.full(len(truth), "GALAXY")},
                            network_name="MLP", classes=CLASSES, probabilities={"MLP": proba})


@settings(max_examples=20, deadline=None)
@given(labelled, st.randoms(use_true_random=False))
def test_confusion_matrix_sums_to_the_rows_and_metrics_ignore_row_order(data, random):
    truth, predicted, weights = data
    metrics = compute_metrics(_classification(truth, predicted, weights), n_bootstrap=0)
    counts = np.asarray(metrics["results"]["MLP"]["confusion"]["counts"])
    assert counts.sum() == len(truth)
    np.testing.assert_array_equal(counts, confusion_matrix(truth, predicted, labels=CLASSES))
    order = list(range(len(truth)))
    random.shuffle(order)
    shuffled = compute_metrics(_classification(*(np.asarray(a)[order] for a in data)), n_bootstrap=0)
    for name in ("MLP", "majority"):
        ours, theirs = metrics["results"][name]["scalars"], shuffled["results"][name]["scalars"]
        assert ours.keys() == theirs.keys()
        for key in ours:  # undefined metrics are None in the JSON-able result
            assert ours[key] == theirs[key] or ours[key] == pytest.approx(theirs[key], rel=1e-9, abs=1e-12), key
