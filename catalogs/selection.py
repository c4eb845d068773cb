"""Row selection: range cuts and exact values (`[data] select`, `predict --select`), applied per partition,
with the rows each cut removes counted in the same pass.

A selection is a condition (`"(r < 19) & (0 < z < 2)"`), a list of conditions that must all hold, or a
table `{column = [values]}` of exact values. Each top-level `&` term, list entry or table entry is one cut;
cuts count in order, so a row is charged to the first cut it fails and read = removed by the cuts + kept.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from astromlp.catalogs.cleaning import Frame
from astromlp.catalogs.expression_check import compile_expression
from astromlp.catalogs.expression_eval import condition
from astromlp.catalogs.expressions import ANY, CONDITION, Expression, Limits, describe
from astromlp.errors import AstromlpError

Select = str | Sequence[str] | Mapping[str, Sequence] | None
TABLE_LIMITS = Limits(length=10**9, nodes=10**8)  # a table of exact values is data, bounded by the file


@dataclass(frozen=True)
class Cut:
    """One condition of a selection: as the user wrote it, and checked."""

    label: str
    expression: Expression

    @property
    def columns(self) -> list[str]:
        return self.expression.columns


def _conjuncts(node: ast.AST) -> list[ast.AST]:
    """The terms of a top-level chain of `&` (left-associative), in the order written."""
    terms = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd):
        terms.append(node.right)
        node = node.left
    return [node, *reversed(terms)]


def _split(expression: Expression) -> list[Cut]:
    """One cut per `&` term of a condition (the whole expression when any term is not itself a condition)."""
    terms = _conjuncts(expression.tree.body)
    if len(terms) == 1 or expression.kind != CONDITION:  # kind "any": syntax only, nothing to count
        return [Cut(expression.text.strip(), expression)]
    cuts = []
    for term in terms:
        used = {n.id for n in ast.walk(term) if isinstance(n, ast.Name)}
        names = {w: c for w, c in expression.names.items() if c in used}
        text = expression.segment(term)
        part = Expression(text, ast.Expression(body=term), names, CONDITION, expression.role, expression.code,
                          expression.quoted)
        cuts.append(Cut(text, part))
    return cuts


def _condition(text: str, columns, dtypes, source: str, role: str, limits: Limits | None = None) -> Expression:
    extra = {"limits": limits} if limits else {}
    expression = compile_expression(text, columns, source, dtypes=dtypes, role=role, **extra)
    if expression.kind not in (CONDITION, ANY):
        raise AstromlpError(f"{describe(role, text)} is a {expression.kind}, not a condition; write a comparison "
                            "such as 'r < 19', '0 < redshift < 2' or '(flags & 4) == 0'")
    return expression


def compile_select(select: Select, columns: Sequence[str] | None, dtypes: Mapping[str, object] | None = None,
                   source: str = "the catalog", role: str = "[data] select") -> list[Cut]:
    """The cuts of `select` checked against `columns` (None: syntax only); AstromlpError names the culprit."""
    if not select:
        return []
    if isinstance(select, str):
        return _split(_condition(select, columns, dtypes, source, role))
    if isinstance(select, Mapping):
        return [_exact(column, values, columns, dtypes, source, role) for column, values in select.items()]
    return [cut for text in select for cut in _split(_condition(text, columns, dtypes, source, role))]


def _exact(column: str, values: Sequence, columns, dtypes, source: str, role: str) -> Cut:
    """The table form `column = [values]` as the cut isin(`column`, [values])."""
    if "`" in column:
        raise AstromlpError(f"{role} names column {column!r}, which holds a back quote; rename the column")
    listed = json.dumps(list(values))
    expression = _condition(f"isin(`{column}`, {listed})", columns, dtypes, source, f"{role} {column}",
                            TABLE_LIMITS)
    return Cut(f"{column} = {listed}", expression)


def selected_columns(cuts: Sequence[Cut]) -> list[str]:
    """Every column the cuts read, once each."""
    return list(dict.fromkeys(column for cut in cuts for column in cut.columns))


def _keep(frame: pd.DataFrame, cuts: Sequence[Cut]) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for cut in cuts:
        mask &= condition(cut.expression, frame)
    return frame[mask]


def select_rows(df: Frame, cuts: Sequence[Cut]) -> Frame:
    """The rows of `df` where every cut holds, partition by partition."""
    if not cuts:
        return df
    if isinstance(df, pd.DataFrame):
        return _keep(df, cuts)
    return df.map_partitions(_keep, list(cuts), meta=df._meta)


def _count(frame: pd.DataFrame, cuts: Sequence[Cut]) -> pd.DataFrame:
    """One row: per cut, the rows it removes after the cuts before it, and how many of them miss a value it
    reads."""
    alive, row = np.ones(len(frame), dtype=bool), {}
    for k, cut in enumerate(cuts):
        holds = condition(cut.expression, frame)
        gone = alive & ~holds
        missing = frame[cut.columns].isna().any(axis=1).to_numpy() if cut.columns else np.zeros(len(frame), bool)
        row[f"removed_{k}"], row[f"missing_{k}"] = int(gone.sum()), int((gone & missing).sum())
        alive &= holds
    return pd.DataFrame([row], dtype="int64")


def count_removed(df: Frame, cuts: Sequence[Cut]):
    """Per cut, rows removed and those among them with a missing value: a pandas Series, or a lazy one for a
    Dask frame (compute it with the selected rows, in one pass)."""
    if isinstance(df, pd.DataFrame):
        return _count(df, cuts).sum()
    meta = _count(df._meta, cuts)
    return df.map_partitions(_count, list(cuts), meta=meta).sum()


def cut_report(cuts: Sequence[Cut], counts) -> list[dict]:
    """The record of each cut for reports and data_summary.json: its text, columns and counts."""
    return [{"cut": cut.label, "columns": cut.columns, "removed": int(counts[f"removed_{k}"]),
             "removed_missing": int(counts[f"missing_{k}"])} for k, cut in enumerate(cuts)]
