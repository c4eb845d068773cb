"""Missing data: survey sentinels turned into NaN, and the policy for rows whose features are missing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from astromlp.catalogs.columns import resolve_columns
from astromlp.catalogs.sentinel_match import close_to_any
from astromlp.catalogs.sources import nullable, with_columns  # nullable: so an integer sentinel can be <NA>
from astromlp.errors import AstromlpError

Frame = pd.DataFrame | dd.DataFrame
Sentinels = Mapping[str, Sequence[float]] | Sequence[float] | str | None

DEFAULT_SENTINELS: tuple[float, ...] = (-9999.0, -999.0, -99.0, 99.0, 99.99, 999.0, 9999.0)
"""Values surveys commonly write for "no measurement" in floating-point columns (magnitudes, fluxes);
applied only when the user asks for "default", and then to float columns only (ids, runs and fibre
numbers are integers that legitimately take values such as 99 or 999)."""

SENTINEL_RTOL = 1e-6
"""Relative tolerance for sentinels in float columns (99.99 stored as float32 is 99.98999786...)."""


def is_numeric(dtype: object) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def sentinel_mask(values: pd.Series, sentinels: Sequence[float]) -> np.ndarray:
    """True where a numeric column holds one of `sentinels` (exactly for integers, to SENTINEL_RTOL else)."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        return close_to_any(values.to_numpy(), sentinels, SENTINEL_RTOL)
    data = values.to_numpy(dtype="float64", na_value=np.nan)
    if pd.api.types.is_integer_dtype(values.dtype):
        return np.isin(data, np.asarray(sentinels, dtype="float64"))
    return close_to_any(data, sentinels, SENTINEL_RTOL)


def sentinel_table(columns: Sequence[str], dtypes: Mapping[str, object], sentinels: Sentinels,
                   source: str) -> dict[str, tuple[float, ...]]:
    """Per numeric column, the values that mean "missing": a global list, "default", or per column."""
    if sentinels is None:
        return {}
    numeric = [c for c in columns if is_numeric(dtypes[c])]
    if isinstance(sentinels, str):
        if sentinels.strip().lower() != "default":
            raise AstromlpError(f"sentinels must be a list of numbers, a mapping column -> list, or 'default'; "
                                f"got {sentinels!r}")
        return dict.fromkeys([c for c in numeric if pd.api.types.is_float_dtype(dtypes[c])], DEFAULT_SENTINELS)
    if isinstance(sentinels, Mapping):
        names = resolve_columns(list(sentinels), list(columns), source)
        return {name: tuple(float(v) for v in values) for name, values in zip(names, sentinels.values(),
                                                                               strict=True)}
    return dict.fromkeys(numeric, tuple(float(v) for v in sentinels))


def _replace_sentinels(frame: pd.DataFrame, table: Mapping[str, tuple[float, ...]]) -> pd.DataFrame:
    columns = dict(frame.items())
    for name, values in table.items():
        column = columns[name].astype(nullable(columns[name].dtype))
        mask = sentinel_mask(column, values)
        columns[name] = _masked(column, mask) if mask.any() else column
    return with_columns(frame, columns)


def _masked(column: pd.Series, mask: np.ndarray) -> pd.Series:
    """`column` missing where `mask` holds: NaN written straight into a copy of a float array (one pass, where
    Series.mask builds a frame-wide condition), pandas' own masking for nullable columns."""
    if not (isinstance(column.dtype, np.dtype) and column.dtype.kind == "f"):
        return column.mask(mask)
    values = column.to_numpy()
    return pd.Series(np.where(mask, values.dtype.type(np.nan), values), index=column.index, name=column.name)


def apply_sentinels(df: Frame, sentinels: Sentinels, *, source: str = "the catalog") -> Frame:
    """`df` with sentinel values set missing (NaN / <NA>); masked, TNULL and NaN entries already are.

    `sentinels`: a list applied to every numeric column, {column: [values]} (names any case), "default"
    for DEFAULT_SENTINELS on every float column, or None for nothing.
    """
    table = sentinel_table(list(df.columns), df.dtypes.to_dict(), sentinels, source)
    if not table:
        return df
    if isinstance(df, pd.DataFrame):
        return _replace_sentinels(df, table)
    meta = df._meta.astype({name: nullable(df._meta[name].dtype) for name in table})
    return df.map_partitions(_replace_sentinels, table, meta=meta)


def _compute(*values):
    return dask.compute(*values) if any(dask.is_dask_collection(v) for v in values) else values


def count_missing(df: Frame, columns: Sequence[str]) -> dict[str, int]:
    """Number of missing entries in each of `columns` (one pass over the data)."""
    (counts,) = _compute(df[list(columns)].isna().sum())
    return {name: int(counts[name]) for name in columns}


@dataclass(frozen=True)
class MissingSummary:
    """How much of the feature columns is missing: rows in all, per column, and rows with any."""

    rows: int
    per_column: dict[str, int]
    rows_with_missing: int


