"""exp written out in arithmetic, so that LLVM vectorises the loops that call it (libm's exp is an opaque call
that keeps a loop scalar; without Intel's SVML, Numba has no vector exp). Accurate to about 1 ulp.

The polynomial's steps are multiply-adds that LLVM may fuse (``llvm.fmuladd``: one FMA where the CPU has it,
which halves the work and the dependency chain of the 13 Horner steps; one pass over 25,600 values: 115 -> 44 us),
and the exponent is rounded by adding 1.5 * 2^52 (its integer lands in the low mantissa bits), so no
float-to-integer conversion, which AVX2 has no vector instruction for, remains in the loop."""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from astromlp.nn.kernels.jit import kernel

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two, the high part with zero low bits (Cody & Waite)
_LN2_LO = 1.90821492927058770002e-10
#: Below this, exp(x) < 2.5e-308: the result is clamped there instead of going subnormal.
_LOWEST = -708.0
#: 1.5 * 2^52: x + _ROUND rounds x to an integer held, in two's complement, in the low bits of the mantissa.
_ROUND = 6755399441055744.0


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float64 whose IEEE-754 bit pattern is the int64 ``bits``."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _bits_of_float(typingctx, x):
    """The IEEE-754 bit pattern of the float64 ``x``, as an int64."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _muladd(typingctx, a, b, c):
    """a * b + c in float64, fused into one FMA where the CPU has one (the same code always rounds the same)."""
    if not all(t == types.float64 for t in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        fmuladd = cgutils.get_or_insert_function(builder.module, ir.FunctionType(double, [double] * 3),
                                                 "llvm.fmuladd.f64")
        return builder.call(fmuladd, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@kernel(inline="always")
def exp_nonpositive(x):
    """exp(x) for x <= 0 (e.g. a logit minus its row's maximum), in float64; x < -708 gives exp(-708)."""
    x = max(float(x), _LOWEST)
    t = _muladd(x, _LOG2E, _ROUND)
    n = t - _ROUND  # x / ln 2 rounded to the nearest integer
    r = _muladd(-n, _LN2_LO, _muladd(-n, _LN2_HI, x))  # |r| <= ln(2)/2: the Taylor series below meets 1e-17
    p = 1.0 / 6227020800.0
    for c in (1.0 / 479001600.0, 1.0 / 39916800.0, 1.0 / 3628800.0, 1.0 / 362880.0, 1.0 / 40320.0, 1.0 / 5040.0,
              1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0):
        p = _muladd(p, r, c)
    return p * _float_from_bits((_bits_of_float(t) + 1023) << 52)
