"""Derived features: each a named expression of the safe language (`catalogs.expressions`) over catalog
columns or earlier features, computed per partition as float64.

Allowed: column names (any case; `back quotes` for names that are not identifiers), numbers, + - * / **,
unary minus, and the functions in FUNCTIONS. Colours are differences (`u - g`); magnitudes from fluxes use
astropy units (abmag_nmgy, abmag_jy, asinh_mag_nmgy, asinh_mag_jy). A condition (`r < 19`, `(flags & 4) != 0`,
`isnan(z)`) becomes 1.0 / 0.0, missing where a value it compares is missing. Anything else is refused by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from astromlp.catalogs.cleaning import Frame
from astromlp.catalogs.expression_check import compile_expression, parse_expression
from astromlp.catalogs.expression_eval import evaluate
from astromlp.catalogs.expressions import FUNCTIONS, TEXT, Expression, shorten
from astromlp.catalogs.sources import with_columns
from astromlp.errors import AstromlpError

__all__ = ["FUNCTIONS", "Expression", "compile_expression", "compile_features", "derive", "evaluate",
           "parse_expression"]


def _derive_partition(frame: pd.DataFrame, compiled: Mapping[str, Expression]) -> pd.DataFrame:
    data, values = dict(frame.items()), {}  # values: each column's, converted once for all features reading it
    read = {column for expression in compiled.values() for column in expression.columns}
    for name, expression in compiled.items():
        data[name] = evaluate(expression, frame, values)
        if name in read:  # a later feature uses this one: its values as column_value would give them
            values[name] = (data[name], np.isnan(data[name]))
    return with_columns(frame, data)


def compile_features(features: Mapping[str, str], columns: Sequence[str], dtypes: Mapping[str, object],
                     source: str = "the catalog", labels: Mapping[str, str] | None = None) -> dict[str, Expression]:
    """Each feature checked in order (later ones may use earlier ones); its value must be a number or a
    condition (texts only inside comparisons, e.g. `class` == 'STAR'). `labels` says what messages call a
    feature (default "feature 'name'")."""
    available, kinds = list(columns), dict(dtypes)
    compiled = {}
    for name, text in features.items():
        if name in available:
            raise AstromlpError(f"derived feature {name!r} already names a column of {source}; choose another name")
        label = (labels or {}).get(name, f"feature {name!r}")
        expression = compile_expression(text, available, source, dtypes=kinds, role=label)
        if expression.kind == TEXT:
            columns = " and ".join(f"column {column!r}" for column in expression.columns)
            why = f"{columns} of {source} holds text" if columns else "it is a text literal"
            raise AstromlpError(f"{label} = {shorten(text)} is not numeric: {why}; use numeric columns, or a "
                                "comparison such as `class` == 'STAR'")
        compiled[name] = expression
        available.append(name)
        kinds[name] = "float64"
    return compiled


def derive(df: Frame, features: Mapping[str, str], *, source: str = "the catalog",
           labels: Mapping[str, str] | None = None) -> Frame:
    """`df` with one float64 column per entry of `features` (name -> expression), computed per partition;
    `labels` names features in messages (e.g. by their configured name when stored under another)."""
    compiled = compile_features(features, list(df.columns), df.dtypes.to_dict(), source, labels)
    if isinstance(df, pd.DataFrame):
        return _derive_partition(df, compiled)
    meta = df._meta.assign(**{name: pd.Series([], dtype="float64") for name in compiled})
    return df.map_partitions(_derive_partition, compiled, meta=meta)
