"""Shape ops: indexing with ints, slices, ``None`` and ``...`` (getitem, select, narrow), cat/stack,
and split/chunk/unbind.

Slices of dynamic axes use the ``slice`` layer with out dims from dim
arithmetic (``x[:, 1:]`` has ``time - 1``); negative starts on a dynamic axis
(``x[:, -3:]``, ``x[:, -1]``) count from the padded end, as torch does,
with an ``eval`` layer. Positions computed from the length (``x[:, t - 1]``)
become such offsets from the end. A slice that ends at a fixed position of a
dynamic axis (``x[:, :5]``) has a static size: the report lists it as tied
to the recorded length. A slice ending at the length of another dynamic dim
(``x[:, :y.shape[1]]``, ``min(t1, t2)``) has that dim. The slicing of one axis is
`build.slice_axis`; indexing with integer tensors `build.advanced_getitem`.
"""

from __future__ import annotations

import functools
import numbers
import operator
from typing import Any, Sequence

import numpy as np
from returnn.tensor import batch_dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._size import SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import (
    advanced_getitem, as_view, combine, ctx, dim_value, eval_index, from_end, insert, is_advanced, make, new_dim,
    norm_axis, note_fixed_position, slice_axis, unify)
from pt2r.torch.ops.registry import op
from pt2r.torch.values import value_tensor


# -- joining ---------------------------------------------------------------------------------

def _aligned(tensors: Sequence[Tensor], skip: int | None) -> list[Tensor]:
    """The tensors with each axis (but ``skip``) the same dim, as torch lines them up by position."""
    ndim = tensors[0].ndim
    if any(t.ndim != ndim for t in tensors):
        raise ModelError(f"tensors of different ranks {[t.ndim for t in tensors]}")
    out = list(tensors)
    for axis in range(ndim):
        if axis == skip:
            continue
        dims = [t.dims[axis] for t in out]
        ref = next((d for d in dims if d.is_batch_dim() or d.dimension is None), dims[0])
        out = [unify(t, axis, ref) for t in out]
    return out


@op("torch.cat", "torch.concat")
def cat(tensors: Sequence[Tensor], dim: int = 0, axis: int | None = None) -> Tensor:
    dim = dim if axis is None else axis
    # as torch, 1-d empty tensors are left out (a cache that starts as torch.tensor([]): transformers' DynamicLayer)
    tensors = [t for t in tensors if not (t.ndim == 1 and t.dims[0].dimension == 0)] or list(tensors)[:1]
    axis = norm_axis(dim, tensors[0].ndim)
    if any(t.dims[axis].is_batch_dim() for t in tensors):
        raise UnsupportedOpError("cat along the batch axis is not supported")
    tensors = _aligned(tensors, axis)
    if len(tensors) == 1:
        return tensors[0]
    out_dim = functools.reduce(operator.add, [t.dims[axis] for t in tensors])
    dims = [*tensors[0].dims[:axis], out_dim, *tensors[0].dims[axis + 1:]]
    return make({"class": "concat", "from": [(t, t.dims[axis]) for t in tensors], "out_dim": out_dim}, dims,
                dtype=tensors[0].dtype)


@op("torch.concatenate")
def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    return cat(tensors, axis)


@op("torch.hstack")
def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """``cat`` along axis 1, along axis 0 for 1-d tensors."""
    tensors = list(tensors)
    return cat(tensors, 1 if tensors[0].ndim > 1 else 0)


@op("torch.vstack", "torch.row_stack")
def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """``cat`` along axis 0, a 1-d tensor taken as one row."""
    from pt2r.torch.ops.view import unsqueeze
    return cat([unsqueeze(t, 0) if t.ndim == 1 else t for t in tensors], 0)


@op("torch.diff", "Tensor.diff")
def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,  # noqa: A002
         append: Tensor | None = None) -> Tensor:
    """``x[1:] - x[:-1]`` along ``dim``, ``n`` times (``!=`` for bool), after ``prepend`` and ``append``."""
    axis = norm_axis(dim, input.ndim)
    parts = [t for t in (prepend, input, append) if t is not None]
    x = cat(parts, axis) if len(parts) > 1 else input
    for _ in range(int(n)):
        size = int(dim_value(x.dims[axis])) - 1
        later, earlier = slice_axis(x, axis, slice(1, None)), slice_axis(x, axis, slice(None, -1))
        for part in (later, earlier):  # their length now, before the call's recorded output tells it
            ctx().dim_values.setdefault(part.dims[axis], size)
        earlier = unify(earlier, axis, later.dims[axis])
        if x.dtype is _dtype.bool:
            x = combine("not_equal", [later, earlier], x.dtype, layer="compare")
        else:
            x = combine("subtract", [later, earlier], x.dtype)
    return x


