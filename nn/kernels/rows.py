"""Which rows of the kernel tables (activations, losses, update rules) a kernel compiles.

A kernel that applies a table row by its code unrolls the table at compile time, one specialised loop per row,
and Numba then optimises every row again in each kernel that links it: the tables' rows were a third of a first
run's compile. A ``Rows`` value names a subset of rows per table; Numba types each subset apart (``RowsType``),
so a kernel that takes one compiles those rows only, and is cached once per subset (``nn/table_rows.py`` says
which subsets a fit uses). ``row_dispatch`` makes the function that runs a row by its code within the subset."""

from numba import literal_unroll, types
from numba.extending import NativeValue, models, overload, register_model, typeof_impl, unbox

from astromlp.nn.kernels.jit import OPTIONS


class Rows:
    """Row codes per table, e.g. ``Rows(activation=(0, 3), loss=(0, 5))``: the rows a kernel taking it has."""

    def __init__(self, **codes):
        self.codes = tuple(sorted((table, tuple(sorted(set(rows)))) for table, rows in codes.items()))
        self.numba_type = RowsType(self.codes)

    def __contains__(self, item) -> bool:
        """Whether ``(table, code)`` is among the rows."""
        table, code = item
        return code in dict(self.codes).get(table, ())

    def __repr__(self) -> str:
        return f"Rows({', '.join(f'{table}={rows}' for table, rows in self.codes)})"


class RowsType(types.Dummy):
    """The Numba type of a ``Rows``: the subset itself, so that kernels specialise (and cache) per subset."""

    def __init__(self, codes):
        self.codes = codes
        super().__init__(name=f"Rows{codes}")

    @property
    def key(self):
        return self.codes

    def pick(self, table: str, functions: tuple) -> tuple[tuple, tuple]:
        """(the functions, their codes) of the rows of ``table`` (its functions by code) in this subset."""
        codes = dict(self.codes).get(table, ())
        return tuple(functions[code] for code in codes), codes


@typeof_impl.register(Rows)
def _typeof_rows(value, context):
    return value.numba_type


register_model(RowsType)(models.OpaqueModel)  # nothing at run time: the subset is all in the type


@unbox(RowsType)
def _unbox_rows(typ, obj, c):
    return NativeValue(c.context.get_dummy_value())


def row_dispatch(table: str, functions: tuple, body, returns: bool):
    """A function ``dispatch(rows, code, *args)`` for kernels: ``body(f, *args)`` with ``f`` the row ``code`` of
    ``table`` (``functions`` by code) when ``rows`` has it, else nothing; it returns body's float result (0.0 for
    a code outside ``rows``) when ``returns``. Compiled into each kernel that calls it, for its ``rows`` only."""

    def dispatch(rows, code, *args):
        raise TypeError("row dispatch runs in Numba kernels only")

    @overload(dispatch, jit_options=dict(OPTIONS, cache=False))
    def _dispatch(rows, code, *args):
        chosen, codes = rows.pick(table, functions)
        if not chosen:  # literal_unroll cannot loop over an empty tuple
            return (lambda rows, code, *args: 0.0) if returns else (lambda rows, code, *args: None)
        # Numba cannot pass *args on to a function it inlines: the call is written out for this many arguments.
        call = f"body(f, {', '.join(f'args[{i}]' for i in range(len(args)))})"
        source = ("def impl(rows, code, *args):\n    out = 0.0\n    k = 0\n    for f in literal_unroll(chosen):\n"
                  f"        if codes[k] == code:\n            {'out = ' if returns else ''}{call}\n        k += 1\n"
                  f"    {'return out' if returns else 'return None'}\n")
        scope = {"body": body, "chosen": chosen, "codes": codes, "literal_unroll": literal_unroll}
        exec(source, scope)  # noqa: S102  (code built from an argument count)
        return scope["impl"]

    return dispatch
