"""Splits come from row content and the seed: stratified exactly, independent of partitioning."""

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from astromlp.errors import AstromlpError
from astromlp.pipeline.splits import (
    TEST,
    TRAIN,
    VALIDATION,
    assign_splits,
    row_uniforms,
    split_counts,
    split_sizes,
)


def _table(n=1000, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"ra": rng.uniform(0, 360, n), "dec": rng.uniform(-10, 10, n),
                         "cls": rng.choice(["GALAXY", "STAR", "QSO"], n, p=[0.5, 0.42, 0.08])})


def test_uniforms_do_not_depend_on_partitioning():
    table = _table()
    whole = row_uniforms(table, ["ra", "dec"], seed=7)
    for partitions in (1, 3, 8):
        frame = dd.from_pandas(table, npartitions=partitions)
        parts = frame.map_partitions(lambda p: pd.Series(row_uniforms(p, ["ra", "dec"], 7), index=p.index),
                                     meta=(None, "f8")).compute()
        np.testing.assert_array_equal(parts.to_numpy(), whole)


def test_uniforms_look_uniform_and_change_with_seed():
    table = _table(20000)
    u0, u1 = row_uniforms(table, ["ra", "dec"], 0), row_uniforms(table, ["ra", "dec"], 1)
    assert 0 <= u0.min() and u0.max() < 1
    counts, _ = np.histogram(u0, bins=10, range=(0, 1))
    assert np.all(np.abs(counts - 2000) < 200)  # ~4.5 sigma of a binomial(20000, 0.1)
    assert abs(np.corrcoef(u0, u1)[0, 1]) < 0.05


def test_row_split_follows_its_content_not_its_position():
    table = _table()
    codes = assign_splits(row_uniforms(table, ["ra", "dec"], 5), table["cls"].to_numpy(), 0.2, 0.1)
    shuffled = table.sample(frac=1.0, random_state=1)
    moved = assign_splits(row_uniforms(shuffled, ["ra", "dec"], 5), shuffled["cls"].to_numpy(), 0.2, 0.1)
    np.testing.assert_array_equal(pd.Series(moved, index=shuffled.index).sort_index().to_numpy(), codes)


def test_split_is_exactly_stratified():
    table = _table()
    strata = table["cls"].to_numpy()
    codes = assign_splits(row_uniforms(table, ["ra"], 0), strata, 0.2, 0.1)
    for label in np.unique(strata):
        n = np.count_nonzero(strata == label)
        got = [np.count_nonzero((strata == label) & (codes == code)) for code in (TRAIN, VALIDATION, TEST)]
        assert got == list(split_sizes(n, 0.2, 0.1))
        assert got[2] == round(n * 0.2)


def test_split_counts_per_class():
    codes = np.array([0, 0, 1, 2, 2, 0], dtype=np.int8)
    strata = np.array(["a", "b", "a", "a", "b", "b"])
    counts = split_counts(codes, strata)
    assert counts["train"] == 3 and counts["validation"] == 1 and counts["test"] == 2
    assert counts["per_class"]["train"] == {"a": 1, "b": 2}
    assert counts["per_class"]["test"] == {"a": 1, "b": 1}


def test_too_few_rows_for_a_class_names_it():
    strata = np.array(["GALAXY"] * 50 + ["QSO"] * 2)
    with pytest.raises(AstromlpError, match="class 'QSO' has 2 rows"):
        assign_splits(np.linspace(0, 1, 52, endpoint=False), strata, 0.2, 0.1)


def test_zero_validation_fraction_gives_no_validation_rows():
    codes = assign_splits(np.linspace(0, 1, 10, endpoint=False), None, 0.3, 0.0)
    assert np.count_nonzero(codes == VALIDATION) == 0 and np.count_nonzero(codes == TEST) == 3
