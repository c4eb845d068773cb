"""Vectorised evaluation of a checked expression on one pandas partition.

Every value is a pair (array, missing): numbers are float64, integers keep their 64 bits for flag tests,
conditions are booleans. A comparison, `isin` included, is false where a value it reads is missing (`!=` too,
unlike IEEE), so `r < 19` removes rows without r; `isnan(x)` is the one test that is true there.
"""

from __future__ import annotations

import ast
import functools
import operator

import numpy as np
import pandas as pd

from astromlp.catalogs.expressions import FUNCTIONS, Expression

Value = tuple[np.ndarray, np.ndarray]
ARITHMETIC = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
              ast.Pow: np.power}
BITWISE = {ast.BitAnd: (np.logical_and, np.bitwise_and), ast.BitOr: (np.logical_or, np.bitwise_or),
           ast.BitXor: (np.logical_xor, np.bitwise_xor)}
COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}
NONE = np.zeros((), dtype=bool)


def column_value(series: pd.Series) -> Value:
    """A column as (values, missing): booleans, 64-bit integers, float64 or text, missing as a mask."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":  # the common case, without pandas' NA machinery
        values = series.to_numpy(dtype="float64")
        return values, np.isnan(values)
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        return series.to_numpy(dtype=bool, na_value=False), missing
    if pd.api.types.is_integer_dtype(dtype):
        kind = "uint64" if pd.api.types.is_unsigned_integer_dtype(dtype) else "int64"
        return series.to_numpy(dtype=kind, na_value=0), missing
    if pd.api.types.is_numeric_dtype(dtype):
        return series.to_numpy(dtype="float64", na_value=np.nan), missing
    return series.astype(object).where(~missing, "").to_numpy(dtype=object), missing


def _number(value: np.ndarray) -> np.ndarray:
    return value if value.dtype == np.float64 else value.astype(np.float64)


def _evaluate(node: ast.AST, data: dict[str, Value]) -> Value:
    return EVALUATORS[type(node)](node, data)


def _binop(node: ast.BinOp, data) -> Value:
    (left, m1), (right, m2) = _evaluate(node.left, data), _evaluate(node.right, data)
    if type(node.op) in ARITHMETIC:
        return ARITHMETIC[type(node.op)](_number(left), _number(right)), m1 | m2
    logical, bitwise = BITWISE[type(node.op)]
    both_conditions = left.dtype == bool and right.dtype == bool
    if both_conditions:
        return logical(left, right), m1 | m2
    return bitwise(_bits(left), _bits(right)), m1 | m2


def _unaryop(node: ast.UnaryOp, data) -> Value:
    value, missing = _evaluate(node.operand, data)
    if isinstance(node.op, ast.Invert):
        return (np.logical_not(value) if value.dtype == bool else np.invert(_bits(value))), missing
    return (np.negative if isinstance(node.op, ast.USub) else np.positive)(_number(value)), missing


def _compare(node: ast.Compare, data) -> Value:
    operands = [_evaluate(node.left, data), *(_evaluate(c, data) for c in node.comparators)]
    result, missing = np.ones((), dtype=bool), NONE
    for op, (left, m1), (right, m2) in zip(node.ops, operands[:-1], operands[1:], strict=True):
        pair = COMPARE[type(op)](*_comparable(left, right))
        result, missing = result & np.asarray(pair, dtype=bool), missing | m1 | m2
    return result & ~missing, missing


def _comparable(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integers compared as integers (64-bit ids and flags are not exact in float64), texts as texts, else
    float64."""
    if left.dtype == object or right.dtype == object or (left.dtype.kind in "iu" and right.dtype.kind in "iu"):
        return left, right
    return _number(left), _number(right)


def _bits(value: np.ndarray) -> np.ndarray:
    """Integers as int64 for a bitwise test (an unsigned column keeps its bit pattern)."""
    return value.astype(np.int64, copy=False)


def _constant(node: ast.Constant, data) -> Value:
    value = node.value
    array = np.array(value, dtype=object if isinstance(value, str) else np.int64 if isinstance(value, int)
                     else np.float64)
    return array, NONE


def _name(node: ast.Name, data) -> Value:
    return data[node.id]


def _call(node: ast.Call, data) -> Value:
    name = node.func.id
    if name == "isin":
        (value, missing), choices = _evaluate(node.args[0], data), [_literal(v) for v in node.args[1].elts]
        chosen = pd.Series(np.ravel(value)).isin(choices).to_numpy().reshape(np.shape(value))
        return chosen & ~missing, missing
    args = [_evaluate(arg, data) for arg in node.args]
    missing = functools.reduce(np.logical_or, [m for _, m in args])
    if name == "isnan":
        value = args[0][0]
        return (missing | np.isnan(value)) if value.dtype == np.float64 else missing, NONE
    return FUNCTIONS[name].apply(*(_number(v) for v, _ in args)), missing


def _literal(node: ast.AST):
    return -node.operand.value if isinstance(node, ast.UnaryOp) else node.value


EVALUATORS = {ast.BinOp: _binop, ast.UnaryOp: _unaryop, ast.Compare: _compare, ast.Constant: _constant,
              ast.Name: _name, ast.Call: _call}


def evaluate_value(expression: Expression, frame: pd.DataFrame, columns: dict[str, Value] | None = None) -> Value:
    """(values, missing) of `expression` on every row of `frame`, broadcast to its length. `columns` keeps
    the columns' values between expressions on the same frame (each column is converted once)."""
    columns = {} if columns is None else columns
    for name in expression.columns:
        if name not in columns:
            columns[name] = column_value(frame[name])
    data = {name: columns[name] for name in expression.columns}
    with np.errstate(all="ignore"):
        value, missing = _evaluate(expression.tree.body, data)
    n = len(frame)
    return np.broadcast_to(value, (n,)), np.broadcast_to(missing, (n,))


def evaluate(expression: Expression, frame: pd.DataFrame, columns: dict[str, Value] | None = None) -> np.ndarray:
    """Float64 values of a feature on `frame`: a condition becomes 1.0 / 0.0; missing where a value it reads
    is missing (`isnan(x)` never is) and where the result is not finite. `columns`: as in `evaluate_value`."""
    value, missing = evaluate_value(expression, frame, columns)
    with np.errstate(all="ignore"):
        numbers = value.astype(np.float64, copy=False)
    return np.where(np.isfinite(numbers) & ~missing, numbers, np.nan)


def condition(expression: Expression, frame: pd.DataFrame) -> np.ndarray:
    """The rows of `frame` where the condition `expression` holds (false where a compared value is missing)."""
    value, _ = evaluate_value(expression, frame)
    return np.array(value, dtype=bool)
