"""Serial twins of parallel kernels, for use inside another parallel region (multi-start trains one network
per thread), where launching nested parallel regions would cost more than it gives."""

import types

from astromlp.nn.kernels import jit


def serial_twin(kernel, **replace):
    """``kernel`` compiled without threads: ``prange`` becomes ``range`` and each named global it calls is
    replaced (by that kernel's own serial twin). Same arithmetic in the same order, so the same bits."""
    py = kernel.py_func
    scope = dict(py.__globals__, prange=range, **replace)
    twin = types.FunctionType(py.__code__, scope, py.__name__ + "_serial", py.__defaults__, py.__closure__)
    twin.__qualname__ = py.__qualname__ + "_serial"  # Numba's cache tells functions apart by qualified name
    twin.__doc__ = py.__doc__
    return jit.kernel(nogil=True)(twin)
