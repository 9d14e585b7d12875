"""Shape ops: indexing with ints, slices, ``None`` and ``...`` (getitem, select, narrow), cat/stack,
and split/chunk/unbind; with the size and axis helpers the view ops (`view.py`) share.

Slices of dynamic axes use the ``slice`` layer with out dims from dim
arithmetic (``x[:, 1:]`` has ``time - 1``); negative starts on a dynamic axis
(``x[:, -3:]``, ``x[:, -1]``) count from the padded end, as torch does,
with an ``eval`` layer. Positions computed from the length (``x[:, t - 1]``)
become such offsets from the end. A slice that ends at a fixed position of a
dynamic axis (``x[:, :5]``) has a static size: the report lists it as tied
to the recorded length. A slice ending at the length of another dynamic dim
(``x[:, :y.shape[1]]``, ``min(t1, t2)``) has that dim (`_slice_to_length`).
"""

from __future__ import annotations

import functools
import numbers
import operator
from typing import Any, Sequence

import numpy as np
from returnn.tensor import Dim, batch_dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._size import SizeExpr, SizeValue, form_of
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops import indexing
from pt2r.torch.ops.build import ctx, eval_layer, make, unify
from pt2r.torch.ops.registry import op
from pt2r.torch.values import value_tensor

#: replay memo: id(merged batch dim) -> (that dim, the dims merged into it in memory order, major first)
BATCH_MERGES = "shape.batch_merges"


# -- sizes and dims ------------------------------------------------------------

def merged_batch(d: Dim) -> list[Dim] | None:
    """What a batch dim made by merging the batch with other axes holds (None for other dims)."""
    entry = ctx().memo(BATCH_MERGES).get(id(d))
    return entry[1] if entry is not None and entry[0] is d else None


