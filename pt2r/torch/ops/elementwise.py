"""Elementwise ops: arithmetic, comparisons, unary math (with the float tests isnan & co. and
nan_to_num), binary math (atan2, hypot, logaddexp, fmod, float_power), lerp, addcmul / addcdiv,
clamp, where / masked_fill, casts.

Each op is one ``eval`` layer computing what torch computes: operands are
broadcast as torch does (`build.broadcast`) and cast to the dtype torch
promotes to (`build.promote`, torch's rules for dimensioned tensors, 0-dim tensors
and Python scalars). Python scalars become TF constants; a dynamic size used
as a scalar (``x / t`` with ``t = x.shape[2]``) becomes a layer holding its
value at run time (`build.size_scalar`), so the exported net stays dynamic.
Operands whose batch axes are merged with other axes by different views are
computed on the merged axes' parts (`build.broadcasting`).
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import LEGACY_TYPES, Tensor, device as _device
from pt2r.torch.ops.build import (
    activation, broadcasting, cast, combine, compute, dtype_category, float_dtype, literal, make, operand, promote,
    raw_axes, raw_eval)
from pt2r.torch.ops.registry import op


# -- building eval layers -------------------------------------------------------


def _binary(a: Any, b: Any, fmt: str, *, dtype: _dtype.dtype | None = None,
            out: _dtype.dtype | None = None, kind: str | None = None, layer: str = "combine") -> Tensor:
    """``a`` and ``b`` computed in ``dtype`` (default: promoted), result of ``out`` (default ``dtype``):
    RETURNN's ``layer`` of ``kind``, else (no RETURNN layer) ``fmt.format(a, b)`` in an eval layer."""
    dtype = dtype or promote(a, b)
    if kind is not None:
        return combine(kind, [a, b], dtype, layer=layer)
    return compute(lambda x, y: fmt.format(x, y), [a, b], [dtype, dtype], out or dtype)


# -- arithmetic ------------------------------------------------------------------


@op("Tensor.add", "torch.add")
def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    if promote(input, other) is _dtype.bool:  # torch adds booleans as a logical or
        return _binary(input, other, "tf.math.logical_or({}, {})", kind="logical_or")
    if alpha == 1:
        return _binary(input, other, "({} + {})", kind="add")
    dtype = promote(input, other)
    return compute(lambda x, y, a: f"({x} + {a} * {y})", [input, other, alpha], [dtype] * 3, dtype)


@op("Tensor.sub", "torch.sub", "torch.subtract", "Tensor.subtract")
def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    if alpha == 1:
        return _binary(input, other, "({} - {})", kind="subtract")
    dtype = promote(input, other)
    return compute(lambda x, y, a: f"({x} - {a} * {y})", [input, other, alpha], [dtype] * 3, dtype)


