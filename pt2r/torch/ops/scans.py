"""Scans, order statistics and counts: logcumsumexp, cummax, cummin, median, nansum, count_nonzero,
the linalg norms, rot90.

What RETURNN has a layer for is built from its layers (``reduce`` with ``use_time_mask=False``,
``compare``, ``switch``, ``activation``, ``combine``, ``gather``): torch computes on the padded
batch, so reductions over a dynamic axis include the padding frames. What it has none for (a
log-space cumulative sum, a running maximum with its position, the median's position) is one
``eval`` layer along a named dim (`along`): its sources come in the layer's own layout (RETURNN
aligns them by dim) and the axis is looked up by its dim tag when the layer is built, so no axis
position is written into the net. A scan along a dynamic axis changes no frame within a sequence by
the padding after it; a median over one ranks the padding frames too, as torch does.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any, Sequence

from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops import rearrange, reduce
from pt2r.torch.ops.build import (
    activation, as_view, aux_name, cast_layer, dim_axes, eval_layer, expand_dims, keepdim_dims, make, norm_axis,
    norm_layers, operand, reduce_layer)
from pt2r.torch.ops.registry import op

#: what ``x.cummax(dim)``, ``x.cummin(dim)``, ``x.median(dim)`` return (torch.return_types.*)
CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])
MedianResult = namedtuple("median", ["values", "indices"])


# -- helpers ----------------------------------------------------------------------------------------


def along(sources: Sequence[Tensor], dim: Dim, body: str, dims: Sequence[Dim], dtype: _dtype.dtype,
          name: str | None = None) -> Tensor:
    """An ``eval`` layer computing TF code ``body`` of ``x0``, ``x1``, ... (the sources, in the layer's
    output layout: RETURNN aligns them by dim) and ``axis``, the axis of dim ``dim`` in that layout,
    looked up by the dim tag when the layer is built. The result has the sources' dims (``dims``, in
    torch order)."""
    params = ", ".join(f"x{i}" for i in range(len(sources)))
    args = ", ".join(f"source({i})" for i in range(len(sources)))
    expr = (f"(lambda {params}, axis: {body})"
            f"({args}, self.output.get_axis_from_description(along_dim, allow_int=False))")
    return eval_layer(expr, sources, dims, dtype, eval_locals={"along_dim": dim}, name=name)


def _positions(x: str) -> str:
    """TF code: the positions along ``axis`` of tensor ``x`` (int64), shaped to broadcast against it."""
    return (f"tf.reshape(tf.range(tf.shape({x}, out_type=tf.int64)[axis]), "
            f"[-1 if j == axis else 1 for j in range({x}.shape.rank)])")


def _axis(x: Tensor, dim: Any, what: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise UnsupportedOpError(f"{what} over dim={dim!r} is not supported (give one int dim)")
    return norm_axis(dim, x.ndim)


def _scan_dim(x: Tensor, dim: Any, what: str) -> Dim | None:
    """The dim a scan runs along (None for a 0-d tensor)."""
    axis = _axis(x, dim, what)
    return x.dims[axis] if x.ndim else None


def _numeric(x: Tensor, what: str) -> None:
    if x.dtype is _dtype.bool or x.dtype.is_complex:
        raise UnsupportedOpError(f"{what} of a {x.dtype} tensor is not supported")


def _same(x: Tensor, name: str | None = None) -> Tensor:
    """A tensor of its own holding ``x`` (torch returns a new tensor)."""
    return make({"class": "copy", "from": x}, x.dims, dtype=x.dtype, name=name)


# -- logcumsumexp -----------------------------------------------------------------------------------


@op("torch.logcumsumexp", "Tensor.logcumsumexp")
def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    """``tf.math.cumulative_logsumexp``: log(cumsum(exp(x))) without overflow, as torch computes it."""
    if input.dtype.is_complex:
        raise UnsupportedOpError("logcumsumexp of a complex tensor is not supported")
    if not input.dtype.is_floating_point:
        raise ModelError(f"logcumsumexp of a {input.dtype} tensor is not supported (torch refuses it too)")
    along_dim = _scan_dim(input, dim, "logcumsumexp")
    if along_dim is None:
        return _same(input)
    return along([input], along_dim, "tf.math.cumulative_logsumexp(x0, axis=axis)", input.dims, input.dtype)


# -- cummax, cummin ---------------------------------------------------------------------------------


def _cumulative_extremum(input: Tensor, dim: Any, mode: str, result: type) -> Any:  # noqa: A002
    """The running maximum (minimum) along ``dim`` and where it was last reached, as torch: a NaN
    is the extremum from where it occurs, ties take the later position.

    The positions are an inclusive scan of ``(value, position)`` pairs by doubling (log2(n) steps of
    ``tf.roll``, n the padded size): a pair takes the one ``k`` before it unless its own value wins;
    the values are then gathered at the positions."""
    what = f"cum{mode}"
    _numeric(input, what)
    along_dim = _scan_dim(input, dim, what)
    if along_dim is None:
        zero = make({"class": "constant", "value": 0, "dtype": "int64"}, [], dtype=_dtype.int64,
                    name=aux_name("indices"))
        return result(_same(input), zero)
    wins = ">=" if mode == "max" else "<="
    floating = input.dtype.is_floating_point
    own = (f"tf.math.is_nan(v) | (~tf.math.is_nan(pv) & (v {wins} pv))" if floating else f"(v {wins} pv)")
    take = f"(lambda back: (k * 2, tf.where(back, pv, v), tf.where(back, pi, i)))((pos >= k) & ~({own}))"
    step = f"(lambda pv, pi: {take})(tf.roll(v, k, axis), tf.roll(i, k, axis))"
    body = (f"(lambda n, pos: tf.while_loop(lambda k, v, i: k < n, lambda k, v, i: {step}, "
            f"[tf.constant(1, tf.int64), x0, tf.broadcast_to(pos, tf.shape(x0, out_type=tf.int64))])[2])"
            f"(tf.shape(x0, out_type=tf.int64)[axis], {_positions('x0')})")
    indices = along([input], along_dim, body, input.dims, _dtype.int64, name=aux_name("indices"))
    values = along([input, indices], along_dim, "tf.experimental.numpy.take_along_axis(x0, x1, axis)",
                   input.dims, input.dtype)
    return result(values, indices)


@op("torch.cummax", "Tensor.cummax")
def cummax(input: Tensor, dim: int) -> CummaxResult:  # noqa: A002
    return _cumulative_extremum(input, dim, "max", CummaxResult)


@op("torch.cummin", "Tensor.cummin")
def cummin(input: Tensor, dim: int) -> CumminResult:  # noqa: A002
    return _cumulative_extremum(input, dim, "min", CumminResult)


# -- median -----------------------------------------------------------------------------------------


def _median_all(input: Tensor) -> Tensor:  # noqa: A002
    """The lower median of all elements (padding frames included), NaN if there is one: the
    elements' order does not matter, so the raw tensor is flattened as it is."""
    nan = "tf.reduce_any(tf.math.is_nan(f))" if input.dtype.is_floating_point else None
    pick = "tf.sort(f)[(tf.size(f) - 1) // 2]"
    value = f"tf.where({nan}, tf.constant(float('nan'), f.dtype), {pick})" if nan else pick
    expr = f"(lambda f: {value})(tf.reshape(source(0, auto_convert=False), [-1]))"
    return eval_layer(expr, [input], [], input.dtype, raw_dims=[])


