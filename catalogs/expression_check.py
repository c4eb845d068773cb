"""Checking a parsed expression: only the allowed constructs, names resolved exactly as written, and the kind
of every value (number, integer, condition, text) so `r + (g < 1)` or `flags & 4 == 0` is refused by name."""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence

from astromlp.catalogs.expressions import (
    ALLOWED,
    ANY,
    ARITHMETIC,
    CONDITION,
    CONDITIONS,
    EQUALITY,
    FUNCTIONS,
    INTEGER,
    LIMITS,
    LOGICAL,
    NAMED_CONSTRUCTS,
    NUMBER,
    NUMERIC,
    ORDER,
    PRECEDENCE,
    TEXT,
    Expression,
    Limits,
    column_kind,
    describe,
    parse,
    resolve_written,
    source_segment,
)
from astromlp.errors import AstromlpError

_COMPARISONS = (*ORDER, *EQUALITY)


class Checker:
    """Walks the tree (depth already bounded), accepting only the allowed constructs, resolving names to
    columns in place and returning the kind of each value."""

    def __init__(self, text: str, code: str, quoted: Mapping[str, str], available: Sequence[str] | None,
                 source: str, dtypes: Mapping[str, object], role: str, limits: Limits):
        self.text, self.code, self.quoted, self.source = text, code, quoted, source
        self.available = None if available is None else list(available)
        self.dtypes, self.role, self.limits = dtypes, role, limits
        self.names: dict[str, str] = {}

    def segment(self, node: ast.AST) -> str:
        """The source text of `node` as the user wrote it (back-quoted names restored)."""
        return source_segment(self.code, self.quoted, node)

    def fail(self, message: str) -> AstromlpError:
        return AstromlpError(f"{describe(self.role, self.text)} {message}")

    def forbidden(self, node: ast.AST, kind: str | None = None) -> AstromlpError:
        kind = kind or NAMED_CONSTRUCTS.get(type(node), type(node).__name__.lower())
        segment = self.segment(node) if hasattr(node, "lineno") else ""
        token = f" {segment!r}" if segment else ""
        return self.fail(f"uses a forbidden {kind}{token}; allowed are {ALLOWED}")

    def check(self, node: ast.AST) -> str:
        if isinstance(node, ast.BoolOp) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not)):
            raise self.fail(f"uses {self.segment(node)!r}; combine conditions with & (and), | (or) and ~ (not), "
                            "each in parentheses: (r < 19) & ~isnan(g)")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise self.forbidden(node)
        return method(node)

    def expect(self, node: ast.AST, kinds: set[str], what: str) -> str:
        kind = self.check(node)
        if kind not in kinds and kind != ANY:
            found = (f"column {node.id!r} of {self.source} is {self.dtypes[node.id]}" if isinstance(node, ast.Name)
                     else f"{self.segment(node)!r} is a {kind}")
            raise self.fail(f"needs {what} where {found}")
        return kind

    def _BinOp(self, node: ast.BinOp) -> str:
        if isinstance(node.op, ARITHMETIC):
            self.expect(node.left, NUMERIC, "numbers")
            self.expect(node.right, NUMERIC, "numbers")
            return NUMBER
        if not isinstance(node.op, LOGICAL):
            raise self.forbidden(node.op if type(node.op) in NAMED_CONSTRUCTS else node)
        kinds = {self.check(node.left), self.check(node.right)} - {ANY}
        if kinds <= {CONDITION} or kinds == {INTEGER}:
            return kinds.pop() if kinds else ANY
        raise self.fail(f"joins {self.segment(node.left)!r} and {self.segment(node.right)!r} with a bitwise "
                        f"operator, which takes two conditions or two integers; {PRECEDENCE}")

    def _UnaryOp(self, node: ast.UnaryOp) -> str:
        if isinstance(node.op, ast.Invert):
            return self.expect(node.operand, {CONDITION, INTEGER}, "a condition or an integer after ~")
        if isinstance(node.op, ast.USub | ast.UAdd):
            self.expect(node.operand, NUMERIC, "a number after a sign")
            return NUMBER
        raise self.forbidden(node)

    def _Compare(self, node: ast.Compare) -> str:
        for op in node.ops:
            if not isinstance(op, _COMPARISONS):
                raise self.forbidden(op)
        operands = [node.left, *node.comparators]
        kinds = [self.check(operand) for operand in operands]
        for k, op in enumerate(node.ops):
            left, right, pair = operands[k], operands[k + 1], (kinds[k], kinds[k + 1])
            known = set(pair) - {ANY}
            allowed = {NUMBER, INTEGER} if isinstance(op, ORDER) else {NUMBER, INTEGER, TEXT}
            if not known <= allowed or (TEXT in known and len(known) > 1):
                hint = f"; {PRECEDENCE}" if any(isinstance(o, ast.BinOp) for o in (left, right)) else ""
                raise self.fail(f"compares {self.segment(left)!r} ({pair[0]}) with {self.segment(right)!r} "
                                f"({pair[1]}); compare numbers with numbers (texts only with == and !=){hint}")
        return CONDITION

    def _Constant(self, node: ast.Constant) -> str:
        value = node.value
        if isinstance(value, str):
            return TEXT
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"uses a forbidden constant {value!r}; allowed are {ALLOWED}")
        if isinstance(value, int) and abs(value) > self.limits.integer:
            raise self.fail(f"has an integer literal of {len(str(abs(value)))} digits; the limit is "
                            f"{self.limits.integer:,} in magnitude (64-bit)")
        if isinstance(value, float) and not abs(value) < float("inf"):
            raise self.fail(f"has a number literal {self.segment(node)!r} too large for a 64-bit float")
        return INTEGER if isinstance(value, int) else NUMBER

    def _Name(self, node: ast.Name) -> str:
        raw = self.segment(node)
        written = self.quoted.get(ast.get_source_segment(self.code, node), raw)
        if self.available is None:
            return ANY
        column = resolve_written(written, self.available, self.source)
        self.names[written] = node.id = column
        return column_kind(self.dtypes[column]) if column in self.dtypes else ANY

    def _Call(self, node: ast.Call) -> str:
        name = self.segment(node.func) if isinstance(node.func, ast.Name) else ""
        if name not in FUNCTIONS and name not in CONDITIONS:
            raise self.fail(f"calls {self.segment(node.func) or 'call'!r}, which is not an allowed function; "
                            f"allowed are {', '.join([*FUNCTIONS, *CONDITIONS])}")
        if node.keywords:
            raise self.forbidden(node.keywords[0])
        arity, meaning = (FUNCTIONS[name].arity, FUNCTIONS[name].meaning) if name in FUNCTIONS \
            else (2 if name == "isin" else 1, CONDITIONS.get(name, ""))
        if len(node.args) != arity:
            raise self.fail(f"calls {name} with {len(node.args)} argument(s); it takes {arity} ({meaning})")
        if name == "isin":
            return self._isin(node)
        for arg in node.args:
            self.expect(arg, NUMERIC if name in FUNCTIONS else {NUMBER, INTEGER, TEXT}, f"a value in {name}")
        return NUMBER if name in FUNCTIONS else CONDITION

    def _isin(self, node: ast.Call) -> str:
        kind = self.expect(node.args[0], {NUMBER, INTEGER, TEXT}, "a number or text in isin")
        values = node.args[1]
        if not isinstance(values, ast.List | ast.Tuple) or not values.elts:
            raise self.fail(f"calls isin with {self.segment(values)!r}; the second argument must be a list of "
                            "numbers or texts, e.g. isin(`class`, ['GALAXY', 'QSO'])")
        kinds = {TEXT if self.check(v) == TEXT else NUMBER for v in values.elts if self._literal(v)}
        if len(kinds) > 1 or (kind != ANY and kinds != ({TEXT} if kind == TEXT else {NUMBER})):
            raise self.fail(f"calls isin with {self.segment(values)!r} for {self.segment(node.args[0])!r} "
                            f"({kind}); list values of the same kind as it")
        return CONDITION

    def _literal(self, node: ast.AST) -> bool:
        """True for a constant or a signed number; else the refusal naming it."""
        inner = node.operand if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else node
        if not isinstance(inner, ast.Constant):
            raise self.fail(f"lists {self.segment(node)!r} in isin; list literal numbers or texts only")
        return True


def compile_expression(text: str, available: Sequence[str] | None, source: str = "the catalog", *,
                       dtypes: Mapping[str, object] | None = None, role: str = "feature expression",
                       limits: Limits = LIMITS) -> Expression:
    """Parse and check `text`; AstromlpError names the offending token, column, function or limit.

    `available` None checks the syntax only (no column is resolved); `dtypes` (column -> dtype) lets the
    kinds of values be checked, e.g. that `&` joins two conditions or two integers.
    """
    text = str(text)
    code, tree, quoted = parse(text, role, limits)
    checker = Checker(text, code, quoted, available, source, dtypes or {}, role, limits)
    kind = checker.check(tree.body)
    return Expression(text=text, tree=tree, names=checker.names, kind=kind, role=role, code=code, quoted=quoted)


def parse_expression(text: str, available_columns: Sequence[str], source: str = "the catalog", *,
                     role: str = "feature expression") -> list[str]:
    """The columns `text` uses (spelled as in `available_columns`); AstromlpError if anything is not allowed."""
    return compile_expression(text, available_columns, source, role=role).columns
