"""The safe expression language of features and row selections, parsed with `ast` (never `eval`).

Numbers: column names, numeric literals, + - * / **, unary minus, and the functions of FUNCTIONS. Conditions:
comparisons (chained too, `0 < z < 2`), `&` `|` `^` `~` on conditions, `isin(x, [values])`, `isnan(x)`, and
bitwise flag tests on integers (`(flags & 4) == 0`). Names are resolved exactly as written (Python's parser
folds identifiers to NFKC, which would make a full-width `ｒ` read column `r`), and the source is bounded in
length, node count, nesting depth and literal magnitude before anything recursive touches it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from astromlp.catalogs import photometry
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
"""The numeric functions an expression may call: name -> arity, implementation and meaning."""
CONDITIONS: dict[str, str] = {
    "isin": "isin(x, [v1, v2, ...]): true where x is one of the listed numbers or texts",
    "isnan": "isnan(x): true where x is missing (NaN, masked or a sentinel)",
}
"""The functions that give a condition (true/false per row)."""


@dataclass(frozen=True)
class Limits:
    """Bounds on an expression, checked before and while parsing, so a hostile one costs nothing."""

    length: int = 10_000
    nodes: int = 2_000
    depth: int = 100
    integer: int = 2**63 - 1


LIMITS = Limits()

# Kinds of value: a number (float64), an integer column or literal (bitwise tests), a condition, a text, or
# "any" when the column types are not known yet (the check is then completed once they are).
NUMBER, INTEGER, CONDITION, TEXT, ANY = "number", "integer", "condition", "text", "any"
NUMERIC = {NUMBER, INTEGER, ANY}
ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
LOGICAL = (ast.BitAnd, ast.BitOr, ast.BitXor)
ORDER = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
EQUALITY = (ast.Eq, ast.NotEq)
NAMED_CONSTRUCTS = {ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "lambda",
                     ast.IfExp: "conditional", ast.Mod: "operator %", ast.FloorDiv: "operator //",
                     ast.MatMult: "operator @", ast.LShift: "operator <<", ast.RShift: "operator >>",
                     ast.Starred: "unpacking", ast.keyword: "keyword argument", ast.In: "operator in",
                     ast.NotIn: "operator not in", ast.Is: "operator is", ast.IsNot: "operator is not"}
ALLOWED = ("column names, numbers, + - * / **, comparisons (< <= > >= == !=, chained), & | ^ ~, "
           + ", ".join([*FUNCTIONS, *CONDITIONS]))
_QUOTED = re.compile(r"`([^`]*)`")
_DIGITS = re.compile(r"\d{400,}")  # Python refuses 4,300 digits with a page of advice; far beyond 64 bits anyway
PRECEDENCE = "& | ^ bind tighter than comparisons, so write (r < 19) & (g < 20)"


def column_kind(dtype: object) -> str:
    """The kind of value a column of `dtype` gives."""
    if pd.api.types.is_bool_dtype(dtype):
        return CONDITION
    if pd.api.types.is_integer_dtype(dtype):
        return INTEGER
    return NUMBER if pd.api.types.is_numeric_dtype(dtype) else TEXT


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its tree (names replaced by the columns they resolve to), the written
    name -> column map, the kind of its value and how messages call it."""

    text: str
    tree: ast.Expression
    names: dict[str, str]
    kind: str
    role: str
    code: str = ""
    quoted: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(dict.fromkeys(self.names.values()))

    def segment(self, node: ast.AST) -> str:
        """The source text of `node` as the user wrote it (back-quoted names restored)."""
        return source_segment(self.code, self.quoted, node)


def source_segment(code: str, quoted: Mapping[str, str], node: ast.AST) -> str:
    """The text of `node` in `code` with the placeholders of back-quoted names turned back into `name`."""
    text = ast.get_source_segment(code, node) or ""
    for key, name in quoted.items():
        text = text.replace(key, f"`{name}`")
    return text


def shorten(text: str, width: int = 60) -> str:
    """`text` as messages quote it: at most `width` characters, so a giant expression is one short line."""
    return repr(text if len(text) <= width else text[:width] + "...")


def describe(role: str, text: str) -> str:
    """How messages name an expression: `feature 'u_g' = 'u - g'`, `[data] select = 'r < 19'`, `--select 'r'`."""
    joiner = " = " if "feature '" in role or "[" in role else " "
    return f"{role}{joiner}{shorten(text)}"


def _placeholders(text: str) -> tuple[str, dict[str, str]]:
    """Back-quoted names replaced by identifiers with a prefix found nowhere in `text`, so no column written
    bare can be mistaken for one; returns the code and placeholder -> quoted name."""
    prefix = "_q_"
    while prefix in text:
        prefix = "_" + prefix
    quoted: dict[str, str] = {}

    def placeholder(match: re.Match) -> str:
        key = f"{prefix}{len(quoted)}"
        quoted[key] = match.group(1)
        return key

    return _QUOTED.sub(placeholder, text), quoted


def parse(text: str, role: str, limits: Limits) -> tuple[str, ast.Expression, dict[str, str]]:
    """The tree of `text` within `limits` (length before parsing, nodes and depth right after)."""
    if len(text) > limits.length:
        raise AstromlpError(f"{describe(role, text)} is {len(text):,} characters long; the limit is "
                            f"{limits.length:,}: split it or use the list form of select for long value lists")
    digits = max((len(run) for run in _DIGITS.findall(text)), default=0)
    if digits:
        raise AstromlpError(f"{describe(role, text)} has a number literal of {digits:,} digits; the limit is "
                            f"64-bit numbers ({limits.integer:,} in magnitude)")
    code, quoted = _placeholders(text)
    code = code.strip()
    try:
        tree = ast.parse(code, mode="eval")
    except SyntaxError as exc:
        raise AstromlpError(f"cannot parse {describe(role, text)} ({exc.msg[:80]}); write e.g. 'u - g', 'r < 19' or "
                            "'log10(flux)', with names that are not identifiers in back quotes (`class`)") from None
    except (RecursionError, MemoryError):
        raise AstromlpError(f"{describe(role, text)} is nested too deeply to parse; the limit is "
                            f"{limits.depth} levels") from None
    _check_size(tree, text, role, limits)
    return code, tree, quoted


def _check_size(tree: ast.Expression, text: str, role: str, limits: Limits) -> None:
    """Node count and nesting depth, walked without recursion (the checker recurses only below the limit)."""
    stack, nodes = [(tree.body, 1)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > limits.nodes:
            raise AstromlpError(f"{describe(role, text)} has more than {limits.nodes:,} terms; simplify it")
        if depth > limits.depth:
            raise AstromlpError(f"{describe(role, text)} is nested more than {limits.depth} levels deep; "
                                "simplify it")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def resolve_written(written: str, available: Sequence[str], source: str) -> str:
    """The column a name written in an expression means, matched as written (never NFKC-folded)."""
    try:
        return resolve_column(written, available, source)
    except AstromlpError as exc:
        import unicodedata

        folded = unicodedata.normalize("NFKC", written)
        if folded == written:
            raise
        raise AstromlpError(f"{exc}; names are matched exactly as written, and {written!r} is not {folded!r} "
                            "(a compatibility character such as a full-width letter)") from None
