"""Serial twins of parallel kernels, for use inside another parallel region (multi-start trains one network
per thread), where launching nested parallel regions would cost more than it gives."""

import types
from functools import cache

from numba.core.registry import CPUDispatcher

from astromlp.nn.kernels import jit


def _is_parallel(dispatcher) -> bool:
    return bool(dispatcher.targetoptions.get("parallel"))


def _callees(kernel) -> dict:
    """The kernels that ``kernel`` calls: the Numba dispatchers among the globals its code names."""
    py = kernel.py_func
    return {name: py.__globals__[name] for name in py.__code__.co_names
            if isinstance(py.__globals__.get(name), CPUDispatcher)}


@cache
def _needs_twin(kernel) -> bool:
    """Whether ``kernel`` runs threads itself or calls, at any depth, a kernel that does."""
    return _is_parallel(kernel) or any(_needs_twin(callee) for callee in _callees(kernel).values())


@cache
def serial_twin(kernel):
    """``kernel`` compiled without threads: ``prange`` becomes ``range``, and every kernel it calls that runs
    threads (at any depth) is replaced by its own serial twin. Same arithmetic in the same order, so the same
    bits. Building a twin compiles nothing: Numba compiles it on its first call (multi-start only)."""
    if not _needs_twin(kernel):
        return kernel
    py = kernel.py_func
    twins = {name: serial_twin(callee) for name, callee in _callees(kernel).items() if _needs_twin(callee)}
    scope = dict(py.__globals__, prange=range, **twins)
    twin = types.FunctionType(py.__code__, scope, py.__name__ + "_serial", py.__defaults__, py.__closure__)
    twin.__qualname__ = py.__qualname__ + "_serial"  # Numba's cache tells functions apart by qualified name
    twin.__doc__ = py.__doc__
    return jit.kernel(nogil=True)(twin)
