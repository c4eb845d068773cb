"""A software prefetch (LLVM's ``llvm.prefetch``) for the epoch loop's minibatch gather: a minibatch's rows lie
scattered over the training set, and loads that start only when their row is copied cost a small network a
sixth of its epoch."""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def prefetch_row(typingctx, array, i):
    """Ask the CPU to bring row ``i`` of a C-contiguous 1-D or 2-D array (its first and last byte) into cache.
    A hint only: it never faults and changes no value, so a row index past the end costs nothing but a load."""
    if not isinstance(array, types.Array) or array.ndim not in (1, 2) or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        arrayty = signature.args[0]
        ary = context.make_array(arrayty)(context, builder, args[0])
        row_bytes = cgutils.unpack_tuple(builder, ary.strides, arrayty.ndim)[0]
        index = context.cast(builder, args[1], signature.args[1], types.intp)
        byte_ptr = ir.IntType(8).as_pointer()
        first = builder.gep(builder.bitcast(ary.data, byte_ptr), [builder.mul(index, row_bytes)])
        last = builder.gep(first, [builder.sub(row_bytes, ir.Constant(row_bytes.type, 1))])
        i32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32]),
                                            "llvm.prefetch.p0i8")
        for ptr in (first, last):  # read, high locality (keep in every cache level), data cache
            builder.call(fn, [ptr, ir.Constant(i32, 0), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(array, i), codegen
