"""exp written out in arithmetic, so that LLVM vectorises the loops that call it (libm's exp is an opaque call
that keeps a loop scalar; without Intel's SVML, Numba has no vector exp). Accurate to about 1 ulp."""

import math

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from astromlp.nn.kernels.jit import kernel

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two, the high part with zero low bits (Cody & Waite)
_LN2_LO = 1.90821492927058770002e-10
#: Below this, exp(x) < 2.5e-308: the result is clamped there instead of going subnormal.
_LOWEST = -708.0


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits``."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@kernel(inline="always")
def exp_nonpositive(x):
    """exp(x) for x <= 0 (e.g. a logit minus its row's maximum), in float64; x < -708 gives exp(-708)."""
    x = max(float(x), _LOWEST)
    n = math.floor(x * _LOG2E + 0.5)
    r = (x - n * _LN2_HI) - n * _LN2_LO  # |r| <= ln(2)/2, so the Taylor series below converges to 1e-17
    p = 1.0 / 6227020800.0
    for c in (1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0,
              1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0):
        p = p * r + c
    return p * _float_from_bits((int(n) + 1023) << 52)
