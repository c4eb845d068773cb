"""Explicit 256-bit vectors in Numba kernels: a vector type and the few intrinsics a small matrix product needs
(load, masked load and store, broadcast, fused multiply-add). LLVM does not vectorise a register-blocked product
written with scalars (its accumulators stay scalar); written with these, it keeps each tile in vector registers.

A vector holds 4 float64 or 8 float32 (AVX2's width; LLVM splits or widens it for other x86-64 CPUs). Indices are
into the array's flat C-order elements and are not bounds-checked: callers keep whole vectors inside the array and
mask the rest, as ``thin_products.py`` does. A masked lane is neither read nor written."""

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

VECTOR_BYTES = 32


class Vector(types.Type):
    """A vector of ``lanes`` values of ``dtype`` (Numba type), held in one register."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.lanes = VECTOR_BYTES * 8 // dtype.bitwidth
        super().__init__(name=f"Vector({dtype}x{self.lanes})")


@register_model(Vector)
class _VectorModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.VectorType(dmm.lookup(fe_type.dtype).get_value_type(), fe_type.lanes))


def _float_array(array) -> bool:
    return isinstance(array, types.Array) and array.dtype in (types.float32, types.float64) and array.layout == "C"


def _address(context, builder, signature, args):
    """The address of element args[1] of array args[0]: every intrinsic here takes (array, index, ...)."""
    data = context.make_array(signature.args[0])(context, builder, args[0]).data
    return builder.gep(data, [context.cast(builder, args[1], signature.args[1], types.intp)])


def _indexed(array, index) -> bool:
    return _float_array(array) and isinstance(index, types.Integer)


def _vector_pointer(builder, address, vty):
    return builder.bitcast(address, vty.as_pointer())


def _splat(builder, value, vty):
    """``value`` in every lane of a vector of type ``vty``."""
    i32 = ir.IntType(32)
    first = builder.insert_element(ir.Constant(vty, ir.Undefined), value, ir.Constant(i32, 0))
    return builder.shuffle_vector(first, first, ir.Constant(ir.VectorType(i32, vty.count), [0] * vty.count))


def _lane_mask(builder, lanes, count):
    """<lanes x i1>: lane k is set when k < count."""
    indices = ir.VectorType(ir.IntType(64), lanes)
    return builder.icmp_signed("<", ir.Constant(indices, list(range(lanes))), _splat(builder, count, indices))


def _overload(vty) -> str:
    """LLVM's name suffix for a vector type in an overloaded intrinsic: v4f64, v8f32."""
    return f"v{vty.count}f{64 if isinstance(vty.element, ir.DoubleType) else 32}"


def _masked_access(context, builder, signature, args, vty, count_at):
    """The vector pointer at (array, index) = args[0:2], the element alignment, and the mask of the first
    args[count_at] lanes: the operands of ``llvm.masked.load`` and ``llvm.masked.store``."""
    address = _address(context, builder, signature, args)
    count = context.cast(builder, args[count_at], signature.args[count_at], types.int64)
    align = ir.Constant(ir.IntType(32), signature.args[0].dtype.bitwidth // 8)
    return _vector_pointer(builder, address, vty), align, _lane_mask(builder, vty.count, count)


def _llvm_function(builder, name, result, arguments):
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(result, arguments), name)


@intrinsic
def lanes(typingctx, array):
    """How many elements of the array's dtype one vector holds (a compile-time constant)."""
    if not _float_array(array):
        return None

    def codegen(context, builder, signature, args):
        return ir.Constant(ir.IntType(64), Vector(array.dtype).lanes)

    return types.int64(array), codegen


@intrinsic
def zeros(typingctx, array):
    """A vector of zeros of the array's dtype."""
    if not _float_array(array):
        return None
    vector = Vector(array.dtype)

    def codegen(context, builder, signature, args):
        return ir.Constant(context.get_value_type(vector), None)

    return vector(array), codegen


@intrinsic
def load(typingctx, array, index):
    """The vector of elements [index, index + lanes)."""
    if not _indexed(array, index):
        return None
    vector = Vector(array.dtype)

    def codegen(context, builder, signature, args):
        vty = context.get_value_type(vector)
        address = _address(context, builder, signature, args)
        return builder.load(_vector_pointer(builder, address, vty), align=array.dtype.bitwidth // 8)

    return vector(array, index), codegen


@intrinsic
def load_first(typingctx, array, index, count):
    """Elements [index, index + count) in the first lanes, zeros in the others (count may be <= 0 or > lanes)."""
    if not _indexed(array, index) or not isinstance(count, types.Integer):
        return None
    vector = Vector(array.dtype)

    def codegen(context, builder, signature, args):
        vty = context.get_value_type(vector)
        pointer, align, mask = _masked_access(context, builder, signature, args, vty, 2)
        name = f"llvm.masked.load.{_overload(vty)}.p0{_overload(vty)}"
        function = _llvm_function(builder, name, vty, [vty.as_pointer(), align.type, mask.type, vty])
        return builder.call(function, [pointer, align, mask, ir.Constant(vty, None)])

    return vector(array, index, count), codegen


@intrinsic
def store(typingctx, array, index, value):
    """Write the vector to elements [index, index + lanes)."""
    if not _indexed(array, index) or value != Vector(array.dtype):
        return None

    def codegen(context, builder, signature, args):
        address = _address(context, builder, signature, args)
        builder.store(args[2], _vector_pointer(builder, address, args[2].type), align=array.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.void(array, index, value), codegen


@intrinsic
def store_first(typingctx, array, index, value, count):
    """Write the vector's first ``count`` lanes to elements [index, index + count)."""
    if not _indexed(array, index) or value != Vector(array.dtype) or not isinstance(count, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        vty = args[2].type
        pointer, align, mask = _masked_access(context, builder, signature, args, vty, 3)
        name = f"llvm.masked.store.{_overload(vty)}.p0{_overload(vty)}"
        function = _llvm_function(builder, name, ir.VoidType(), [vty, vty.as_pointer(), align.type, mask.type])
        builder.call(function, [args[2], pointer, align, mask])
        return context.get_dummy_value()

    return types.void(array, index, value, count), codegen


@intrinsic
def broadcast(typingctx, array, index):
    """Element ``index`` in every lane."""
    if not _indexed(array, index):
        return None
    vector = Vector(array.dtype)

    def codegen(context, builder, signature, args):
        scalar = builder.load(_address(context, builder, signature, args))
        return _splat(builder, scalar, context.get_value_type(vector))

    return vector(array, index), codegen


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c lane by lane, rounded once (``llvm.fma``)."""
    if not isinstance(a, Vector) or b != a or c != a:
        return None

    def codegen(context, builder, signature, args):
        vty = args[0].type
        function = _llvm_function(builder, f"llvm.fma.{_overload(vty)}", vty, [vty, vty, vty])
        return builder.call(function, args)

    return a(a, b, c), codegen
