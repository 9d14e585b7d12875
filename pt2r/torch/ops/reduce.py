"""Reductions over one axis, several, or all: sum, mean, max, min, amax, amin, argmax, argmin,
logsumexp, any, all, prod, std, var, vector norms; and the scans cumsum, cumprod.

RETURNN's ``reduce`` layer masks the padding frames when it reduces over a
dynamic axis (``use_time_mask`` defaults to True then); torch reduces the
padded batch as it is, so every reduce here sets ``use_time_mask=False`` (`build.reduce_layer`).
``keepdim`` reduces, then adds the size-1 axes back with dims of our own
(``expand_dims``), as reduce's ``keep_dims`` would make dims of RETURNN's.

What the ``reduce`` layer has no mode for (prod, var, norms, scans) is one
``eval`` layer on the source's raw tensor (RETURNN's axis order, `raw_eval`):
TF's reductions there see the padded batch too, a size is the padded size
(``tf.shape``), and keepdim is TF's ``keepdims`` with our size-1 dims.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any, Callable, Sequence

from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import (
    aux_name, broadcast, cast_layer, dim_axes, eval_layer, keepdim_dims, raw_axes, raw_eval, reduce_layer, result_dtype)
from pt2r.torch.ops.registry import op

#: what ``x.max(dim)`` returns (torch.return_types.max): a tuple with ``values`` and ``indices``
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])

_INTEGRAL = (_dtype.bool, _dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64)


def reduce_eval(x: Tensor, expr: Callable[[list[int], bool], str], axes: Sequence[int], keepdim: bool = False,
                dtype: _dtype.dtype | None = None, name: str | None = None) -> Tensor:
    """``x`` reduced over torch axes ``axes`` by TF code ``expr(raw_axes, keepdims)`` of the raw
    tensor ``x`` (`raw_eval`), for what the ``reduce`` layer has no mode for."""
    reduced = [x.dims[a] for a in axes]
    out = dict(zip(x.dims, keepdim_dims(x, axes) if keepdim else x.dims))  # input dim -> output dim

    def result(order: Sequence[Dim]) -> list[Dim]:
        return [out[d] for d in order if keepdim or d not in reduced]
    return raw_eval(x, expr(raw_axes(x, axes), keepdim), result(x.layer.output.dims), result(x.dims),
                    dtype or x.dtype, name=name)


def _accumulating(input: Tensor, dtype: Any) -> Tensor:  # noqa: A002
    """``input`` cast to ``dtype``, or, with none given, integers and bools to int64, as torch's
    sum, prod, cumsum and cumprod accumulate them."""
    if dtype is None and input.dtype in _INTEGRAL:
        dtype = _dtype.int64
    return cast_layer(input, dtype or input.dtype, name=aux_name("cast"))


def _dim_arg(dim: Any, axis: Any) -> Any:
    return axis if dim is None else dim


@op("torch.sum", "Tensor.sum")
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,  # noqa: A001,A002
        axis: Any = None) -> Tensor:
    x = _accumulating(input, dtype)
    return reduce_layer(x, "sum", dim_axes(x, _dim_arg(dim, axis)), keepdim)


@op("torch.mean", "Tensor.mean")
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,  # noqa: A002
         axis: Any = None) -> Tensor:
    x = cast_layer(input, dtype or input.dtype, name=aux_name("cast"))
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise ModelError(f"mean of a {x.dtype} tensor is not supported (torch refuses it too)")
    return reduce_layer(x, "mean", dim_axes(x, _dim_arg(dim, axis)), keepdim)


def _extremum(input: Tensor, dim: Any, keepdim: bool, other: Any, mode: str, result: type) -> Any:
    """``max``/``min``: over all axes (a value), over ``dim`` ((values, indices)), or elementwise
    with ``other``."""
    if isinstance(dim, Tensor) or other is not None:
        other = dim if isinstance(dim, Tensor) else other
        dtype = result_dtype(input, other)
        (a, b), dims = broadcast(input, other)
        return eval_layer(f"tf.{'maximum' if mode == 'max' else 'minimum'}("
                          f"tf.cast(source(0), {dtype.name!r}), tf.cast(source(1), {dtype.name!r}))",
                          [a, b], dims, dtype)
    if dim is None:
        return _largest_size(input, reduce_layer(input, mode, dim_axes(input, None)), mode)
    if not isinstance(dim, int):
        raise UnsupportedOpError(f"{mode} over dim={dim!r} is not supported (give one dim, or use a{mode})")
    axes = dim_axes(input, dim)
    return result(_largest_size(input, reduce_layer(input, mode, axes, keepdim), mode, axes),
                  reduce_layer(input, "arg" + mode, axes, keepdim, name=aux_name("indices")))


def _largest_size(input: Tensor, out: Tensor, mode: str, axes: Sequence[int] | None = None) -> Tensor:  # noqa: A002
    """``out``, the maximum over all of ``input``'s axes of sizes of a dim (``lengths.max()``), as that
    dim's size (`Tensor.size_of`), so that ``arange`` and sizes made from it follow the dim."""
    if mode == "max" and input.size_of is not None and (axes is None or len(axes) == input.ndim) and not out.dims:
        out.size_of = input.size_of
    return out