def summarize_missing(df: Frame, columns: Sequence[str]) -> MissingSummary:
    """Counts for the missing-data policy, computed in one pass."""
    missing = df[list(columns)].isna()
    rows, per_column, any_missing = _compute(df.shape[0] if isinstance(df, pd.DataFrame) else df.index.size,
                                            missing.sum(), missing.any(axis=1).sum())
    return MissingSummary(int(rows), {c: int(per_column[c]) for c in columns}, int(any_missing))


def resolve_features(df: Frame, requested: Sequence[str], source: str) -> list[str]:
    """The spellings of `requested` in `df`, each checked to exist (any case) and to be numeric."""
    names = resolve_columns(list(requested), list(df.columns), source)
    for name in names:
        if not is_numeric(df.dtypes[name]):
            raise AstromlpError(f"column {name!r} in {source} is not numeric ({df.dtypes[name]}); choose "
                                "numeric feature columns or derive a number from it")
    return names


class MissingPolicy(StrEnum):
    """What to do with rows whose features are missing."""

    DROP = "drop"
    IMPUTE = "impute"
    ERROR = "error"

    @classmethod
    def parse(cls, value: str | MissingPolicy) -> MissingPolicy:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise AstromlpError(f"unknown missing-data policy {value!r}; choose one of "
                                f"{', '.join(p.value for p in cls)}") from None


@dataclass(frozen=True)
class MissingOutcome:
    """The frame after the policy, with what was found and what was done (for the report)."""

    frame: Frame
    policy: MissingPolicy
    summary: MissingSummary
    dropped: int = 0
    imputed: dict[str, float] | None = None


def _describe(summary: MissingSummary, label: Callable[[str], str]) -> str:
    return ", ".join(f"{label(name)} ({count})" for name, count in summary.per_column.items() if count)


def _drop(df, columns, summary, fill_values, source, label) -> MissingOutcome:
    kept = df[~df[list(columns)].isna().any(axis=1)] if summary.rows_with_missing else df
    return MissingOutcome(kept, MissingPolicy.DROP, summary, dropped=summary.rows_with_missing)


def _impute(df, columns, summary, fill_values, source, label) -> MissingOutcome:
    needed = [name for name, count in summary.per_column.items() if count]
    absent = [name for name in needed if fill_values is None or name not in fill_values]
    if absent:
        raise AstromlpError(f"cannot impute {label(absent[0])} of {source}: no training-split value was "
                            "supplied for it; compute one with fill_values_from(training rows)")
    values = {name: float(fill_values[name]) for name in needed}
    filled = df.fillna(values) if values else df
    return MissingOutcome(filled, MissingPolicy.IMPUTE, summary, imputed=values)


def _error(df, columns, summary, fill_values, source, label) -> MissingOutcome:
    if summary.rows_with_missing:
        raise AstromlpError(f"{summary.rows_with_missing} rows of {source} have missing features: "
                            f"{_describe(summary, label)}; set the missing policy to 'drop' or 'impute', or fix "
                            "the file")
    return MissingOutcome(df, MissingPolicy.ERROR, summary)


_POLICIES = {MissingPolicy.DROP: _drop, MissingPolicy.IMPUTE: _impute, MissingPolicy.ERROR: _error}


def handle_missing(df: Frame, columns: Sequence[str], policy: str | MissingPolicy, *,
                   fill_values: Mapping[str, float] | None = None, source: str = "the catalog",
                   names: Mapping[str, str] | None = None) -> MissingOutcome:
    """Apply the missing-data `policy` to `columns` of `df`; an entirely missing column is always an error.

    `fill_values` (for "impute") must come from the training split only, e.g. `fill_values_from(train, ...)`.
    `names` says what messages call a column (e.g. "feature 'u_g'" for a derived one), else "column 'u'".
    """
    chosen = MissingPolicy.parse(policy)
    summary = summarize_missing(df, columns)

    def label(column: str) -> str:
        return (names or {}).get(column, f"column {column!r}")

    empty = [name for name, count in summary.per_column.items() if summary.rows and count == summary.rows]
    if empty:
        raise AstromlpError(f"{label(empty[0])} in {source} is entirely missing (all {summary.rows} rows); "
                            "remove it from the features or fix the file")
    return _POLICIES[chosen](df, columns, summary, fill_values, source, label)


_STATISTICS = {"median": lambda frame: frame.median(), "mean": lambda frame: frame.mean()}


def fill_values_from(train: Frame, columns: Sequence[str], statistic: str = "median") -> dict[str, float]:
    """Per-column imputation values from the training rows only (median by default, NaN-skipping)."""
    if statistic not in _STATISTICS:
        raise AstromlpError(f"unknown imputation statistic {statistic!r}; choose one of {', '.join(_STATISTICS)}")
    frame = train[list(columns)]
    if isinstance(frame, dd.DataFrame):
        frame = frame.compute()
    values = _STATISTICS[statistic](frame.astype("float64"))
    return {name: float(values[name]) for name in columns}
