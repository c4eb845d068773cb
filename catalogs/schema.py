"""Joining the schemas of several files into one: same columns (any case), compatible types."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from astromlp.catalogs.columns import column_key, resolve_columns
from astromlp.catalogs.sources import Source, nullable
from astromlp.errors import AstromlpError


@dataclass(frozen=True)
class ReadPlan:
    """The unified, empty frame every partition conforms to, and each source's spelling of its columns."""

    meta: pd.DataFrame
    spellings: list[list[str]]


def _kind(dtype: object) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    return "text"


def _integer_dtype(dtypes: list[object]) -> object:
    widest = np.result_type(*[np.dtype(str(d).lower()) for d in dtypes])
    any_nullable = any(not isinstance(d, np.dtype) for d in dtypes)
    return nullable(widest) if any_nullable else widest


_COMMON_DTYPE = {
    frozenset({"float"}): lambda dtypes: np.result_type(*[np.dtype(str(d).lower()) for d in dtypes]),
    frozenset({"float", "int"}): lambda dtypes: np.dtype("float64"),
    frozenset({"int"}): _integer_dtype,
    frozenset({"text"}): lambda dtypes: pd.StringDtype(na_value=np.nan),
    frozenset({"bool"}): lambda dtypes: np.dtype(bool),
}


def _common_dtype(name: str, found: list[tuple[str, object]]) -> object:
    dtypes = [dtype for _, dtype in found]
    if all(dtype == dtypes[0] for dtype in dtypes):
        return dtypes[0]
    kinds = frozenset(_kind(dtype) for dtype in dtypes)
    if kinds not in _COMMON_DTYPE:
        first, first_dtype = found[0]
        other, other_dtype = next((label, d) for label, d in found if _kind(d) != _kind(first_dtype))
        raise AstromlpError(f"inconsistent schemas: column {name!r} is {first_dtype} in {first} but "
                            f"{other_dtype} in {other}; convert the files to one type or read them separately")
    return _COMMON_DTYPE[kinds](dtypes)


def _check_same_columns(sources: Sequence[Source]) -> None:
    first = sources[0]
    keys = {column_key(c): c for c in first.meta.columns}
    for other in sources[1:]:
        other_keys = {column_key(c): c for c in other.meta.columns}
        for key, name in keys.items():
            if key not in other_keys:
                raise AstromlpError(f"inconsistent schemas: {other.label} has no column {name!r} (present in "
                                    f"{first.label}); read the files separately or choose columns=[...]")
        for key, name in other_keys.items():
            if key not in keys:
                raise AstromlpError(f"inconsistent schemas: {other.label} has a column {name!r} that "
                                    f"{first.label} lacks; read the files separately or choose columns=[...]")


def _spellings(source: Source, names: list[str], first: Source) -> list[str]:
    try:
        return resolve_columns(names, list(source.meta.columns), source.label)
    except AstromlpError as exc:
        raise AstromlpError(f"inconsistent schemas: {exc} (the column is in {first.label})") from None


def plan_read(sources: Sequence[Source], columns: Sequence[str] | None) -> ReadPlan:
    """The schema of reading `sources` together, named as in the first file; AstromlpError on mismatch."""
    first = sources[0]
    if columns is None:
        _check_same_columns(sources)
        names = list(first.meta.columns)
    else:
        names = resolve_columns(list(columns), list(first.meta.columns), first.label)
    spellings = [names] + [_spellings(s, names, first) for s in sources[1:]]
    pairs = list(zip(sources, spellings, strict=True))
    dtypes = {name: _common_dtype(name, [(source.label, source.meta[spelled[i]].dtype) for source, spelled in pairs])
              for i, name in enumerate(names)}
    meta = pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in dtypes.items()},
                        index=pd.RangeIndex(0))
    return ReadPlan(meta=meta, spellings=spellings)
