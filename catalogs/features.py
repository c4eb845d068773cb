"""Derived features from a small, safe expression language parsed with `ast` (never `eval`).

Allowed: column names (any case; `back quotes` for names that are not identifiers), numbers, + - * / **,
unary minus, and the functions in FUNCTIONS. Colours are differences (`u - g`); magnitudes from fluxes use
astropy units (abmag_nmgy, abmag_jy, asinh_mag_nmgy, asinh_mag_jy). Anything else is refused by name.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from astromlp.catalogs import photometry
from astromlp.catalogs.cleaning import Frame, is_numeric
from astromlp.catalogs.columns import resolve_column
from astromlp.errors import AstromlpError


@dataclass(frozen=True)
class Function:
    arity: int
    apply: Callable[..., np.ndarray]
    meaning: str


FUNCTIONS: dict[str, Function] = {
    "log10": Function(1, np.log10, "base-10 logarithm"),
    "ln": Function(1, np.log, "natural logarithm"),
    "sqrt": Function(1, np.sqrt, "square root"),
    "abs": Function(1, np.abs, "absolute value"),
    "abmag_nmgy": Function(1, photometry.ab_mag_from_nanomaggies, "AB magnitude of a flux in nanomaggies"),
    "abmag_jy": Function(1, photometry.ab_mag_from_jansky, "AB magnitude of a flux density in Jy"),
    "asinh_mag_nmgy": Function(2, photometry.asinh_mag_from_nanomaggies,
                               "asinh magnitude of a flux in nanomaggies with softening b (in maggies)"),
    "asinh_mag_jy": Function(2, photometry.asinh_mag_from_jansky,
                             "asinh magnitude of a flux density in Jy with softening b (in maggies)"),
}
"""The functions a feature expression may call: name -> arity, implementation and meaning."""
BINARY: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide, ast.Pow: np.power}
UNARY: dict[type, Callable[[np.ndarray], np.ndarray]] = {ast.USub: np.negative, ast.UAdd: np.positive}
_NAMED_CONSTRUCTS = {ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Compare: "comparison",
                     ast.BoolOp: "boolean operator", ast.Lambda: "lambda", ast.IfExp: "conditional",
                     ast.Mod: "operator %", ast.FloorDiv: "operator //", ast.MatMult: "operator @",
                     ast.BitAnd: "operator &", ast.BitOr: "operator |", ast.BitXor: "operator ^",
                     ast.LShift: "operator <<", ast.RShift: "operator >>", ast.Not: "operator not",
                     ast.Invert: "operator ~", ast.Starred: "unpacking", ast.keyword: "keyword argument"}
ALLOWED = "column names, numbers, + - * / **, and " + ", ".join(FUNCTIONS)
_QUOTED = re.compile(r"`([^`]*)`")


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, syntax tree, and the columns its names resolve to."""

    text: str
    tree: ast.Expression
    names: dict[str, str]

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(self.names.values()))


def _unquote(text: str) -> tuple[str, dict[str, str]]:
    """Back-quoted column names replaced by placeholder identifiers, and the placeholders' meanings."""
    quoted: dict[str, str] = {}

    def placeholder(match: re.Match) -> str:
        key = f"__column_{len(quoted)}__"
        quoted[key] = match.group(1)
        return key

    return _QUOTED.sub(placeholder, text), quoted


