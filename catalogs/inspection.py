"""`inspect_text`: what a catalog holds, per column: type, unit, missing and sentinel counts, range, and the
most common values of text columns (the class balance). Every catalog-derived string is printed with its
control characters escaped (`printable`), so a column name cannot drive the user's terminal."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from astromlp.catalogs.cleaning import DEFAULT_SENTINELS, is_numeric, sentinel_mask
from astromlp.catalogs.formats import detect
from astromlp.catalogs.paths import expand_paths
from astromlp.catalogs.readers import PathsLike, frame_of
from astromlp.catalogs.schema import plan_read
from astromlp.catalogs.sources import Source
from astromlp.errors import AstromlpError, printable

DESCRIPTION_WIDTH = 48
TOP_VALUES = 10  # most common values shown per text column
DISTINCT_LIMIT = 1000  # a text column with more distinct values in one partition is an identifier, not a class
HEADINGS = ("column", "type", "unit", "missing", "sentinels", "min", "max", "description")


def _partition_stats(frame: pd.DataFrame, sentinels: Sequence[float]) -> pd.DataFrame:
    """Per column of one partition: missing count, sentinel hits, finite min and max (numeric only)."""
    rows = []
    for name in frame.columns:
        column = frame[name]
        numeric = is_numeric(column.dtype)
        floating = pd.api.types.is_float_dtype(column.dtype)
        values = column.to_numpy(dtype="float64", na_value=np.nan) if numeric else None
        finite = values[np.isfinite(values)] if numeric else np.array([])
        rows.append({"column": name, "missing": int(column.isna().sum()),
                     "sentinels": int(sentinel_mask(column, sentinels).sum()) if floating else 0,
                     "min": finite.min() if finite.size else np.nan, "max": finite.max() if finite.size else np.nan})
    return pd.DataFrame(rows, columns=["column", "missing", "sentinels", "min", "max"])


def column_statistics(source: Source, sentinels: Sequence[float] = DEFAULT_SENTINELS) -> pd.DataFrame:
    """Missing, sentinel, min and max per column of `source`, in one pass over its partitions."""
    frame = frame_of([source])
    meta = pd.DataFrame({"column": pd.Series([], dtype="str"), "missing": pd.Series([], dtype="int64"),
                         "sentinels": pd.Series([], dtype="int64"), "min": pd.Series([], dtype="float64"),
                         "max": pd.Series([], dtype="float64")})
    parts = frame.map_partitions(_partition_stats, tuple(sentinels), meta=meta).compute()
    summary = parts.groupby("column", sort=False).agg({"missing": "sum", "sentinels": "sum", "min": "min",
                                                       "max": "max"})
    return summary.reindex(list(source.meta.columns))


def _partition_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """(column, value, count) of every text column's values in one partition; a column with more than
    DISTINCT_LIMIT distinct values gets one row with value None and count -1 (too many to list)."""
    parts = []
    for name in frame.columns:
        counts = frame[name].value_counts(dropna=True)
        if len(counts) > DISTINCT_LIMIT:
            counts = pd.Series([-1], index=pd.Index([None], dtype="object"))
        parts.append(pd.DataFrame({"column": name, "value": counts.index.astype("object"),
                                   "count": counts.to_numpy(dtype="int64")}))
    return pd.concat(parts, ignore_index=True) if parts else _COUNTS_META


_COUNTS_META = pd.DataFrame({"column": pd.Series([], dtype="object"), "value": pd.Series([], dtype="object"),
                             "count": pd.Series([], dtype="int64")})


def value_counts(source: Source) -> dict[str, pd.Series | None]:
    """Per text column of `source`: its values' counts, most common first (ties by value), or None when it
    has too many distinct values to be a class column."""
    text = [name for name, dtype in source.meta.dtypes.items() if not is_numeric(dtype)
            and not pd.api.types.is_bool_dtype(dtype)]
    if not text:
        return {}
    parts = frame_of([source], columns=text).map_partitions(_partition_counts, meta=_COUNTS_META).compute()
    found = {}
    for name in text:
        rows = parts[parts["column"] == name]
        if (rows["count"] < 0).any():
            found[name] = None
            continue
        counts = rows.groupby("value", sort=True)["count"].sum()
        too_many = len(counts) > DISTINCT_LIMIT
        found[name] = None if too_many else counts.sort_values(ascending=False, kind="stable")
    return found


def _counts_line(name: str, counts: pd.Series | None) -> str:
    if counts is None:
        return f"  {printable(name)}: more than {DISTINCT_LIMIT:,} distinct values"
    shown = ", ".join(f"{printable(value)} {count:,}" for value, count in counts.iloc[:TOP_VALUES].items())
    more = f", ... ({len(counts) - TOP_VALUES:,} more values)" if len(counts) > TOP_VALUES else ""
    return f"  {printable(name)}: {shown or '(no values)'}{more}"


def _number(value: float) -> str:
    return "" if pd.isna(value) else f"{value:.6g}"


def _shorten(text: str | None) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= DESCRIPTION_WIDTH else text[:DESCRIPTION_WIDTH - 3] + "..."


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    rows = [tuple(printable(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]


def _section(source: Source, format_name: str) -> str:
    stats = column_statistics(source)
    rows = [HEADINGS] + [(name, info.dtype, info.unit or "", str(stats.at[name, "missing"]),
                          str(stats.at[name, "sentinels"]), _number(stats.at[name, "min"]),
                          _number(stats.at[name, "max"]), _shorten(info.description))
                         for name, info in source.info.items()]
    title = printable(f"{source.label}: {format_name.upper()}, {source.n_rows:,} rows, {len(source.info)} columns")
    note = (f"(sentinels: float values equal to {', '.join(f'{v:g}' for v in DEFAULT_SENTINELS)}; counted, "
            "not removed)")
    counts = value_counts(source)
    balance = ["value counts of text columns (most common first):",
               *(_counts_line(name, found) for name, found in counts.items())] if counts else []
    skipped = getattr(source, "left_out", ())
    unread = [printable(f"not read: {', '.join(skipped)} (variable-length arrays have no fixed number of values)")
              ] if skipped else []
    return "\n".join([title, *_table(rows), note, *unread, *balance])


def inspect_text(paths: PathsLike, *, hdu: int | str | None = None, format: str | None = None) -> str:
    """A plain-text report of every catalog named by `paths`: one table of columns per file."""
    sources, sections = [], []
    for path in expand_paths(paths):
        kind = detect(path, format)
        sources.append(kind.open(path, hdu, None))
        sections.append(_section(sources[-1], kind.name))
    return "\n\n".join(sections + _compatibility(sources)) + "\n"


def _compatibility(sources: list[Source]) -> list[str]:
    """A note when the files could not be read together (inspecting them one by one still works)."""
    if len(sources) < 2:
        return []
    try:
        plan_read(sources, None)
    except AstromlpError as exc:
        return [printable(f"note: these files cannot be read together: {exc}")]
    return [f"The {len(sources)} files share one schema and can be read together."]