@op("torch.stack")
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = _aligned(list(tensors), None)
    axis = norm_axis(dim, tensors[0].ndim + 1)
    new = new_dim(len(tensors), "stack")
    dims = [*tensors[0].dims[:axis], new, *tensors[0].dims[axis:]]
    return make({"class": "stack", "from": tensors, "out_spatial_dim": new}, dims, dtype=tensors[0].dtype)


# -- indexing and slicing ----------------------------------------------------------------------

def select_axis(x: Tensor, axis: int, index: int) -> Tensor:
    d = x.dims[axis]
    if d.is_batch_dim():
        raise UnsupportedOpError("indexing the batch axis is not supported")
    n = dim_value(d)
    if isinstance(index, SizeValue) and (d.dimension is None or index.dim.dimension is None):
        if d.dimension is not None or from_end(d, index) is None:
            raise UnsupportedOpError(f"indexing axis {axis} at a dynamic size is not supported")
        index = from_end(d, index)
    note_fixed_position(d, index)
    index = int(index)
    if not -n <= index < n:
        raise ModelError(f"index {index} is out of range for axis {axis} of size {n}")
    if index < 0 and d.dimension is None:
        return eval_index(x, axis, index, None)
    return make({"class": "gather", "from": x, "axis": d, "position": index % n},
                [*x.dims[:axis], *x.dims[axis + 1:]], dtype=x.dtype)


def _lists_as_tensors(index: Any) -> Any:
    """Lists of ints in an index are index tensors, as torch takes them (``input_ids[:, [-1, 0]]``)."""
    def convert(item: Any) -> Any:
        if isinstance(item, list) and item and np.asarray(item).dtype.kind in "iu":
            return value_tensor(np.asarray(item, dtype=np.int64), "int64", ctx().layer_name_for() + ".index")
        return item
    return tuple(convert(item) for item in index) if isinstance(index, tuple) else convert(index)


@op("Tensor.__getitem__")
def getitem(input: Tensor, index: Any) -> Tensor:  # noqa: A002
    if isinstance(index, Tensor) and (index.frames_of is not None or index.padding_of is not None):
        return _frames(input, index)
    index = _masks_as_indices(_lists_as_tensors(index))
    if is_advanced(index):
        return advanced_getitem(input, index)
    items = list(index) if isinstance(index, tuple) else [index]
    for item in items:
        if not (item is None or item is Ellipsis or isinstance(item, (numbers.Integral, slice))) \
                or isinstance(item, (bool, Tensor)):
            raise UnsupportedOpError(f"indexing with {type(item).__name__} is not supported (only ints, slices, "
                                     "None, ...)")
    if items.count(Ellipsis) > 1:
        raise ModelError("an index with more than one '...'")
    used = sum(1 for item in items if item is not None and item is not Ellipsis)
    if used > input.ndim:
        raise ModelError(f"too many indices for a {input.ndim}-d tensor")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at:at + 1] = [slice(None)] * (input.ndim - used)
    out, pos = input, 0
    for item in items:
        if item is None:
            out = insert(out, pos, new_dim(1, "none"))
            pos += 1
        elif isinstance(item, slice):
            out = slice_axis(out, pos, item)
            pos += 1
        else:
            out = select_axis(out, pos, item)
    out = as_view(out, out.dims) if out is input else out
    if all(item is None or item is Ellipsis or item == slice(None) for item in items):  # new axes only
        out.sizes_from(input)
    return out


def _frames(x: Tensor, mask: Tensor) -> Tensor:
    """``x[mask]`` with ``mask`` marking each sequence's frames of a dim (``arange(t) < lengths``) over
    ``x``'s first two axes, batch and that dim: those frames, in torch's order, along a new batch axis
    (RETURNN's ``flatten_batch``), which follows the lengths of any batch."""
    dim = mask.frames_of
    if dim is None or list(mask.dims) != list(x.dims[:2]) or set(mask.dims) != {batch_dim, dim}:
        what = "padding frames" if dim is None else f"frames in the layout {[d.description for d in mask.dims]}"
        raise UnsupportedOpError(f"indexing with a mask of the {what} is not supported (only x[mask] with mask "
                                 f"marking each sequence's frames over x's first two axes, batch and time)")
    out = make({"class": "flatten_batch", "from": x, "axis": dim, "batch_major": x.dims[0] == batch_dim},
               [batch_dim, *x.dims[2:]], dtype=x.dtype)
    flat = next(d for d in out.layer.output.dims if d.is_batch_dim())
    out.dims = (flat, *x.dims[2:])
    return out


