"""Ops that rearrange values: repeat, tile, repeat_interleave, flip, roll, index_select, gather,
take_along_dim, topk, sort, argsort.

Each is one ``eval`` layer on the raw tensors of its sources (their layers' axis order), calling
the TF kernel. Torch computes them on the padded batch, and so does the net: flipping or rolling
the dynamic time axis moves padding frames into the sequences, sorting and topk over time rank the
padding frames too, exactly as torch does. A count ``k`` on a dynamic axis gives the dim
``time * k`` by dim arithmetic, so the result stays dynamic; a count that is a dynamic size
repeats a new or size-1 axis to that size's dim (an ``expand``).

Along the batch axis none of them is supported: the batch entries would move away from the
sequence lengths RETURNN keeps for them (repeating a size-1 axis to the batch size is an expand).
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Sequence

import numpy as np
from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._size import SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import (
    as_view, cast_layer, combine, ctx, dim_value, eval_layer, fresh_dim, insert, merge_axes, new_dim, norm_axis,
    promote, reduce_layer, shape_arg, split_batch_merges, unify)
from pt2r.torch.ops.registry import op
from pt2r.torch.ops.view import expand, flatten

#: what ``x.topk``/``x.sort`` return (torch.return_types.topk/sort): a tuple with ``values`` and ``indices``
TopkResult = namedtuple("topk", ["values", "indices"])
SortResult = namedtuple("sort", ["values", "indices"])


def _eval(sources: Sequence[Tensor], expr: str, raw_dims: Sequence[Dim], dims: Sequence[Dim], dtype: _dtype.dtype,
          name: str | None = None) -> Tensor:
    """An `eval_layer` computing TF code ``expr`` of ``x0``, ``x1``, ... (the sources' raw tensors),
    whose result has the raw axes ``raw_dims`` (``dims`` in torch order). Static sizes are asserted:
    TF loses some (``tf.repeat``), and RETURNN wants them."""
    params = ", ".join(f"x{i}" for i in range(len(sources)))
    args = ", ".join(f"source({i}, auto_convert=False)" for i in range(len(sources)))
    static = [None if d.is_batch_dim() else d.dimension for d in raw_dims]
    return eval_layer(f"tf.ensure_shape((lambda {params}: {expr})({args}), {static})", sources, dims, dtype,
                      raw_dims=raw_dims, name=name)


def _raw(x: Tensor) -> list[Dim]:
    return list(x.layer.output.dims)


def _not_batch(x: Tensor, axis: int, what: str) -> None:
    if x.dims[axis].is_batch_dim():
        raise UnsupportedOpError(f"{what} along the batch axis is not supported")


def _count(n: Any, what: str) -> int:
    """A repeat count or shift: a Python int (a size of a dynamic axis would change with its length)."""
    if isinstance(n, Tensor):
        raise UnsupportedOpError(f"{what} given as a tensor is not supported")
    if isinstance(n, SizeValue) and (n.dim.dimension is None or n.dim.is_batch_dim()):
        raise UnsupportedOpError(f"{what} computed from a dynamic size is not supported")
    return int(n)


def _ints(value: Any) -> list[int]:
    return [int(v) for v in value] if isinstance(value, (tuple, list)) else [int(value)]


def _varies(d: Dim) -> bool:
    return d.is_batch_dim() or d.dimension is None


def _times(d: Dim, k: int, what: str) -> Dim:
    """The dim of ``k`` times axis ``d``'s size: dim arithmetic for a dynamic axis."""
    return d * k if d.dimension is None else new_dim(d.dimension * k, what)


# -- repeat, tile, repeat_interleave -------------------------------------------------------------

@op("Tensor.repeat")
def repeat(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """Tiling: axis i holds ``sizes[i]`` copies of the whole axis; extra counts add leading axes. A count
    that is a dynamic size (``x.unsqueeze(0).repeat(b, 1, 1)``) on a new or size-1 axis repeats it to that
    size: the axis becomes the size's dim (an ``expand``), so it follows the batch or length."""
    sizes = shape_arg(sizes)
    lead = len(sizes) - input.ndim
    dynamic = [i for i, n in enumerate(sizes) if isinstance(n, SizeValue) and _varies(n.dim)]
    for i in [i for i in dynamic if i >= lead and input.dims[i - lead].dimension != 1]:
        # copies of a whole axis, as many as a dynamic size: a new axis of that size in front of it, merged
        # with it (the batch merged with the heads, for ``k.repeat(q.size(0) // heads, 1, 1)``)
        axis = i - lead
        copies = expand(insert(input, axis, new_dim(1, "copies")),
                        *[sizes[i] if j == axis else -1 for j in range(input.ndim + 1)])
        input = merge_axes(copies, axis, axis + 2)
        sizes[i] = 1
    dynamic = [i for i, n in enumerate(sizes) if isinstance(n, SizeValue) and _varies(n.dim)]
    if dynamic and lead >= 0:
        input = expand(input, *[sizes[i] if i in dynamic else (1 if i < lead else -1) for i in range(len(sizes))])
        sizes = [1 if i in dynamic else n for i, n in enumerate(sizes)]
    counts = [_count(n, "a repeat count") for n in sizes]
    lead = len(counts) - input.ndim
    if lead < 0:
        raise ModelError(f"repeat with {len(counts)} counts for a {input.ndim}-d tensor")
    if 0 in counts:
        raise UnsupportedOpError("repeat with a count of 0 (an empty result) is not supported")
    new = [new_dim(n, f"repeat{i}") for i, n in enumerate(counts[:lead])]
    out = dict(zip(input.dims, input.dims))
    for i, (d, k) in enumerate(zip(input.dims, counts[lead:])):
        if k != 1:
            _not_batch(input, i, "repeat")
            out[d] = _times(d, k, "repeat")
    if not lead and all(k == 1 for k in counts):
        return as_view(input, input.dims)
    raw = _raw(input)
    multiples = counts[:lead] + [counts[lead + input.dims.index(d)] for d in raw]
    expr = f"tf.tile(x0[{'None, ' * lead}...], {multiples})"
    return _eval([input], expr, new + [out[d] for d in raw], new + [out[d] for d in input.dims], input.dtype)


@op("torch.tile", "Tensor.tile")
def tile(input: Tensor, *dims: Any, **kwargs: Any) -> Tensor:  # noqa: A002
    counts = shape_arg(dims) if dims else list(kwargs["dims"])
    return repeat(input, *([1] * (input.ndim - len(counts)) + counts))


@op("torch.repeat_interleave", "Tensor.repeat_interleave")
def repeat_interleave(input: Tensor, repeats: Any = None, dim: Any = None, *,  # noqa: A002
                      output_size: Any = None) -> Tensor:
    """Each entry repeated in place: an int count (the dim ``time * k`` on the dynamic axis), or a
    tensor of counts known at conversion (a constant) along a static axis."""
    if repeats is None:
        raise UnsupportedOpError("repeat_interleave(repeats) without an input tensor is not supported")
    x = input if dim is not None or input.ndim == 1 else flatten(input)
    axis = norm_axis(0 if dim is None else dim, x.ndim)
    _not_batch(x, axis, "repeat_interleave")
    d = x.dims[axis]
    r = _raw(x).index(d)
    if isinstance(repeats, Tensor):
        if repeats.value is None:
            raise UnsupportedOpError("repeat_interleave with repeats computed in the net is not supported")
        counts = np.asarray(repeats.value).reshape(-1)
        if counts.size == 1:
            repeats = int(counts[0])
        elif d.dimension is None:
            raise UnsupportedOpError("repeat_interleave with a tensor of repeats along the dynamic axis "
                                     f"{d.description} is not supported")
        else:
            positions = np.repeat(np.arange(d.dimension), counts).tolist()
            if not positions:
                raise UnsupportedOpError("repeat_interleave to an empty result is not supported")
            out_dim = new_dim(len(positions), "repeat_interleave")
            return _eval([x], f"tf.gather(x0, {positions}, axis={r})", [out_dim if e == d else e for e in _raw(x)],
                         [out_dim if e == d else e for e in x.dims], x.dtype)
    k = _count(repeats, "a repeat count")
    if k < 1:
        raise UnsupportedOpError(f"repeat_interleave with a count of {k} is not supported")
    out_dim = _times(d, k, "repeat_interleave")
    return _eval([x], f"tf.repeat(x0, {k}, axis={r})", [out_dim if e == d else e for e in _raw(x)],
                 [out_dim if e == d else e for e in x.dims], x.dtype)


# -- flip, roll -------------------------------------------------------------------------------------

def _same_dims(x: Tensor, expr: str) -> Tensor:
    return _eval([x], expr, _raw(x), x.dims, x.dtype)


def _raw_axes(x: Tensor, dims: Any, what: str) -> list[int]:
    axes = [norm_axis(a, x.ndim) for a in _ints(dims)]
    for a in axes:
        _not_batch(x, a, what)
    raw = _raw(x)
    return [raw.index(x.dims[a]) for a in axes]


@op("torch.flip", "Tensor.flip")
def flip(input: Tensor, *dims: Any, **kwargs: Any) -> Tensor:  # noqa: A002
    """Reversed axes; on the dynamic time axis the padded batch is reversed (padding frames first)."""
    axes = _raw_axes(input, shape_arg(dims) if dims else kwargs["dims"], "flip")
    return _same_dims(input, f"tf.reverse(x0, {axes})") if axes else as_view(input, input.dims)


@op("torch.fliplr", "Tensor.fliplr")
def fliplr(input: Tensor) -> Tensor:  # noqa: A002
    if input.ndim < 2:
        raise ModelError("fliplr of a tensor of less than 2 dims")
    return flip(input, [1])


@op("torch.flipud", "Tensor.flipud")
def flipud(input: Tensor) -> Tensor:  # noqa: A002
    return flip(input, [0])


@op("torch.roll", "Tensor.roll")
def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:  # noqa: A002
    """Shifted cyclically; on the dynamic time axis over the padded length, as torch."""
    if dims is None:
        if input.ndim != 1:
            raise UnsupportedOpError(f"roll without dims (over the flattened {input.ndim}-d tensor) is not supported")
        dims = 0
    shifts = [_count(s, "a roll shift") for s in (shifts if isinstance(shifts, (tuple, list)) else [shifts])]
    axes = _raw_axes(input, dims, "roll")
    if len(shifts) != len(axes):
        raise ModelError(f"roll with {len(shifts)} shifts for {len(axes)} dims")
    return _same_dims(input, f"tf.roll(x0, {shifts}, {axes})")


# -- index_select, gather, take_along_dim ------------------------------------------------------------

def _check_index(index: Tensor, what: str) -> None:
    if index.dtype not in (_dtype.int64, _dtype.int32, _dtype.int16, _dtype.int8, _dtype.uint8):
        raise ModelError(f"{what} with a {index.dtype} index is not supported")


@op("torch.index_select", "Tensor.index_select")
def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """The entries at ``index`` (0-d or 1-d) along ``dim``: that axis becomes the index's."""
    _check_index(index, "index_select")
    axis = norm_axis(dim, input.ndim)
    _not_batch(input, axis, "index_select")
    if index.ndim > 1:
        raise ModelError(f"index_select with a {index.ndim}-d index")
    d = input.dims[axis]
    out_dim = index.dims[0] if index.ndim else new_dim(1, "index_select")
    if out_dim in input.dims and out_dim != d:  # an axis of the same dim in the input (time by time)
        out_dim = fresh_dim(out_dim)
        index = unify(index, 0, out_dim)
    r = _raw(input).index(d)
    return _eval([input, index], f"tf.gather(x0, tf.reshape(x1, [-1]), axis={r})",
                 [out_dim if e == d else e for e in _raw(input)], [out_dim if e == d else e for e in input.dims],
                 input.dtype)


def _take_along(x: Tensor, index: Tensor, axis: int, what: str, broadcasts: bool) -> Tensor:
    """``out[..., i, ...] = x[..., index[..., i, ...], ...]`` along ``axis``; the other axes of ``x`` and
    ``index`` are the same (or, if ``broadcasts``, one of them size 1). Both are transposed to these
    axes, then ``axis``, for ``tf.gather`` with ``batch_dims``."""
    _check_index(index, what)
    if x.ndim != index.ndim:
        raise ModelError(f"{what} with a {index.ndim}-d index for a {x.ndim}-d tensor")
    _not_batch(x, axis, what)
    split = split_batch_merges([x, index])
    if split is not None:  # batch axes merged with other axes by different merges: along their parts
        (x, index), from_right, n = split
        start = x.ndim - from_right - (n - 1)
        out = _take_along(x, index, axis + (n - 1 if axis > start else 0), what, broadcasts)
        return merge_axes(out, start, start + n)
    out = list(index.dims)
    broadcast = False
    for i in range(x.ndim):
        if i == axis:
            continue
        a, b = dim_value(x.dims[i]), dim_value(index.dims[i])
        if a == b:
            ref = index.dims[i] if _varies(index.dims[i]) and not _varies(x.dims[i]) else x.dims[i]
            x, index = unify(x, i, ref), unify(index, i, ref)
            out[i] = ref
        elif broadcasts and 1 in (a, b):
            broadcast = True
            out[i] = x.dims[i] if b == 1 else index.dims[i]
        else:
            raise UnsupportedOpError(f"{what} with an index of size {b} on axis {i}, where the input has {a}, "
                                     f"is not supported")
    order = [i for i in range(x.ndim) if i != axis] + [axis]
    px = [_raw(x).index(x.dims[i]) for i in order]
    pi = [_raw(index).index(index.dims[i]) for i in order]
    n = x.ndim - 1
    gather = f"tf.gather(a, b, batch_dims={n})"
    if broadcast:
        gather = (f"(lambda s: tf.gather(tf.broadcast_to(a, tf.concat([s, tf.shape(a)[-1:]], 0)), "
                  f"tf.broadcast_to(b, tf.concat([s, tf.shape(b)[-1:]], 0)), batch_dims={n}))"
                  f"(tf.maximum(tf.shape(a)[:-1], tf.shape(b)[:-1]))")
    expr = f"(lambda a, b: {gather})(tf.transpose(x0, {px}), tf.transpose(x1, {pi}))"
    return _eval([x, index], expr, [out[i] for i in order], out, x.dtype)


@op("torch.gather", "Tensor.gather")
def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    return _take_along(input, index, norm_axis(dim, input.ndim), "gather", broadcasts=False)


@op("torch.take_along_dim", "Tensor.take_along_dim")
def take_along_dim(input: Tensor, indices: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        if input.ndim != 1 or indices.ndim != 1:
            raise UnsupportedOpError("take_along_dim without dim (over the flattened tensors) is not supported")
        dim = 0
    return _take_along(input, indices, norm_axis(dim, input.ndim), "take_along_dim", broadcasts=True)


# -- bucketize, searchsorted -------------------------------------------------------------------------

def _count_below(boundaries: Tensor, values: Any, right: bool, out_int32: bool, what: str) -> Tensor:
    """For each value, how many of the sorted 1-d ``boundaries`` lie below it (``right``: or equal): its
    bucket. A ``compare`` layer against the boundaries along a new axis, summed over it."""
    if not isinstance(values, Tensor):
        raise UnsupportedOpError(f"{what} of a Python scalar is not supported")
    if boundaries.ndim != 1:
        raise UnsupportedOpError(f"{what} with {boundaries.ndim}-d boundaries is not supported (only 1-d)")
    if values.dtype.is_complex or boundaries.dtype.is_complex:
        raise ModelError(f"{what} is not implemented for complex tensors")
    x = insert(values, values.ndim, new_dim(1, "bucket"))
    below = combine("less_equal" if right else "less", [boundaries, x], promote(boundaries, values), layer="compare")
    counts = reduce_layer(cast_layer(below, _dtype.int64), "sum", [below.ndim - 1])
    return cast_layer(counts, _dtype.int32) if out_int32 else counts


@op("torch.bucketize")
def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False,  # noqa: A002
              out: Any = None) -> Tensor:
    return _count_below(boundaries, input, right, out_int32, "bucketize")


@op("torch.searchsorted")
def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False, right: bool = False,  # noqa: A002
                 side: str | None = None, sorter: Any = None, out: Any = None) -> Tensor:
    if sorter is not None:
        raise UnsupportedOpError("searchsorted with a sorter is not supported")
    if side is not None:
        right = side == "right"
    return _count_below(sorted_sequence, input, right, out_int32, "searchsorted")


# -- topk, sort, argsort -----------------------------------------------------------------------------

def _sortable(input: Tensor, axis: int, what: str) -> int:  # noqa: A002
    """The raw axis ``axis`` of ``input``, after checking ``what`` can order along it."""
    if input.dtype in (_dtype.bool, _dtype.uint8) or input.dtype.is_complex:
        raise UnsupportedOpError(f"{what} of a {input.dtype} tensor is not supported")
    _not_batch(input, axis, what)
    return _raw(input).index(input.dims[axis])


@op("torch.topk", "Tensor.topk")
def topk(input: Tensor, k: Any, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopkResult:  # noqa: A002
    """``tf.math.top_k`` on the axis moved last (of the negated values for the smallest). Along
    time it ranks the padded frames, as torch does. Of equal values TF takes the first ones; torch's
    choice among them is unspecified, so with ties the indices may differ (the replay's check says so)."""
    if not sorted:
        raise UnsupportedOpError("topk with sorted=False is not supported (torch's order of the values is unspecified)")
    axis = norm_axis(dim, input.ndim)
    r = _sortable(input, axis, "topk")
    k = _count(k, "topk's k")
    d = input.dims[axis]
    if d.dimension is None:
        ctx().note_dynamic_branch(f"topk({k}) along {d.description} needs a length of at least {k}")
    raw = _raw(input)
    perm = [j for j in range(len(raw)) if j != r] + [r]
    k_dim = new_dim(k, "topk")
    out_raw = [raw[j] for j in perm[:-1]] + [k_dim]
    dims = [k_dim if e == d else e for e in input.dims]
    moved = "x0" if perm == list(range(len(raw))) else f"tf.transpose(x0, {perm})"
    top = f"tf.math.top_k({moved if largest else '-' + moved}, {k}, sorted=True)"
    values = _eval([input], f"{top}.values" if largest else f"-{top}.values", out_raw, dims, input.dtype)
    indices = _eval([input], f"tf.cast({top}.indices, tf.int64)", out_raw, dims, _dtype.int64,
                    name=f"{ctx().layer_name_for()}.indices")
    return TopkResult(values, indices)


def _direction(descending: bool) -> str:
    return "'DESCENDING'" if descending else "'ASCENDING'"


def _argsort(input: Tensor, dim: int, descending: bool, name: str | None = None) -> Tensor:  # noqa: A002
    """Stable (``tf.argsort(stable=True)``): equal values keep their order, as in torch's stable sort."""
    r = _sortable(input, norm_axis(dim, input.ndim), "sort")
    return _eval([input], f"tf.cast(tf.argsort(x0, axis={r}, direction={_direction(descending)}, stable=True), "
                          f"tf.int64)", _raw(input), input.dims, _dtype.int64, name=name)


@op("torch.argsort", "Tensor.argsort")
def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:  # noqa: A002
    return _argsort(input, dim, descending)


@op("torch.sort", "Tensor.sort")
def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> SortResult:  # noqa: A002
    r = _sortable(input, norm_axis(dim, input.ndim), "sort")
    values = _eval([input], f"tf.sort(x0, axis={r}, direction={_direction(descending)})", _raw(input), input.dims,
                   input.dtype)
    return SortResult(values, _argsort(input, dim, descending, name=f"{ctx().layer_name_for()}.indices"))


@op("torch.msort", "Tensor.msort")
def msort(input: Tensor) -> Tensor:  # noqa: A002
    return sort(input, 0).values