@op("Tensor.__rsub__", "torch.rsub")
def rsub(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    return sub(other, input, alpha=alpha)


@op("Tensor.mul", "torch.mul", "torch.multiply", "Tensor.multiply")
def mul(input: Any, other: Any) -> Tensor:  # noqa: A002
    if promote(input, other) is _dtype.bool:  # torch multiplies booleans as a logical and
        return _binary(input, other, "tf.math.logical_and({}, {})", kind="logical_and")
    return _binary(input, other, "({} * {})", kind="multiply")


@op("Tensor.div", "torch.div", "torch.divide", "Tensor.divide")
def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    if rounding_mode is None:
        return _binary(input, other, "({} / {})", dtype=float_dtype(promote(input, other)), kind="truediv")
    if rounding_mode == "floor":
        return _binary(input, other, "tf.math.floordiv({}, {})", kind="floordiv")
    if rounding_mode == "trunc":
        dtype = promote(input, other)
        if dtype.is_floating_point:  # trunc(a / b), as torch
            return _binary(input, other, "(lambda q: tf.sign(q) * tf.floor(tf.abs(q)))({} / {})")
        return _binary(input, other, "tf.truncatediv({}, {})", kind="truncatediv")
    raise ModelError(f"div with rounding_mode={rounding_mode!r} is not supported")


@op("torch.true_divide", "Tensor.true_divide")
def true_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    return div(input, other)


@op("Tensor.__rdiv__")
def rdiv(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return div(other, input)


@op("Tensor.__floordiv__", "torch.floor_divide", "Tensor.floor_divide")
def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    return _binary(input, other, "tf.math.floordiv({}, {})", kind="floordiv")


@op("Tensor.__rfloordiv__")
def rfloordiv(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return floor_divide(other, input)


@op("Tensor.remainder", "torch.remainder")
def remainder(input: Any, other: Any) -> Tensor:  # noqa: A002
    """Python's modulo (the result has the divisor's sign), as ``tf.math.floormod``."""
    return _binary(input, other, "tf.math.floormod({}, {})", kind="floormod")


@op("Tensor.__rmod__")
def rmod(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return remainder(other, input)


@op("Tensor.pow", "torch.pow")
def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001,A002
    return _binary(input, exponent, "tf.pow({}, {})", kind="pow")


@op("Tensor.__rpow__")
def rpow(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return pow(other, input)


@op("torch.maximum", "Tensor.maximum")
def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return _binary(input, other, "tf.maximum({}, {})", kind="maximum")


@op("torch.minimum", "Tensor.minimum")
def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return _binary(input, other, "tf.minimum({}, {})", kind="minimum")


# in place: the replay context rebinds the mutated tensor to the result (cast back to its dtype)

@op("Tensor.add_")
def add_(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    return cast(add(input, other, alpha=alpha), input.dtype)


@op("Tensor.sub_")
def sub_(input: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    return cast(sub(input, other, alpha=alpha), input.dtype)


@op("Tensor.mul_")
def mul_(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return cast(mul(input, other), input.dtype)


@op("Tensor.div_")
def div_(input: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    return cast(div(input, other, rounding_mode=rounding_mode), input.dtype)


@op("Tensor.pow_")
def pow_(input: Tensor, exponent: Any) -> Tensor:  # noqa: A002
    return cast(pow(input, exponent), input.dtype)


# -- comparisons and logic ----------------------------------------------------------

_COMPARE = {"gt": "greater", "ge": "greater_equal", "lt": "less", "le": "less_equal", "eq": "equal",
            "ne": "not_equal"}


def _compare(kind: str) -> Callable[[Any, Any], Any]:
    def comparison(input: Any, other: Any) -> Any:  # noqa: A002
        if not isinstance(other, (Tensor, bool, int, float)):
            return NotImplemented  # ``x == None``: torch answers NotImplemented too (Python then says False)
        out = _binary(input, other, f"tf.math.{_COMPARE[kind]}({{}}, {{}})", out=_dtype.bool,
                      kind=_COMPARE[kind], layer="compare")
        return _sequence_mask(out, kind, input, other)
    comparison.__name__ = kind
    return comparison


#: comparisons of positions (left) with lengths (right) that mark each sequence's frames / padding
_FRAMES, _PADDING = {"lt"}, {"ge"}
_SWAPPED = {"gt": "lt", "le": "ge", "lt": "gt", "ge": "le"}


def _sequence_mask(out: Tensor, kind: str, a: Any, b: Any) -> Tensor:
    """``out``, tagged as the frames (``arange(t) < lengths``) or the padding (``>=``) of a dim when
    it compares that dim's positions with its lengths (`Tensor.frames_of`)."""
    if isinstance(b, Tensor) and b.positions_of is not None and isinstance(a, Tensor) and a.lengths_of is not None:
        a, b, kind = b, a, _SWAPPED.get(kind, kind)
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.positions_of is not None \
            and a.positions_of == b.lengths_of:
        if kind in _FRAMES:
            out.frames_of = a.positions_of
        elif kind in _PADDING:
            out.padding_of = a.positions_of
    return out


_COMPARE_NAMES = {"gt": ("greater",), "ge": ("greater_equal",), "lt": ("less",), "le": ("less_equal",),
                  "eq": (), "ne": ("not_equal",)}
for _kind, _aliases in _COMPARE_NAMES.items():
    op(f"Tensor.{_kind}", f"torch.{_kind}", *[f"{p}.{a}" for a in _aliases for p in ("Tensor", "torch")],
       *(["Tensor.__eq__"] if _kind == "eq" else []))(_compare(_kind))


def _logical(kind: str) -> Callable[..., Tensor]:
    def logical(input: Any, other: Any) -> Tensor:  # noqa: A002
        return _binary(input, other, f"tf.math.logical_{kind}({{}}, {{}})", dtype=_dtype.bool,
                       kind=f"logical_{kind}")
    return logical


def _bitwise(kind: str) -> Callable[..., Tensor]:
    """``&``, ``|``, ``^``: logical on bool tensors, bitwise on integers."""
    def bitwise(input: Any, other: Any) -> Tensor:  # noqa: A002
        dtype = promote(input, other)
        if dtype is _dtype.bool:
            return _logical(kind)(input, other)
        if dtype_category(dtype) != 1:
            raise ModelError(f"bitwise {kind} of {dtype} is not supported")
        return _binary(input, other, f"tf.bitwise.bitwise_{kind}({{}}, {{}})")  # RETURNN: no bitwise kinds
    return bitwise


for _kind in ("and", "or", "xor"):
    op(f"torch.logical_{_kind}", f"Tensor.logical_{_kind}")(_logical(_kind))
    op(f"Tensor.__{_kind}__", f"torch.bitwise_{_kind}", f"Tensor.bitwise_{_kind}")(_bitwise(_kind))


@op("torch.logical_not", "Tensor.logical_not")
def logical_not(input: Tensor) -> Tensor:  # noqa: A002
    out = activation(operand(input, _dtype.bool), "logical_not")
    out.frames_of, out.padding_of = input.padding_of, input.frames_of
    return out


@op("Tensor.__invert__", "torch.bitwise_not", "Tensor.bitwise_not")
def invert(input: Tensor) -> Tensor:  # noqa: A002
    if input.dtype is _dtype.bool:
        return logical_not(input)
    if dtype_category(input.dtype) != 1:
        raise ModelError(f"~ of {input.dtype} is not supported")
    return compute(lambda x: f"tf.bitwise.invert({x})", [input], [None], input.dtype)


# -- unary math ------------------------------------------------------------------------

#: float-valued functions (integer inputs give float32, as in torch)
_FLOAT_UNARY = {"exp": "tf.exp({})", "log": "tf.math.log({})", "sqrt": "tf.sqrt({})", "rsqrt": "tf.math.rsqrt({})",
                "log1p": "tf.math.log1p({})", "expm1": "tf.math.expm1({})", "reciprocal": "tf.math.reciprocal({})",
                "sin": "tf.sin({})", "cos": "tf.cos({})", "log2": f"(tf.math.log({{}}) / {math.log(2.0)!r})",
                "log10": f"(tf.math.log({{}}) / {math.log(10.0)!r})", "tan": "tf.tan({})", "sinh": "tf.sinh({})",
                "cosh": "tf.cosh({})", "asin": "tf.asin({})", "acos": "tf.acos({})", "atan": "tf.atan({})",
                "asinh": "tf.asinh({})", "acosh": "tf.acosh({})", "atanh": "tf.atanh({})",
                "erf": "tf.math.erf({})", "erfc": "tf.math.erfc({})", "erfinv": "tf.math.erfinv({})",
                "lgamma": "tf.math.lgamma({})", "digamma": "tf.math.digamma({})",
                "i0": "tf.math.bessel_i0({})",  # the modified Bessel function of order 0
                "deg2rad": f"({{}} * {math.pi / 180.0!r})", "rad2deg": f"({{}} * {180.0 / math.pi!r})"}
#: functions keeping the dtype; ``None``: identity on integers
_SAME_UNARY = {"abs": "tf.abs({})", "neg": "tf.negative({})", "sign": "tf.sign({})", "square": "tf.square({})",
               "floor": ("tf.floor({})", None), "ceil": ("tf.math.ceil({})", None),
               "round": ("tf.round({})", None), "trunc": ("(lambda v: tf.sign(v) * tf.floor(tf.abs(v)))({})", None),
               "frac": ("(lambda v: v - tf.sign(v) * tf.floor(tf.abs(v)))({})", None)}
#: the other names torch has for them
_ALSO = {"abs": ("absolute",), "neg": ("negative",), "sign": ("sgn",), "trunc": ("fix",), "asin": ("arcsin",),
         "acos": ("arccos",), "atan": ("arctan",), "asinh": ("arcsinh",), "acosh": ("arccosh",),
         "atanh": ("arctanh",), "atan2": ("arctan2",)}
#: those ``torch.special`` has too (its functions are objects of their own: recorded under its name)
_SPECIAL = ("erf", "erfc", "erfinv", "i0", "expm1", "log1p")

#: RETURNN ``activation`` names of the functions above (the others are eval layers)
_ACTIVATIONS = {"exp": "exp", "log": "log", "sqrt": "sqrt", "rsqrt": "rsqrt", "log1p": "log1p", "expm1": "expm1",
                "reciprocal": "reciprocal", "sin": "sin", "cos": "cos", "abs": "abs", "neg": "negative",
                "sign": "sign", "square": "square", "floor": "floor", "ceil": "ceil", "round": "round",
                **{name: name for name in ("tan", "sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh",
                                           "erf", "erfc", "erfinv", "lgamma", "digamma")},
                "i0": "bessel_i0"}


#: those computed on complex tensors too (TF's kernels take complex64)
_COMPLEX = ("exp", "log", "sqrt", "rsqrt", "sin", "cos", "tan", "sinh", "cosh", "reciprocal", "neg", "square")


def unary_op(name: str, fmt: str | tuple[str, None], floating: bool) -> Callable[..., Tensor]:
    """A builder computing function ``name`` (TF code ``fmt``) of its input (in its float dtype if
    ``floating``); ``fmt`` a pair: the identity on integers."""
    def unary(input: Tensor, **kwargs: Any) -> Tensor:  # noqa: A002
        if kwargs.get("decimals", 0):
            raise UnsupportedOpError(f"{name} with decimals is not supported")
        if name == "abs" and input.dtype.is_complex:  # a complex tensor's magnitude: real-valued
            real = _dtype.float64 if input.dtype is _dtype.complex128 else _dtype.float32
            return make({"class": "activation", "from": input, "activation": "abs"}, input.dims, dtype=real)
        if input.dtype.is_complex and name not in _COMPLEX:
            raise UnsupportedOpError(f"{name} of a complex tensor is not supported")
        dtype = float_dtype(input.dtype) if floating else input.dtype
        text = fmt
        if isinstance(fmt, tuple):
            if not dtype.is_floating_point:
                return make({"class": "copy", "from": input}, input.dims, dtype=dtype)
            text = fmt[0]
        if name in _ACTIVATIONS:
            return activation(operand(input, dtype), _ACTIVATIONS[name])
        return compute(lambda x: text.format(x), [input], [dtype], dtype)
    unary.__name__ = name
    return unary


def _names(name: str) -> list[str]:
    """The registered names of function ``name``: ``torch.<name>``, ``Tensor.<name>``, the same for its
    other names, and ``torch.special.<name>`` for those torch.special has too."""
    return [f"{p}.{n}" for n in (name, *_ALSO.get(name, ())) for p in ("torch", "Tensor")] + \
        ([f"torch.special.{name}"] if name in _SPECIAL else [])


for _table, _floats in ((_FLOAT_UNARY, True), (_SAME_UNARY, False)):
    for _name, _fmt in _table.items():
        op(*_names(_name))(unary_op(_name, _fmt, _floats))


@op("torch.positive", "Tensor.positive")
def positive(input: Tensor) -> Tensor:  # noqa: A002
    return cast(input, input.dtype, copy=True)


def _predicate(fmt: str, on_integers: bool) -> Callable[..., Tensor]:
    """A bool-valued test of float values (TF code ``fmt``); on integers it is ``on_integers``."""
    def predicate(input: Tensor) -> Tensor:  # noqa: A002
        if input.dtype.is_complex:
            raise UnsupportedOpError("tests of complex values are not supported")
        if not input.dtype.is_floating_point:
            return compute(lambda x: f"tf.fill(tf.shape({x}), {on_integers!r})", [input], [None], _dtype.bool)
        return compute(lambda x: fmt.format(x), [input], [None], _dtype.bool)
    return predicate


for _name, _fmt, _on_integers in (("isnan", "tf.math.is_nan({})", False), ("isinf", "tf.math.is_inf({})", False),
                                  ("isfinite", "tf.math.is_finite({})", True),
                                  ("isposinf", "tf.equal({}, float('inf'))", False),
                                  ("isneginf", "tf.equal({}, float('-inf'))", False)):
    op(f"torch.{_name}", f"Tensor.{_name}")(_predicate(_fmt, _on_integers))


@op("torch.nan_to_num", "Tensor.nan_to_num")
def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,  # noqa: A002
               neginf: float | None = None) -> Tensor:
    """NaN, +inf and -inf replaced (by default with 0 and the dtype's largest and lowest finite values)."""
    if not input.dtype.is_floating_point:
        return positive(input)  # torch returns integers as they are
    if input.dtype is _dtype.bfloat16:
        raise UnsupportedOpError("nan_to_num of bfloat16 is not supported")
    big = float(np.finfo(np.dtype(input.dtype.name)).max)
    values = [literal(v, input.dtype) for v in (nan, big if posinf is None else posinf,
                                                -big if neginf is None else neginf)]
    return compute(lambda x: f"(lambda v: tf.where(tf.math.is_nan(v), {values[0]}, tf.where(tf.equal(v, float("
                             f"'inf')), {values[1]}, tf.where(tf.equal(v, float('-inf')), {values[2]}, v))))({x})",
                   [input], [None], input.dtype)


#: binary float functions: TF code of the two operands, in their promoted float dtype
_FLOAT_BINARY = {
    "atan2": "tf.math.atan2({}, {})",
    "hypot": "tf.sqrt(tf.square({}) + tf.square({}))",
    # torch: the larger plus log1p(exp(-|a - b|)); equal infinities stay what they are
    "logaddexp": "(lambda a, b: tf.where(tf.logical_and(tf.math.is_inf(a), tf.equal(a, b)), a, tf.maximum(a, b) "
                 "+ tf.math.log1p(tf.exp(-tf.abs(a - b)))))({}, {})",
    "logaddexp2": "(lambda a, b: tf.where(tf.logical_and(tf.math.is_inf(a), tf.equal(a, b)), a, tf.maximum(a, b) "
                  f"+ tf.math.log1p(tf.exp(-tf.abs(a - b) * {math.log(2.0)!r})) / {math.log(2.0)!r}))({{}}, {{}})",
}


def _float_binary(fmt: str) -> Callable[..., Tensor]:
    def binary(input: Any, other: Any) -> Tensor:  # noqa: A002
        return _binary(input, other, fmt, dtype=float_dtype(promote(input, other)))
    return binary


for _name, _fmt in _FLOAT_BINARY.items():
    op(*_names(_name))(_float_binary(_fmt))


@op("torch.fmod", "Tensor.fmod")
def fmod(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The remainder of the division truncated toward zero (C's fmod): it has the dividend's sign."""
    return _binary(input, other, "tf.truncatemod({}, {})")


@op("torch.float_power", "Tensor.float_power")
def float_power(input: Any, exponent: Any) -> Tensor:  # noqa: A002
    """``pow`` in double precision: float64 whatever the operands."""
    return _binary(input, exponent, "tf.pow({}, {})", dtype=_dtype.float64)


@op("torch.lerp", "Tensor.lerp")
def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:  # noqa: A002
    """``input + weight * (end - input)``, computed from ``end`` where ``|weight| >= 0.5`` (torch's
    formula, exact at both ends)."""
    dtype = promote(input, end)
    return compute(lambda s, e, w: f"(lambda s, e, w: tf.where(tf.abs(w) < 0.5, s + w * (e - s), "
                                   f"e - (e - s) * (1 - w)))({s}, {e}, {w})", [input, end, weight], [dtype] * 3, dtype)


def _addc(op_sign: str) -> Callable[..., Tensor]:
    def addc(input: Tensor, tensor1: Tensor, tensor2: Tensor, *, value: Any = 1) -> Tensor:  # noqa: A002
        dtype = promote(input, tensor1, tensor2)
        return compute(lambda x, a, b, v: f"({x} + {v} * ({a} {op_sign} {b}))", [input, tensor1, tensor2, value],
                       [dtype] * 4, dtype)
    return addc


op("torch.addcmul", "Tensor.addcmul")(_addc("*"))
op("torch.addcdiv", "Tensor.addcdiv")(_addc("/"))


@op("torch.clamp", "Tensor.clamp", "torch.clip", "Tensor.clip")
def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001,A002
    if min is None and max is None:
        raise ModelError("clamp without min and max is not supported")
    dtype = promote(input, min, max)
    bounds = [b for b in (min, max) if b is not None]

    def expr(x: str, *b: str) -> str:
        lo, hi = (b[0] if min is not None else None), (b[-1] if max is not None else None)
        x = f"tf.maximum({x}, {lo})" if lo else x
        return f"tf.minimum({x}, {hi})" if hi else x
    return compute(expr, [input, *bounds], [dtype] * (1 + len(bounds)), dtype)


@op("torch.clamp_min", "Tensor.clamp_min")
def clamp_min(input: Tensor, min: Any) -> Tensor:  # noqa: A001,A002
    return clamp(input, min=min)


@op("torch.clamp_max", "Tensor.clamp_max")
def clamp_max(input: Tensor, max: Any) -> Tensor:  # noqa: A001,A002
    return clamp(input, max=max)


@op("Tensor.clamp_", "Tensor.clip_")
def clamp_(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001,A002
    return cast(clamp(input, min, max), input.dtype)


# -- selection --------------------------------------------------------------------------


@op("torch.where")
def where(condition: Tensor, input: Any = None, other: Any = None) -> Tensor:  # noqa: A002
    if input is None or other is None:
        raise UnsupportedOpError("torch.where(condition) (the indices of nonzero elements) is not supported")
    return _switch(condition, input, other, promote(input, other))


def _switch(condition: Any, true: Any, false: Any, dtype: _dtype.dtype) -> Tensor:
    """RETURNN's ``switch`` layer, with torch broadcasting: ``true`` where ``condition``, else ``false``."""
    args = [operand(condition, _dtype.bool), operand(true, dtype), operand(false, dtype)]
    return broadcasting(args, lambda items, dims: make(
        {"class": "switch", "condition": items[0], "true_from": items[1], "false_from": items[2]}, dims, dtype=dtype))


@op("Tensor.where")
def tensor_where(input: Tensor, condition: Tensor, other: Any) -> Tensor:  # noqa: A002
    return where(condition, input, other)


@op("Tensor.masked_fill", "torch.masked_fill", "Tensor.masked_fill_")
def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:  # noqa: A002
    """``value`` (a number or a 0-dim tensor) where ``mask``; the result keeps ``input``'s dtype."""
    if isinstance(value, Tensor) and value.ndim:
        raise UnsupportedOpError("masked_fill with a value tensor of more than 0 dims is not supported")
    return _switch(mask, value, input, input.dtype)


# -- casts ------------------------------------------------------------------------------


_CASTS = {"float": _dtype.float32, "double": _dtype.float64, "half": _dtype.float16, "long": _dtype.int64,
          "int": _dtype.int32, "short": _dtype.int16, "char": _dtype.int8, "byte": _dtype.uint8,
          "bool": _dtype.bool}


def _cast_method(dtype: _dtype.dtype) -> Callable[..., Tensor]:
    def method(input: Tensor, memory_format: Any = None) -> Tensor:  # noqa: A002
        return cast(input, dtype)
    return method


for _name, _dt in _CASTS.items():
    op(f"Tensor.{_name}")(_cast_method(_dt))


@op("Tensor.type_as")
def type_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return cast(input, other.dtype)


@op("Tensor.to")
def to(input: Tensor, *args: Any, dtype: _dtype.dtype | None = None, device: Any = None,  # noqa: A002
       non_blocking: bool = False, copy: bool = False, memory_format: Any = None) -> Tensor:
    """``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``, ``x.to(other)``: the device is ignored."""
    for arg in args:
        if isinstance(arg, _dtype.dtype):
            dtype = arg
        elif isinstance(arg, Tensor):
            dtype = arg.dtype
        elif not (arg is None or isinstance(arg, (str, int, _device))):
            raise UnsupportedOpError(f"Tensor.to with a {type(arg).__name__} argument is not supported")
    return cast(input, dtype or input.dtype, copy=copy)


@op("Tensor.cpu")
def cpu(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:  # noqa: A002
    """The tensor itself (torch returns ``self`` too when it is on the device already)."""
    return input


@op("Tensor.type")
def type_(input: Tensor, dtype: Any = None, non_blocking: bool = False) -> Any:  # noqa: A002
    """``x.type(torch.float32)`` / ``x.type("torch.FloatTensor")``; ``x.type()`` is the type's name."""
    if dtype is None:
        names = [k for k, v in LEGACY_TYPES.items() if v is input.dtype]
        if not names:
            raise UnsupportedOpError(f"Tensor.type() of a {input.dtype} tensor is not supported")
        return f"torch.{names[0]}Tensor"
    if isinstance(dtype, str):
        key = dtype.removeprefix("torch.").removesuffix("Tensor")
        if key not in LEGACY_TYPES:
            raise UnsupportedOpError(f"Tensor.type({dtype!r}) is not supported")
        dtype = LEGACY_TYPES[key]
    return cast(input, getattr(dtype, "dtype", dtype))  # (torch.FloatTensor: its dtype)


def _triangle(input: Tensor, diagonal: int, keep: str) -> Tensor:  # noqa: A002
    """``input`` with the entries outside a triangle of its last two axes zeroed: those where
    ``column - row`` is not ``keep`` (``>=`` for triu, ``<=`` for tril) ``diagonal``."""
    if input.ndim < 2:
        raise ModelError(f"triu/tril of a {input.ndim}-d tensor is not supported (torch refuses it too)")
    rank = input.ndim
    row, col = raw_axes(input, [rank - 2, rank - 1])

    def position(axis: int) -> str:
        shape = [-1 if a == axis else 1 for a in range(rank)]
        return f"tf.reshape(tf.range(tf.shape(x)[{axis}]), {shape})"
    expr = f"tf.where({position(col)} - {position(row)} {keep} {int(diagonal)}, x, tf.zeros_like(x))"
    return raw_eval(input, expr, input.layer.output.dims, input.dims, input.dtype)


@op("torch.triu", "Tensor.triu")
def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    return _triangle(input, diagonal, ">=")


@op("torch.tril", "Tensor.tril")
def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    return _triangle(input, diagonal, "<=")