def _masks_as_indices(index: Any) -> Any:
    """``index`` with each constant bool mask replaced by the integer indices of its true entries
    (``x[:, keep]`` is ``x[:, keep.nonzero()[:, 0]]`` in torch too, one index per axis of the mask)."""
    items = index if isinstance(index, tuple) else (index,)
    if not any(isinstance(item, Tensor) and item.dtype is _dtype.bool for item in items):
        return index
    out: list[Any] = []
    for item in items:
        if not (isinstance(item, Tensor) and item.dtype is _dtype.bool):
            out.append(item)
        elif item.value is None or item._layer is not None:
            raise UnsupportedOpError("indexing with a bool mask computed in the net is not supported (the number of "
                                     "elements it selects depends on the data)")
        else:
            out += [value_tensor(positions, "int64", ctx().layer_name_for() + f".mask{len(out)}")
                    for positions in np.nonzero(item.value)]
    return tuple(out)


@op("Tensor.select", "torch.select")
def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    return select_axis(input, norm_axis(dim, input.ndim), index)


@op("Tensor.narrow", "torch.narrow")
def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    return slice_axis(input, norm_axis(dim, input.ndim), slice(start, start + length))


# -- splitting --------------------------------------------------------------------------------

def _pieces(x: Tensor, axis: int, sizes: list[Any]) -> tuple[Tensor, ...]:
    d = x.dims[axis]
    if d.is_batch_dim():
        raise UnsupportedOpError("splitting the batch axis is not supported")
    out, start = [], 0
    for i, size in enumerate(sizes):
        last = i == len(sizes) - 1
        if d.dimension is None and not last and isinstance(size, SizeValue):
            raise UnsupportedOpError(f"split of the dynamic axis {d.description} is supported with static sizes before "
                                     f"the last piece only")
        out.append(slice_axis(x, axis, slice(start, None if last and d.dimension is None else start + int(size))))
        start += int(size)
    return tuple(out)


@op("Tensor.split", "torch.split")
def split(tensor: Tensor, split_size_or_sections: Any = None, dim: int = 0, split_size: Any = None
          ) -> tuple[Tensor, ...]:
    if split_size_or_sections is None:
        split_size_or_sections = split_size
    axis = norm_axis(dim, tensor.ndim)
    n = dim_value(tensor.dims[axis])
    if isinstance(split_size_or_sections, int):
        if tensor.dims[axis].dimension is None:
            raise UnsupportedOpError("split into pieces of one size along a dynamic axis is not supported (the number "
                                     "of pieces depends on its length); give the sizes")
        size = int(split_size_or_sections)
        sizes = [min(size, n - s) for s in range(0, n, size)]
    else:
        sizes = list(split_size_or_sections)
        if sum(int(s) for s in sizes) != n:
            raise ModelError(f"split sizes {sizes} do not sum to {n}")
    return _pieces(tensor, axis, sizes)


@op("Tensor.chunk", "torch.chunk")
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    axis = norm_axis(dim, input.ndim)
    if input.dims[axis].dimension is None:
        raise UnsupportedOpError("chunk along a dynamic axis is not supported (the pieces depend on its length)")
    n = dim_value(input.dims[axis])
    size = -(-n // int(chunks))
    return _pieces(input, axis, [min(size, n - s) for s in range(0, n, size)])


@op("Tensor.unbind", "torch.unbind")
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    axis = norm_axis(dim, input.ndim)
    if input.dims[axis].dimension is None:
        raise UnsupportedOpError("unbind along a dynamic axis is not supported")
    return tuple(select_axis(input, axis, i) for i in range(dim_value(input.dims[axis])))


@op("Tensor.__iter__")
def iterate(input: Tensor) -> tuple[Tensor, ...]:  # noqa: A002
    """Iterating a tensor (``q, k, v = x``): its slices along axis 0, as torch's ``x.unbind(0)``."""
    if input.ndim == 0:
        raise ModelError("iterating a 0-d tensor is not supported (torch refuses it too)")
    return unbind(input, 0)
