"""Reductions: sum, mean, max, min, amax, amin, argmax, argmin, logsumexp over one axis, several, or all.

RETURNN's ``reduce`` layer masks the padding frames when it reduces over a
dynamic axis (``use_time_mask`` defaults to True then); torch reduces the
padded batch as it is, so every reduce here sets ``use_time_mask=False``.
``keepdim`` reduces, then adds the size-1 axes back with dims of our own
(``expand_dims``), as reduce's ``keep_dims`` would make dims of RETURNN's.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Sequence

from returnn.tensor import Dim

from pt2r.torch import _dtype
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import broadcast, ctx, eval_layer, make, result_dtype
from pt2r.torch.ops.registry import op

#: what ``x.max(dim)`` returns (torch.return_types.max): a tuple with ``values`` and ``indices``
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])

_INTEGRAL = (_dtype.bool, _dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64)


def aux_name(what: str, final: str | None = None) -> str:
    """The name of a helper layer of the current call (``<call>.<what>``): the call's own name
    stays for the layer holding its result."""
    return f"{final or ctx().layer_name_for()}.{what}"


def cast(x: Tensor, dtype: _dtype.dtype, name: str | None = None) -> Tensor:
    if x.dtype == dtype:
        return x
    return make({"class": "cast", "from": x, "dtype": dtype.name}, x.dims, dtype=dtype, name=name)


def expand_dims(x: Tensor, dim: Dim, order: Sequence[Dim] | None = None, name: str | None = None) -> Tensor:
    """``x`` with a new static axis ``dim``, last in torch order or where ``order`` puts it."""
    dims = [*x.dims, dim] if order is None else [d for d in order if d in x.dims or d == dim]
    return make({"class": "expand_dims", "from": x, "axis": "F", "dim": dim}, dims, dtype=x.dtype, name=name)


def reduce_layer(x: Tensor, mode: str, axes: Sequence[int], keepdim: bool = False,
                 name: str | None = None) -> Tensor:
    """RETURNN ``reduce`` over torch axes ``axes``, padding frames included; the last layer is
    named ``name`` (default: the call's name). ``arg*`` modes give dense int64 indices
    (RETURNN's are sparse int32)."""
    if not axes:  # a 0-d tensor: nothing to reduce
        return Tensor(x.dims, x.dtype, layer=x.layer)
    arg = mode.startswith("arg")
    reduced = [x.dims[a] for a in axes]
    kept = [d for d in x.dims if d not in reduced]
    y = make({"class": "reduce", "from": x, "mode": mode, "axes": reduced, "use_time_mask": False}, kept,
             dtype=None if arg else x.dtype, name=aux_name(mode, name) if arg or keepdim else name)
    if arg:
        y = make({"class": "reinterpret_data", "from": y, "set_sparse": False}, kept, dtype=y.dtype,
                 name=aux_name("dense", name))
        y = cast(y, _dtype.int64, name=aux_name("int64", name) if keepdim else name)
    if keepdim:
        dims = [Dim(1, name=f"{d.description}_keepdim") if i in axes else d for i, d in enumerate(x.dims)]
        for n, a in enumerate(axes):
            y = expand_dims(y, dims[a], dims, name=aux_name(f"keepdim{n}", name) if n < len(axes) - 1 else name)
    return y


def _axes(x: Tensor, dim: Any) -> list[int]:
    """Torch's ``dim`` argument as sorted axes; None or empty means all axes."""
    if dim is None:
        dims: list[Any] = []
    elif isinstance(dim, int):
        dims = [dim]
    elif isinstance(dim, (tuple, list)):
        dims = list(dim)
    else:
        raise ValueError(f"reducing over dim={dim!r} is not supported")
    if x.ndim == 0:
        if any(int(d) not in (0, -1) for d in dims):
            raise ValueError(f"dim {dims} out of range for a 0-d tensor")
        return []
    if not dims:
        return list(range(x.ndim))
    if any(not -x.ndim <= int(d) < x.ndim for d in dims):
        raise ValueError(f"dim {dims} out of range for a {x.ndim}-d tensor")
    return sorted({int(d) % x.ndim for d in dims})


def _dim_arg(dim: Any, axis: Any) -> Any:
    return axis if dim is None else dim


@op("torch.sum", "Tensor.sum")
def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,  # noqa: A001,A002
        axis: Any = None) -> Tensor:
    if dtype is None and input.dtype in _INTEGRAL:
        dtype = _dtype.int64  # torch sums integers and bools as int64
    x = cast(input, dtype or input.dtype, name=aux_name("cast"))
    return reduce_layer(x, "sum", _axes(x, _dim_arg(dim, axis)), keepdim)


@op("torch.mean", "Tensor.mean")
def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,  # noqa: A002
         axis: Any = None) -> Tensor:
    x = cast(input, dtype or input.dtype, name=aux_name("cast"))
    if not (x.dtype.is_floating_point or x.dtype.is_complex):
        raise ValueError(f"mean of a {x.dtype} tensor is not supported (torch refuses it too)")
    return reduce_layer(x, "mean", _axes(x, _dim_arg(dim, axis)), keepdim)


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
        return reduce_layer(input, mode, _axes(input, None))
    if not isinstance(dim, int):
        raise ValueError(f"{mode} over dim={dim!r} is not supported (give one dim, or use a{mode})")
    axes = _axes(input, dim)
    return result(reduce_layer(input, mode, axes, keepdim),
                  reduce_layer(input, "arg" + mode, axes, keepdim, name=aux_name("indices")))


@op("torch.max", "Tensor.max")
def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001,A002
    return _extremum(input, dim, keepdim, other, "max", MaxResult)


@op("torch.min", "Tensor.min")
def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:  # noqa: A001,A002
    return _extremum(input, dim, keepdim, other, "min", MinResult)


@op("torch.amax", "Tensor.amax")
def amax(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    return reduce_layer(input, "max", _axes(input, dim), keepdim)


@op("torch.amin", "Tensor.amin")
def amin(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    return reduce_layer(input, "min", _axes(input, dim), keepdim)


@op("torch.logsumexp", "Tensor.logsumexp")
def logsumexp(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:  # noqa: A002
    if not input.dtype.is_floating_point:
        raise ValueError(f"logsumexp of a {input.dtype} tensor is not supported")
    return reduce_layer(input, "logsumexp", _axes(input, dim), keepdim)


def _arg(input: Tensor, dim: Any, keepdim: bool, mode: str) -> Tensor:
    if dim is None and input.ndim != 1:
        raise ValueError(f"{mode} over all axes of a {input.ndim}-d tensor (a flat index) is not supported")
    if dim is not None and not isinstance(dim, int):
        raise ValueError(f"{mode} over dim={dim!r} is not supported")
    axes = _axes(input, 0 if dim is None else dim)
    if not axes:
        raise ValueError(f"{mode} of a 0-d tensor is not supported")
    return reduce_layer(input, mode, axes, keepdim)


@op("torch.argmax", "Tensor.argmax")
def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _arg(input, dim, keepdim, "argmax")


@op("torch.argmin", "Tensor.argmin")
def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _arg(input, dim, keepdim, "argmin")