def dim_value(d: Dim) -> int:
    """The size of ``d`` in the recorded run (merged batch dims and dim arithmetic included)."""
    merged = merged_batch(d)
    if merged is not None:
        return functools.reduce(operator.mul, (dim_value(m) for m in merged), 1)
    if d.is_batch_dim():
        return ctx().dim_value(batch_dim)
    if d.dimension is not None:
        return d.dimension
    known = ctx().dim_values.get(d)
    if known is not None:
        return known
    op_ = d.derived_from_op
    if op_ is not None and op_.kind == "constant":
        return op_.attribs["value"]
    if op_ is not None and op_.inputs:
        values = [dim_value(x) for x in op_.inputs]
        kinds = {"add": operator.add, "sub": lambda a, b: max(a - b, 0), "mul": operator.mul,
                 "floordiv": operator.floordiv, "truediv": operator.floordiv, "ceildiv": lambda a, b: -(-a // b)}
        if op_.kind in kinds:
            return functools.reduce(kinds[op_.kind], values)
    return ctx().dim_value(d)


def norm_axis(axis: Any, ndim: int) -> int:
    axis = int(axis)
    if not -ndim <= axis < max(ndim, 1):
        raise ModelError(f"axis {axis} is out of range for a {ndim}-d tensor")
    return axis % ndim if ndim else 0


def new_dim(size: int, what: str) -> Dim:
    return Dim(int(size), name=f"{ctx().layer_name_for()}:{what}")


def as_view(x: Tensor, dims: Sequence[Dim]) -> Tensor:
    """The same layer with the dims in another torch order."""
    return Tensor(dims, x.dtype, layer=x.layer)


def insert(x: Tensor, pos: int, dim: Dim) -> Tensor:
    """A new axis ``dim`` at torch position ``pos`` (values repeated along it)."""
    dims = list(x.dims)
    dims.insert(pos, dim)
    # The raw position does not matter (dims are tracked by tag): behind the feature axis, or last.
    axis = "T" if x.layer.output.sparse else "F"
    return make({"class": "expand_dims", "from": x, "axis": axis, "dim": dim}, dims, dtype=x.dtype)


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
    tensors = list(tensors)
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
    from pt2r.torch.ops.elementwise import combine
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

def _eval_index(x: Tensor, axis: int, item: Any, out_dim: Dim | None, sizes: Sequence[Tensor] = ()) -> Tensor:
    """``x[..., item, ...]`` on one axis by TF indexing, the axis becoming ``out_dim`` (None: gone), for
    positions counted from the padded end or computed at run time: ``item`` is an int, a slice, or the
    code of one reading the size scalars ``sizes`` as ``source(1)``, ``source(2)``, ..."""
    raw = list(x.layer.output.dims)
    r = raw.index(x.dims[axis])
    if isinstance(item, slice):
        item = f"{item.start}:{'' if item.stop is None else item.stop}:{item.step or 1}"
    out_raw = raw[:r] + ([out_dim] if out_dim is not None else []) + raw[r + 1:]
    static = [None if d.is_batch_dim() else d.dimension for d in out_raw]  # TF cannot infer a size it cut off
    expr = f"tf.ensure_shape(source(0, auto_convert=False)[{', '.join([':'] * r + [str(item)])}], {static})"
    dims = [*x.dims[:axis], *([out_dim] if out_dim is not None else []), *x.dims[axis + 1:]]
    return eval_layer(expr, [x, *sizes], dims, x.dtype, raw_dims=out_raw)


def _offset(d: Dim, x: Dim) -> int | None:
    """``k`` if dim ``x`` is ``d + k`` by dim arithmetic (``t - 1``, ``1 + (t - 2)``), else None."""
    if x == d:
        return 0
    op_ = x.derived_from_op
    if op_ is None or op_.kind not in ("add", "sub") or len(op_.inputs) != 2:
        return None
    a, b = op_.inputs
    if op_.kind == "sub":
        off = _offset(d, a)
        return off - b.dimension if off is not None and b.dimension is not None else None
    if b.dimension is not None and a.dimension is None:
        a, b = b, a
    off = _offset(d, b)
    return off + a.dimension if off is not None and a.dimension is not None else None


def _from_end(d: Dim, value: Any) -> Any:
    """A position on dynamic axis ``d``: a size computed from ``d`` (``t - 1``) becomes an offset from its
    end (-1), which stays right for other lengths; the full size becomes None."""
    if not isinstance(value, SizeValue):
        return value
    off = _offset(d, value.dim)
    if off is None or off > 0:
        raise UnsupportedOpError(f"a position on the dynamic axis {d.description} computed from another size is not "
                                 f"supported")
    return off or None


def _other_length(d: Dim, stop: SizeValue) -> bool:
    """Whether ``stop``, a slice's end on dynamic axis ``d``, is the length of another dynamic dim (not
    computed from ``d``'s own length)."""
    other = stop.dim
    return other.dimension is None and not other.is_batch_dim() and _offset(d, other) is None


def _slice_to_length(x: Tensor, axis: int, item: slice, step: int) -> Tensor:
    """``x[:, start:n]`` on dynamic axis ``d`` with ``n`` the length of another dim ``e`` (``x[:, :t2]``,
    ``min(t, t2)`` in SEW): the result's axis is ``e`` (or ``e - start``, strided), so the net stays dynamic,
    cut at ``e``'s padded length at run time by an ``eval`` layer. Where the dims' arithmetic shows ``e``
    always has ``d``'s size (`dims.same_size`), nothing is cut. Else the net relies on ``e`` being no longer
    than ``d`` (as it was recorded; torch would stop at ``d``'s end), which the report notes."""
    from pt2r.torch.dims import same_size
    from pt2r.torch.ops.elementwise import size_scalar

    d, stop = x.dims[axis], item.stop
    n, m = dim_value(d), int(stop)
    if same_size(d, stop.dim) or m > n:
        if m > n:
            ctx().note_dynamic_branch(f"slice {item} of {d.description} (length {n}) to the length of "
                                      f"{stop.dim.description} ({m}) assumes that is no shorter")
        return slice_axis(x, axis, slice(item.start, None, item.step))
    start = item.start
    if start is None:
        start = 0
    if isinstance(start, SizeValue) or int(start) < 0:
        raise UnsupportedOpError(f"a slice of the dynamic axis {d.description} from {start} to the length of "
                                 f"{stop.dim.description} is not supported (only from a fixed position)")
    start = int(start)
    if m <= start:
        raise UnsupportedOpError("slices with no elements are not supported")
    ctx().note_dynamic_branch(f"slice {item} of {d.description} to the length of {stop.dim.description} "
                              f"assumes that is no longer (at most {n} as recorded)")
    out_dim = stop.dim.sub_left(start) if start else stop.dim
    if step != 1:
        out_dim = out_dim.ceildiv_right(step)
    ctx().dim_values.setdefault(out_dim, len(range(start, m, step)))
    return _eval_index(x, axis, f"{start}:tf.cast(source(1, auto_convert=False), tf.int32):{step}", out_dim,
                       [size_scalar(stop)])


def slice_axis(x: Tensor, axis: int, item: slice) -> Tensor:
    step = 1 if item.step is None else int(item.step)
    if step <= 0:
        raise ModelError(f"slicing with step {step} is not supported (torch needs positive steps)")
    d = x.dims[axis]
    n = dim_value(d)
    if d.is_batch_dim() or d.dimension is not None:
        if any(isinstance(v, SizeExpr) or isinstance(v, SizeValue) and v.dim.dimension is None and v.dim != d
               for v in (item.start, item.stop)):
            if d.is_batch_dim() or step != 1:
                raise UnsupportedOpError("slicing at a dynamic size is not supported (only a static axis, step 1)")
            return _slice_at_sizes(x, axis, item)
        start, stop, step = slice(item.start, item.stop, step).indices(n)
        length = len(range(start, stop, step))
        if length == n:
            return x
        if d.is_batch_dim():
            raise UnsupportedOpError("slicing the batch axis is not supported")
        if length == 0:
            raise UnsupportedOpError("slices with no elements are not supported")
        out_dim = new_dim(length, "slice")
        return make({"class": "slice", "from": x, "axis": d, "slice_start": start, "slice_end": stop,
                     "slice_step": step, "out_dim": out_dim}, [*x.dims[:axis], out_dim, *x.dims[axis + 1:]],
                    dtype=x.dtype)
    if isinstance(item.stop, SizeValue) and _other_length(d, item.stop):
        return _slice_to_length(x, axis, item, step)
    if isinstance(item.start, SizeValue) and _from_end(d, item.start) is None:
        raise UnsupportedOpError("slices with no elements are not supported")
    start, stop = _from_end(d, item.start), _from_end(d, item.stop)
    if start is not None and start <= -n or stop is not None and stop >= n:
        ctx().note_dynamic_branch(f"slice {item} of {d.description} (length {n}) assumes the recorded length")
    start = None if start is None or start == 0 or start <= -n else int(start)
    stop = None if stop is None or stop >= n else int(stop)
    if start is None and stop is None and step == 1:
        return x
    if start is not None and start >= n or stop is not None and 0 <= stop <= (start or 0):
        raise UnsupportedOpError("slices with no elements are not supported")
    if start is not None and start < 0:  # counted from the padded end: a static number of frames
        if stop is not None and stop >= 0:
            raise UnsupportedOpError(f"slice {item} of the dynamic axis {d.description} (from its end to a position "
                                     "from its start) is not supported")
        length = len(range(n + start, n + (stop or 0), step))
        if length <= 0:
            raise UnsupportedOpError("slices with no elements are not supported")
        return _eval_index(x, axis, slice(start, stop, step), new_dim(length, "slice"))
    if stop is not None and stop >= 0:
        ctx().note_dynamic_branch(f"slice {item} of {d.description} needs a length of at least {stop}")
    out_dim = d.sub_left(start) if start else d
    if stop is not None:
        out_dim = new_dim(stop - (start or 0), "slice") if stop >= 0 else out_dim - (-stop)
    if step != 1:
        out_dim = out_dim.ceildiv_right(step)
    return make({"class": "slice", "from": x, "axis": d, "slice_start": start, "slice_end": stop,
                 "slice_step": step if step != 1 else None, "out_dim": out_dim},
                [*x.dims[:axis], out_dim, *x.dims[axis + 1:]], dtype=x.dtype)


def _slice_at_sizes(x: Tensor, axis: int, item: slice) -> Tensor:
    """``x[:, c + 1 - t : c + t]`` on static axis ``axis``, bounds computed from dynamic sizes (a
    relative position table cut to a length, as Conformers do): the result's axis is the dim of
    ``stop - start`` (``2 t - 1``), the bounds computed at run time from the padded sizes."""
    from pt2r.torch.dims import build
    from pt2r.torch.ops.elementwise import size_scalar

    n = x.dims[axis].dimension
    start, stop = 0 if item.start is None else item.start, n if item.stop is None else item.stop
    if not 0 <= int(start) < int(stop) <= n:
        raise UnsupportedOpError(f"slice {item} of an axis of size {n} (out of its bounds, or negative, as recorded) "
                                 f"is not supported")
    (ta, ca), (tb, cb) = form_of(start), form_of(stop)
    length = ({k: tb.get(k, 0) - ta.get(k, 0) for k in {**ta, **tb}}, cb - ca)
    out_dim = build(length)
    if out_dim is None:
        raise UnsupportedOpError(f"slice {item}: its length is no size RETURNN can express")
    ctx().dim_values.setdefault(out_dim, int(stop) - int(start))
    atoms = list(dict.fromkeys([*ta, *tb]))
    sizes = [size_scalar(SizeValue(dim_value(a), a)) for a in atoms]

    def position(form: Any) -> str:
        terms, const = form
        return " + ".join([str(const)] + [f"{c} * tf.cast(source({1 + atoms.index(a)}, auto_convert=False), tf.int32)"
                                          for a, c in terms.items()])
    return _eval_index(x, axis, f"{position(form_of(start))}:{position(form_of(stop))}", out_dim, sizes)


def select_axis(x: Tensor, axis: int, index: int) -> Tensor:
    d = x.dims[axis]
    if d.is_batch_dim():
        raise UnsupportedOpError("indexing the batch axis is not supported")
    n = dim_value(d)
    if isinstance(index, SizeValue) and (d.dimension is None or index.dim.dimension is None):
        if d.dimension is not None or _from_end(d, index) is None:
            raise UnsupportedOpError(f"indexing axis {axis} at a dynamic size is not supported")
        index = _from_end(d, index)
    index = int(index)
    if not -n <= index < n:
        raise ModelError(f"index {index} is out of range for axis {axis} of size {n}")
    if index < 0 and d.dimension is None:
        return _eval_index(x, axis, index, None)
    return make({"class": "gather", "from": x, "axis": d, "position": index % n},
                [*x.dims[:axis], *x.dims[axis + 1:]], dtype=x.dtype)


@op("Tensor.__getitem__")
def getitem(input: Tensor, index: Any) -> Tensor:  # noqa: A002
    if isinstance(index, Tensor) and (index.frames_of is not None or index.padding_of is not None):
        return _frames(input, index)
    index = _masks_as_indices(index)
    if indexing.is_advanced(index):
        return indexing.getitem(input, index)
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