@op("torch.max", "Tensor.max")
def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001,A002
    return _extremum(input, dim, keepdim, other, "max", MaxResult)


@op("torch.min", "Tensor.min")
def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001,A002
    return _extremum(input, dim, keepdim, other, "min", MinResult)


@op("torch.amax", "Tensor.amax")
def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    axes = dim_axes(input, dim)
    return _largest_size(input, reduce_layer(input, "max", axes, keepdim), "max", axes)


@op("torch.amin", "Tensor.amin")
def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    return reduce_layer(input, "min", dim_axes(input, dim), keepdim)


@op("torch.logsumexp", "Tensor.logsumexp")
def logsumexp(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    if not input.dtype.is_floating_point:
        raise UnsupportedOpError(f"logsumexp of a {input.dtype} tensor is not supported")
    return reduce_layer(input, "logsumexp", dim_axes(input, dim), keepdim)


def _arg(input: Tensor, dim: Any, keepdim: bool, mode: str) -> Tensor:
    if dim is None and input.ndim != 1:
        raise UnsupportedOpError(f"{mode} over all axes of a {input.ndim}-d tensor (a flat index) is not supported")
    if dim is not None and not isinstance(dim, int):
        raise UnsupportedOpError(f"{mode} over dim={dim!r} is not supported")
    axes = dim_axes(input, 0 if dim is None else dim)
    if not axes:
        raise UnsupportedOpError(f"{mode} of a 0-d tensor is not supported")
    return reduce_layer(input, mode, axes, keepdim)


@op("torch.argmax", "Tensor.argmax")
def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _arg(input, dim, keepdim, "argmax")


@op("torch.argmin", "Tensor.argmin")
def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _arg(input, dim, keepdim, "argmin")


@op("torch.any", "Tensor.any")
def any_(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002  (the builtin stays)
    return _truth(input, dim, keepdim, "any")


@op("torch.all", "Tensor.all")
def all_(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002  (the builtin stays)
    return _truth(input, dim, keepdim, "all")


def _truth(input: Tensor, dim: Any, keepdim: bool, mode: str) -> Tensor:  # noqa: A002
    """``any``/``all`` of the values' truth (nonzero): bool, or uint8 for a uint8 input, as in torch."""
    x = cast_layer(input, _dtype.bool, name=aux_name("bool"))
    name = aux_name(mode) if input.dtype is _dtype.uint8 else None
    y = reduce_layer(x, mode, dim_axes(x, dim), keepdim, name=name)
    return cast_layer(y, input.dtype) if name else y


@op("torch.prod", "Tensor.prod")
def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    x = _accumulating(input, dtype)
    return reduce_eval(x, lambda a, k: f"tf.reduce_prod(x, {a}, keepdims={k})", dim_axes(x, dim), keepdim)


# -- var, std --------------------------------------------------------------------------------------


def _real(input: Tensor, what: str) -> None:  # noqa: A002
    if not input.dtype.is_floating_point:
        raise ModelError(f"{what} of a {input.dtype} tensor is not supported")


def _var_args(input: Tensor, dim: Any, unbiased: Any, correction: Any,  # noqa: A002
              what: str) -> tuple[list[int], float]:
    """The axes and the correction, from any of torch's overloads: ``var(x, unbiased)``,
    ``var(x, dim, unbiased, keepdim)``, ``var(x, dim, correction=, keepdim=)``."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    _real(input, what)
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim_axes(input, dim), float(correction)


def _spread(input: Tensor, axes: list[int], correction: float, keepdim: bool, sqrt: bool) -> Tensor:  # noqa: A002
    """torch's var (its root: std): the squared deviations' sum over ``max(0, N - correction)``, N the
    padded size of the reduced axes."""
    def expr(a: list[int], k: bool) -> str:
        n = f"tf.cast(tf.reduce_prod(tf.gather(tf.shape(x), {a})), x.dtype)"
        var = (f"tf.reduce_sum(tf.square(x - tf.reduce_mean(x, {a}, keepdims=True)), {a}, keepdims={k}) "
               f"/ tf.maximum({n} - {correction!r}, 0.0)")
        return f"tf.sqrt({var})" if sqrt else var
    return reduce_eval(input, expr, axes, keepdim)


@op("torch.var", "Tensor.var")
def var(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Tensor:
    axes, correction = _var_args(input, dim, unbiased, correction, "var")
    return _spread(input, axes, correction, keepdim, sqrt=False)


@op("torch.std", "Tensor.std")
def std(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Tensor:
    axes, correction = _var_args(input, dim, unbiased, correction, "std")
    return _spread(input, axes, correction, keepdim, sqrt=True)


@op("torch.var_mean")
def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Any = None) -> tuple[Tensor, Tensor]:
    axes, correction = _var_args(input, dim, unbiased, correction, "var_mean")
    return (_spread(input, axes, correction, keepdim, sqrt=False),
            reduce_layer(input, "mean", axes, keepdim, name=aux_name("mean")))


@op("torch.std_mean")
def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
             correction: Any = None) -> tuple[Tensor, Tensor]:
    axes, correction = _var_args(input, dim, unbiased, correction, "std_mean")
    return (_spread(input, axes, correction, keepdim, sqrt=True),
            reduce_layer(input, "mean", axes, keepdim, name=aux_name("mean")))


# -- vector norms ----------------------------------------------------------------------------------


def _norm_expr(p: Any, a: list[int], k: bool) -> str:
    """TF code of torch's vector norm of order ``p`` of the raw tensor ``x`` over raw axes ``a``."""
    p = float(p)
    if p == 2:
        return f"tf.sqrt(tf.reduce_sum(tf.square(x), {a}, keepdims={k}))"
    if p == 1:
        return f"tf.reduce_sum(tf.abs(x), {a}, keepdims={k})"
    if math.isinf(p):
        return f"tf.reduce_{'max' if p > 0 else 'min'}(tf.abs(x), {a}, keepdims={k})"
    if p == 0:  # the number of nonzero entries
        return f"tf.reduce_sum(tf.cast(tf.not_equal(x, 0), x.dtype), {a}, keepdims={k})"
    return f"tf.pow(tf.reduce_sum(tf.pow(tf.abs(x), {p!r}), {a}, keepdims={k}), {1 / p!r})"


def _vector_norm(input: Tensor, p: Any, dim: Any, keepdim: bool, dtype: Any, what: str) -> Tensor:  # noqa: A002
    _real(input, what)
    x = cast_layer(input, dtype or input.dtype, name=aux_name("cast"))
    return reduce_eval(x, lambda a, k: _norm_expr(p, a, k), dim_axes(x, dim), keepdim)


@op("torch.linalg.vector_norm")
def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Tensor:
    return _vector_norm(x, ord, dim, keepdim, dtype, "vector_norm")


@op("torch.norm")
def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, out: Any = None,  # noqa: A002
         dtype: Any = None) -> Tensor:
    """A vector norm, as torch computes it for all but ``p="nuc"`` and 'fro' over more than 2 dims."""
    if out is not None:
        raise UnsupportedOpError("norm with out= is not supported")
    if isinstance(p, str):
        if p != "fro" or (isinstance(dim, (tuple, list)) and len(dim) > 2):
            raise UnsupportedOpError(f"norm with p={p!r} over dim={dim!r} (a matrix norm) is not supported")
        p = 2
    return _vector_norm(input, 2 if p is None else p, dim, keepdim, dtype, "norm")


@op("Tensor.norm")
def tensor_norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False,  # noqa: A002
                dtype: Any = None) -> Tensor:
    """``x.norm``: ``torch.norm`` without ``out`` (its fourth positional argument is ``dtype``)."""
    return norm(input, p, dim, keepdim, dtype=dtype)


@op("torch.nn.functional.normalize")
def normalize(input: Tensor, p: float = 2.0, dim: Any = 1, eps: float = 1e-12,  # noqa: A002
              out: Any = None) -> Tensor:
    """``x / max(norm(x, p, dim, keepdim=True), eps)``, in one layer."""
    _real(input, "normalize")
    if out is not None:
        raise UnsupportedOpError("normalize with out= is not supported")
    a = raw_axes(input, dim_axes(input, dim))
    return raw_eval(input, f"x / tf.maximum({_norm_expr(p, a, True)}, {float(eps)!r})", input.layer.output.dims,
                    input.dims, input.dtype)


# -- scans -----------------------------------------------------------------------------------------


def _scan(input: Tensor, dim: Any, dtype: Any, fn: str) -> Tensor:  # noqa: A002
    """``tf.math.cumsum``/``cumprod`` along ``dim``. On a dynamic axis the padding frames come after
    each sequence's frames, so they change no frame within its length (torch's neither)."""
    x = _accumulating(input, dtype)
    axes = dim_axes(x, dim)
    if not axes:  # a 0-d tensor
        return Tensor(x.dims, x.dtype, layer=x.layer)
    return raw_eval(x, f"tf.math.{fn}(x, axis={raw_axes(x, axes)[0]})", x.layer.output.dims, x.dims, x.dtype)


@op("torch.cumsum", "Tensor.cumsum")
def cumsum(input: Tensor, dim: Any, *, dtype: Any = None) -> Tensor:  # noqa: A002
    return _scan(input, dim, dtype, "cumsum")


@op("torch.cumprod", "Tensor.cumprod")
def cumprod(input: Tensor, dim: Any, *, dtype: Any = None) -> Tensor:  # noqa: A002
    return _scan(input, dim, dtype, "cumprod")
