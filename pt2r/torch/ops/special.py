"""``torch.special``: expit, logit, exp2, xlogy, sinc, softmax, log_softmax (logit, exp2, xlogy and sinc
also as ``torch.*`` and ``Tensor.*``). Its erf, erfc, erfinv, i0, expm1 and log1p are elementwise's
unary functions, registered there under both names.

torch.special's functions are objects of their own (not ``torch.*`` ones), so the trace records
them as ``torch.special.<name>``. Where one equals an op of another family (expit is sigmoid,
softmax is ``torch.softmax``), it is that family's builder; the rest are ``eval`` layers
(`build.compute`: torch broadcasting, integer inputs computed in float32 as torch does).
"""

from __future__ import annotations

import numbers
from typing import Any

from pt2r.errors import UnsupportedOpError
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.activation import log_softmax_method, sigmoid, softmax_method
from pt2r.torch.ops.build import cast, compute, float_dtype, literal, promote
from pt2r.torch.ops.registry import op


def _unary(input: Tensor, fmt: str) -> Tensor:  # noqa: A002
    """``fmt.format(x)`` with ``x`` the input in its float dtype (``fmt`` depends on the call)."""
    dtype = float_dtype(input.dtype)
    return compute(lambda x: fmt.format(x), [input], [dtype], dtype)


@op("torch.special.expit")
def expit(input: Tensor) -> Tensor:  # noqa: A002
    return sigmoid(cast(input, float_dtype(input.dtype)))


@op("torch.special.logit", "torch.logit", "Tensor.logit")
def logit(input: Tensor, eps: float | None = None) -> Tensor:  # noqa: A002
    """``log(z / (1 - z))``, ``z`` the input clamped to [eps, 1 - eps] if ``eps`` is given and not
    negative. Clamped as torch does (NaN stays NaN), the bounds in the input's dtype."""
    if eps is not None and not isinstance(eps, numbers.Real):
        raise UnsupportedOpError(f"logit with an eps of type {type(eps).__name__} is not supported")
    z = "{}"
    if eps is not None and eps >= 0:  # a negative eps: no clamping, as in torch
        lo = literal(eps, float_dtype(input.dtype))
        z = f"(lambda v, lo: tf.where(v < lo, lo, tf.where(v > 1 - lo, 1 - lo, v)))({{}}, {lo})"
    return _unary(input, f"(lambda z: tf.math.log(z / (1 - z)))({z})")


@op("torch.special.exp2", "torch.exp2", "Tensor.exp2")
def exp2(input: Tensor) -> Tensor:  # noqa: A002
    dtype = float_dtype(input.dtype)
    return _unary(input, f"tf.pow({literal(2, dtype)}, {{}})")


@op("torch.special.xlogy", "torch.xlogy", "Tensor.xlogy")
def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * log(other)``, 0 where ``input`` is 0, NaN where ``other`` is NaN (TF's xlogy gives 0
    there); either operand may be a Python number."""
    dtype = float_dtype(promote(input, other))
    return compute(lambda x, y: f"(lambda a, b: tf.where(tf.math.is_nan(b), b, tf.math.xlogy(a, b)))({x}, {y})",
                   [input, other], [dtype, dtype], dtype)


@op("torch.special.sinc", "torch.sinc", "Tensor.sinc")
def sinc(input: Tensor) -> Tensor:  # noqa: A002
    """``sin(pi x) / (pi x)``, 1 at 0 (pi in the input's dtype, as torch computes it)."""
    dtype = float_dtype(input.dtype)
    pi = literal(3.141592653589793, dtype)
    return _unary(input, f"(lambda v: tf.where(tf.equal(v, 0), tf.ones_like(v), "
                         f"tf.sin({pi} * v) / ({pi} * v)))({{}})")


@op("torch.special.softmax")
def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return softmax_method(input, dim, dtype)


@op("torch.special.log_softmax")
def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return log_softmax_method(input, dim, dtype)