def _median_dim(input: Tensor, dim: Any, keepdim: bool) -> MedianResult:  # noqa: A002
    """The lower median along ``dim`` and its position (the first NaN's where there is one, as torch).

    One eval layer ranks the values along the dim (a stable argsort, NaN last) and puts the median's
    position at every place along it; a ``gather`` at place 0 takes it out, another the values."""
    axis = _axis(input, dim, "median")
    along_dim = input.dims[axis]
    rank = "tf.gather(tf.argsort(key, axis=axis, stable=True), [(tf.shape(x0)[axis] - 1) // 2], axis=axis)"
    if input.dtype.is_floating_point:
        first_nan = "tf.argmax(tf.cast(nan, tf.int32), axis=axis, output_type=tf.int32)"
        pick = (f"(lambda nan: (lambda key: tf.where(tf.reduce_any(nan, axis, keepdims=True), "
                f"tf.expand_dims({first_nan}, axis), {rank}))"
                f"(tf.where(nan, tf.constant(float('inf'), x0.dtype), x0)))(tf.math.is_nan(x0))")
    else:
        pick = f"(lambda key: {rank})(x0)"
    body = f"tf.broadcast_to(tf.cast({pick}, tf.int64), tf.shape(x0))"
    spread = along([input], along_dim, body, input.dims, _dtype.int64, name=aux_name("rank"))
    kept = [d for d in input.dims if d != along_dim]
    index = make({"class": "gather", "from": spread, "axis": along_dim, "position": 0}, kept, dtype=_dtype.int64,
                 name=aux_name("index"))
    values = make({"class": "gather", "from": input, "axis": along_dim, "position": index}, kept, dtype=input.dtype,
                  name=aux_name("values") if keepdim else None)
    if keepdim:
        dims = keepdim_dims(input, [axis])
        values = expand_dims(values, dims[axis], dims)
        index = expand_dims(index, dims[axis], dims, name=aux_name("indices"))
    return MedianResult(values, index)


