"""Column descriptions and case-insensitive column lookup with "did you mean" suggestions."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from astromlp.errors import AstromlpError


@dataclass(frozen=True)
class ColumnInfo:
    """What a file says about one column: its name as spelled there, pandas dtype, unit and description."""

    name: str
    dtype: str
    unit: str | None = None
    description: str | None = None


def check_unique(names: Sequence[str], label: str) -> None:
    """AstromlpError when a column name appears twice in one file: which one a config means is unknowable."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise AstromlpError(f"{label} has two columns named {name!r}; rename one of them, since astromlp "
                                "cannot tell which one is meant")
        seen.add(name)


def column_key(name: str) -> str:
    """The form two column names are compared in: surrounding spaces ignored, case folded."""
    return name.strip().casefold()


def suggest(name: str, available: Iterable[str], limit: int = 3) -> list[str]:
    """Existing names closest to `name`: similar spellings first, then names one is a prefix of."""
    by_key = {column_key(a): a for a in available}
    key = column_key(name)
    close = difflib.get_close_matches(key, list(by_key), n=limit, cutoff=0.6)
    prefixed = sorted((k for k in by_key if k and k not in close and (key.startswith(k) or k.startswith(key))),
                      key=lambda k: -difflib.SequenceMatcher(None, key, k).ratio())
    return [by_key[k] for k in (close + prefixed)[:limit]]


def _did_you_mean(name: str, available: Sequence[str]) -> str:
    hints = suggest(name, available)
    if hints:
        return "did you mean " + " or ".join(repr(h) for h in hints) + "?"
    shown = ", ".join(repr(a) for a in list(available)[:8])
    return f"available columns: {shown}{', ...' if len(available) > 8 else ''}"


def resolve_column(requested: str, available: Sequence[str], source: str) -> str:
    """The spelling in `available` of `requested`, matched exactly first and then case-insensitively."""
    if requested in available:
        return requested
    matches = [a for a in available if column_key(a) == column_key(requested)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise AstromlpError(f"column name {requested!r} is ambiguous in {source}: it matches "
                            + " and ".join(repr(m) for m in matches) + "; use the exact spelling")
    raise AstromlpError(f"no column {requested!r} in {source}; {_did_you_mean(requested, available)}")


def resolve_columns(requested: Sequence[str], available: Sequence[str], source: str) -> list[str]:
    """The spellings in `available` of every requested name (case-insensitive); AstromlpError names a miss."""
    return [resolve_column(name, list(available), source) for name in requested]