class _Checker:
    """Walks the tree, accepting only the allowed constructs and resolving names to columns."""

    def __init__(self, text: str, code: str, quoted: Mapping[str, str], available: Sequence[str], source: str):
        self.text, self.code, self.quoted, self.available, self.source = text, code, quoted, list(available), source
        self.names: dict[str, str] = {}

    def segment(self, node: ast.AST) -> str:
        """The source text of `node` as the user wrote it (back-quoted names restored)."""
        text = ast.get_source_segment(self.code, node) or ""
        for key, name in self.quoted.items():
            text = text.replace(key, f"`{name}`")
        return text

    def forbidden(self, node: ast.AST) -> AstromlpError:
        kind = _NAMED_CONSTRUCTS.get(type(node), type(node).__name__.lower())
        segment = self.segment(node) if hasattr(node, "lineno") else ""
        token = f" {segment!r}" if segment else ""
        return AstromlpError(f"feature expression {self.text!r} uses a forbidden {kind}{token}; allowed are "
                             f"{ALLOWED}")

    def check(self, node: ast.AST) -> None:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.forbidden(node)
        method(node)

    def _BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) not in BINARY:
            raise self.forbidden(node.op)
        self.check(node.left)
        self.check(node.right)

    def _UnaryOp(self, node: ast.UnaryOp) -> None:
        if type(node.op) not in UNARY:
            raise self.forbidden(node.op)
        self.check(node.operand)

    def _Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise AstromlpError(f"feature expression {self.text!r} uses a forbidden constant {node.value!r}; "
                                f"allowed are {ALLOWED}")

    def _Name(self, node: ast.Name) -> None:
        written = self.quoted.get(node.id, node.id)
        self.names[node.id] = resolve_column(written, self.available, self.source)

    def _Call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = self.segment(node.func) or "call"
            raise AstromlpError(f"feature expression {self.text!r} calls {name!r}, which is not an allowed "
                                f"function; allowed are {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise self.forbidden(node.keywords[0])
        function = FUNCTIONS[node.func.id]
        if len(node.args) != function.arity:
            raise AstromlpError(f"feature expression {self.text!r}: {node.func.id} takes {function.arity} "
                                f"argument(s) ({function.meaning}), not {len(node.args)}")
        for arg in node.args:
            self.check(arg)


def compile_expression(text: str, available: Sequence[str], source: str = "the catalog") -> Expression:
    """Parse and check `text`; AstromlpError names the offending token, column or function."""
    code, quoted = _unquote(str(text))
    try:
        tree = ast.parse(code.strip(), mode="eval")
    except SyntaxError as exc:
        raise AstromlpError(f"cannot parse feature expression {text!r} ({exc.msg}); write e.g. 'u - g' or "
                            "'log10(flux)', with names that are not identifiers in back quotes (`class`)") from None
    checker = _Checker(str(text), code.strip(), quoted, available, source)
    checker.check(tree.body)
    return Expression(text=str(text), tree=tree, names=checker.names)


def parse_expression(text: str, available_columns: Sequence[str], source: str = "the catalog") -> list[str]:
    """The columns `text` uses (spelled as in `available_columns`); AstromlpError if anything is not allowed."""
    return compile_expression(text, available_columns, source).columns


def _evaluate(node: ast.AST, names: Mapping[str, str], data: Mapping[str, np.ndarray]) -> np.ndarray | float:
    if isinstance(node, ast.BinOp):
        return BINARY[type(node.op)](_evaluate(node.left, names, data), _evaluate(node.right, names, data))
    if isinstance(node, ast.UnaryOp):
        return UNARY[type(node.op)](_evaluate(node.operand, names, data))
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return data[names[node.id]]
    args = [_evaluate(arg, names, data) for arg in node.args]
    return FUNCTIONS[node.func.id].apply(*args)


def evaluate(expression: Expression, frame: pd.DataFrame) -> np.ndarray:
    """Float64 values of `expression` on `frame`; missing inputs and non-finite results become NaN."""
    data = {name: frame[name].to_numpy(dtype="float64", na_value=np.nan) for name in expression.columns}
    with np.errstate(all="ignore"):
        values = np.broadcast_to(_evaluate(expression.tree.body, expression.names, data), (len(frame),))
        return np.where(np.isfinite(values), values, np.nan)


def _derive_partition(frame: pd.DataFrame, compiled: Mapping[str, Expression]) -> pd.DataFrame:
    frame = frame.copy(deep=False)
    for name, expression in compiled.items():
        frame[name] = evaluate(expression, frame)
    return frame


def compile_features(features: Mapping[str, str], columns: Sequence[str], dtypes: Mapping[str, object],
                     source: str = "the catalog") -> dict[str, Expression]:
    """Each feature checked in order (later ones may use earlier ones); inputs must be numeric columns."""
    available, numeric = list(columns), {c for c in columns if is_numeric(dtypes[c])}
    compiled = {}
    for name, text in features.items():
        if name in available:
            raise AstromlpError(f"derived feature {name!r} already names a column of {source}; choose another name")
        expression = compile_expression(text, available, source)
        for column in expression.columns:
            if column not in numeric:
                raise AstromlpError(f"feature {name!r} uses column {column!r} of {source}, which is not numeric "
                                    f"({dtypes[column]}); use numeric columns only")
        compiled[name] = expression
        available.append(name)
        numeric.add(name)
    return compiled


def derive(df: Frame, features: Mapping[str, str], *, source: str = "the catalog") -> Frame:
    """`df` with one float64 column per entry of `features` (name -> expression), computed per partition."""
    compiled = compile_features(features, list(df.columns), df.dtypes.to_dict(), source)
    if isinstance(df, pd.DataFrame):
        return _derive_partition(df, compiled)
    meta = df._meta.assign(**{name: pd.Series([], dtype="float64") for name in compiled})
    return df.map_partitions(_derive_partition, compiled, meta=meta)