@op("torch.median", "Tensor.median")
def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``median(x)``: the lower median of all elements; ``median(x, dim)``: (values, indices).
    Where values tie, the index torch returns is not specified: it may differ from the net's."""
    if input.dtype is _dtype.bool or input.dtype.is_complex:
        raise UnsupportedOpError(f"median of a {input.dtype} tensor is not supported")
    if dim is None:
        return _median_all(input)
    if not input.ndim:
        _axis(input, dim, "median")
        zero = make({"class": "constant", "value": 0, "dtype": "int64"}, [], dtype=_dtype.int64,
                    name=aux_name("indices"))
        return MedianResult(_same(input), zero)
    return _median_dim(input, dim, keepdim)


# -- nansum, count_nonzero --------------------------------------------------------------------------


def _is_nan(x: Tensor) -> Tensor:
    """NaN where ``x != x``: RETURNN's ``compare`` layer."""
    return make({"class": "compare", "kind": "not_equal", "from": [x, x]}, x.dims, dtype=_dtype.bool,
                name=aux_name("isnan"))


@op("torch.nansum", "Tensor.nansum")
def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """The sum with NaNs taken as zero (a ``switch``); integers sum as ``sum`` does."""
    if input.dtype.is_complex:
        raise ModelError("nansum of a complex tensor is not supported (torch refuses it too)")
    x = input
    if input.dtype.is_floating_point:
        zero = operand(0.0, input.dtype)
        x = make({"class": "switch", "condition": _is_nan(input), "true_from": zero, "false_from": input},
                 input.dims, dtype=input.dtype, name=aux_name("zeroed"))
    return reduce.sum(x, dim, keepdim, dtype=dtype)


@op("torch.count_nonzero", "Tensor.count_nonzero")
def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """The number of nonzero elements (int64) over ``dim`` (an int or a tuple; None: all)."""
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None
    nonzero = make({"class": "compare", "kind": "not_equal", "from": [input, operand(0, input.dtype)],
                    "allow_broadcast_all_sources": True}, input.dims, dtype=_dtype.bool, name=aux_name("nonzero"))
    counts = cast_layer(nonzero, _dtype.int64, name=aux_name("int64"))
    return reduce_layer(counts, "sum", dim_axes(counts, dim))


# -- norms ------------------------------------------------------------------------------------------


def _matrix_norm(x: Tensor, ord: Any, axes: Sequence[int], keepdim: bool) -> Tensor:  # noqa: A002
    """Torch's matrix norms 'fro', 1, -1, inf, -inf over the two torch axes ``axes`` (rows, columns)."""
    if ord in (None, "fro"):
        return norm_layers(x, 2, sorted(axes), keepdim)
    if isinstance(ord, str) or float(ord) not in (1.0, -1.0, math.inf, -math.inf):
        raise UnsupportedOpError(f"linalg.norm with ord={ord!r} over two dims (a matrix norm needing singular "
                                 "values) is not supported")
    ord = float(ord)
    rows, cols = axes
    summed, kept = (rows, cols) if abs(ord) == 1 else (cols, rows)  # 1: max column sum; inf: max row sum
    mode = "max" if ord > 0 else "min"
    size = activation(x, "abs")
    sums = reduce_layer(size, "sum", [summed], keepdim, name=aux_name("sum"))
    return reduce_layer(sums, mode, [kept if keepdim or kept < summed else kept - 1], keepdim)


@op("torch.linalg.norm")
def linalg_norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002,N803
                out: Any = None, dtype: Any = None) -> Tensor:
    """A vector norm (``dim`` an int, or ``ord`` None over all) or a matrix norm (two dims, or a 2-d
    input with ``ord``), as torch.linalg.norm chooses."""
    if out is not None:
        raise UnsupportedOpError("linalg.norm with out= is not supported")
    if not A.dtype.is_floating_point:
        raise ModelError(f"linalg.norm of a {A.dtype} tensor is not supported (torch refuses it too)")
    x = cast_layer(A, dtype or A.dtype, name=aux_name("cast"))
    if isinstance(dim, int) or (isinstance(dim, (tuple, list)) and len(dim) == 1):
        if isinstance(ord, str):
            raise ModelError(f"linalg.norm with ord={ord!r} over one dim is not supported (torch refuses it too)")
        return norm_layers(x, 2 if ord is None else ord, dim_axes(x, dim), keepdim)
    if dim is None:
        if ord is None:
            return norm_layers(x, 2, list(range(x.ndim)), keepdim)
        if x.ndim == 1:
            if isinstance(ord, str):
                raise ModelError(f"linalg.norm with ord={ord!r} of a 1-d tensor is not supported (torch refuses it "
                                 "too)")
            return norm_layers(x, ord, [0], keepdim)
        if x.ndim != 2:
            raise ModelError("linalg.norm with ord and without dim needs a 1-d or 2-d input (torch refuses it too)")
        dim = (0, 1)
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ModelError(f"linalg.norm over dim={dim!r}: give one or two dims")
    axes = [norm_axis(d, x.ndim) for d in dim]
    if axes[0] == axes[1]:
        raise ModelError("linalg.norm over the same dim twice is not supported (torch refuses it too)")
    return _matrix_norm(x, ord, axes, keepdim)


# -- rot90 ------------------------------------------------------------------------------------------


@op("torch.rot90", "Tensor.rot90")
def rot90(input: Tensor, k: int = 1, dims: Sequence[int] = (0, 1)) -> Tensor:  # noqa: A002
    """A flip of one of ``dims`` and the swap of both (torch's own composition); on a dynamic axis the
    padded batch is flipped, as torch does. Not along the batch axis."""
    dims = list(dims)
    if len(dims) != 2:
        raise ModelError(f"rot90 needs two dims, got {len(dims)} (torch refuses it too)")
    if input.ndim < 2:
        raise ModelError(f"rot90 of a {input.ndim}-d tensor is not supported (torch refuses it too)")
    a, b = (norm_axis(d, input.ndim) for d in dims)
    if a == b:
        raise ModelError("rot90 over the same dim twice is not supported (torch refuses it too)")
    k = int(k) % 4
    if k == 0:
        return _same(input)
    if k == 2:
        return rearrange.flip(input, [a, b])
    flipped = rearrange.flip(input, [b if k == 1 else a])
    order = list(flipped.dims)
    order[a], order[b] = order[b], order[a]
    return as_view(flipped, order)
