"""Shape ops: axis reorders, views and reshapes, squeeze/unsqueeze/expand, cat/stack,
chunk/split, and indexing with ints, slices, ``None`` and ``...``.

Axis reorders (transpose, permute, movedim) build no layer: the result is the
same layer seen with its dims in another torch order.

Views regroup axes. Each group of input axes whose sizes multiply to the
sizes of a group of output axes becomes a ``merge_dims`` and/or
``split_dims`` layer; size-1 axes are squeezed or added. Output dims come
from dim arithmetic (``time * feature``) or from the sizes the model
computed (a `SizeValue` carries its dim), so views built from ``x.shape``
stay dynamic. Merging the batch axis with others uses RETURNN's batch
merge (``merge_dims`` over the batch dim, which keeps the padding frames as
torch does; ``flatten_batch`` would drop them): the merged axis is then a
batch dim holding several virtual dims, whose merge order we keep here so
the inverse view can split it again.

Slices of dynamic axes use the ``slice`` layer with out dims from dim
arithmetic (``x[:, 1:]`` has ``time - 1``); negative starts on a dynamic axis
(``x[:, -3:]``, ``x[:, -1]``) count from the padded end, as torch does,
with an ``eval`` layer. Positions computed from the length (``x[:, t - 1]``)
become such offsets from the end. A slice that ends at a fixed position of a
dynamic axis (``x[:, :5]``) has a static size: the report lists it as tied
to the recorded length.
"""

from __future__ import annotations

import functools
import numbers
import operator
from typing import Any, Sequence

from returnn.tensor import Dim, batch_dim

from pt2r.torch import _dtype
from pt2r.torch._size import SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import ctx, make, unify
from pt2r.torch.ops.registry import op

#: replay memo: id(merged batch dim) -> (that dim, the dims merged into it in memory order, major first)
_BATCH_MERGES = "shape.batch_merges"


# -- sizes and dims ------------------------------------------------------------

def _merged_batch(d: Dim) -> list[Dim] | None:
    """What a batch dim made by merging the batch with other axes holds (None for other dims)."""
    entry = ctx().memo(_BATCH_MERGES).get(id(d))
    return entry[1] if entry is not None and entry[0] is d else None


def dim_value(d: Dim) -> int:
    """The size of ``d`` in the recorded run (merged batch dims and dim arithmetic included)."""
    merged = _merged_batch(d)
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


def _sizes(x: Tensor) -> list[int]:
    return [dim_value(d) for d in x.dims]


def _is_one(d: Dim) -> bool:
    """A static axis of size 1 (which views may drop or add); dynamic axes are never that."""
    return d.dimension == 1 and not d.is_batch_dim()


def _axis(axis: Any, ndim: int) -> int:
    axis = int(axis)
    if not -ndim <= axis < max(ndim, 1):
        raise ValueError(f"axis {axis} is out of range for a {ndim}-d tensor")
    return axis % ndim if ndim else 0


def _new_dim(size: int, what: str) -> Dim:
    return Dim(int(size), name=f"{ctx().layer_name_for()}:{what}")


def _shape_arg(shape: tuple) -> list[Any]:
    """``view(2, 3)`` and ``view((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return list(shape[0])
    return list(shape)


def _view(x: Tensor, dims: Sequence[Dim]) -> Tensor:
    """The same layer with the dims in another torch order."""
    return Tensor(dims, x.dtype, layer=x.layer)


# -- single layers ---------------------------------------------------------------

def _squeeze(x: Tensor, axes: list[int]) -> Tensor:
    if not axes:
        return x
    keep = [d for i, d in enumerate(x.dims) if i not in axes]
    return make({"class": "squeeze", "from": x, "axis": [x.dims[i] for i in axes]}, keep, dtype=x.dtype)


def _insert(x: Tensor, pos: int, dim: Dim) -> Tensor:
    """A new axis ``dim`` at torch position ``pos`` (values repeated along it)."""
    dims = list(x.dims)
    dims.insert(pos, dim)
    # The raw position does not matter (dims are tracked by tag): behind the feature axis, or last.
    axis = "T" if x.layer.output.sparse else "F"
    return make({"class": "expand_dims", "from": x, "axis": axis, "dim": dim}, dims, dtype=x.dtype)


def _merge(x: Tensor, start: int, end: int) -> Tensor:
    """Merge the torch axes ``start..end-1`` (in that order) into one."""
    dims = list(x.dims[start:end])
    if len(dims) == 1:
        return x
    if not any(d.is_batch_dim() for d in dims):
        out_dim = functools.reduce(operator.mul, dims)
        return make({"class": "merge_dims", "from": x, "axes": dims, "keep_order": True, "out_dim": out_dim},
                    [*x.dims[:start], out_dim, *x.dims[end:]], dtype=x.dtype)
    # Merging into the batch: RETURNN makes the merged axis a batch dim of its own (equal to every batch dim,
    # so no out_dim can name it); we take it from the layer and remember what it holds.
    flat = []
    for d in dims:
        flat += _merged_batch(d) or [d]
    out = make({"class": "merge_dims", "from": x, "axes": dims, "keep_order": True},
               [*x.dims[:start], batch_dim, *x.dims[end:]], dtype=x.dtype)
    merged = next(d for d in out.layer.output.dims if d.is_batch_dim())
    ctx().memo(_BATCH_MERGES)[id(merged)] = (merged, flat)
    out.dims = (*x.dims[:start], merged, *x.dims[end:])
    return out


def _split(x: Tensor, axis: int, dims: list[Dim]) -> Tensor:
    if len(dims) == 1:
        return x
    return make({"class": "split_dims", "from": x, "axis": x.dims[axis], "dims": dims},
                [*x.dims[:axis], *dims, *x.dims[axis + 1:]], dtype=x.dtype)


REST = "rest"  # a -1 in a view's shape


def _droppable(n: int, hint: Any) -> bool:
    """A size-1 entry of a view's shape that is no axis of the input (a plain 1, or a -1 that is 1)."""
    return n == 1 and (hint is None or isinstance(hint, str))


def _split_dims(d: Dim, sizes: list[int], hints: list[Any]) -> list[Dim]:
    """The dims that axis ``d`` splits into, of the recorded ``sizes``; ``hints`` are the dims the
    model's sizes carry (or `REST` for -1, or None)."""
    merged = _merged_batch(d) if d.is_batch_dim() else None
    if d.is_batch_dim():
        if merged is None or [dim_value(m) for m in merged] != sizes:
            raise ValueError(f"splitting the batch axis into sizes {sizes} is not supported (only undoing a view "
                             f"that merged it with other axes)")
        return merged
    op_ = d.derived_from_op
    if op_ is not None and op_.kind == "mul" and [dim_value(m) for m in op_.inputs] == sizes:
        return list(op_.inputs)  # undoing a merge: the original dims again
    if d.dimension is not None:
        return [_new_dim(n, f"split{i}") for i, n in enumerate(sizes)]
    dynamic = [i for i, h in enumerate(hints) if isinstance(h, Dim) and h.dimension is None]
    if not dynamic:
        dynamic = [i for i, h in enumerate(hints) if isinstance(h, str)]
    if len(dynamic) != 1:
        raise ValueError(f"splitting the dynamic axis {d.description} into sizes {sizes} is not supported: exactly "
                         f"one of them must be dynamic (a size computed from x.shape, or -1)")
    k = dynamic[0]
    static = functools.reduce(operator.mul, [n for i, n in enumerate(sizes) if i != k], 1)
    rest = hints[k] if isinstance(hints[k], Dim) else (d // static if static != 1 else d)
    return [rest if i == k else _new_dim(n, f"split{i}") for i, n in enumerate(sizes)]


# -- views -------------------------------------------------------------------------

def _regroup(x: Tensor, groups: list[tuple[list[int], list[tuple[int, Any]]]]) -> Tensor:
    """A view given as groups: (consecutive input axes, output (size, hint) entries) with equal products."""
    def stays(ins: list[int], outs: list[tuple[int, Any]]) -> bool:  # size-1 axes kept as they are
        return len(ins) == len(outs) and all(_droppable(n, h) for n, h in outs) and all(_is_one(x.dims[i]) for i in ins)

    squeeze = [i for ins, outs in groups for i in ins if _is_one(x.dims[i]) and not stays(ins, outs)]
    cur = _squeeze(x, squeeze)
    out_dims: list[Dim | tuple[int]] = []  # tuples stand for new size-1 axes, added at the end
    for ins, outs in groups:
        if stays(ins, outs):
            out_dims += [x.dims[i] for i in ins]
            continue
        core_in = [x.dims[i] for i in ins if i not in squeeze]
        core_out = [(j, n, h) for j, (n, h) in enumerate(outs) if not _droppable(n, h)]
        if bool(core_in) != bool(core_out):
            what = core_in[0].description if core_in else "a new axis"
            raise ValueError(f"a view that turns {what} into size-1 axes (its size is 1 only in this recording) "
                             f"is not supported")
        if len(core_in) > 1:
            pos = cur.dims.index(core_in[0])
            cur = _merge(cur, pos, pos + len(core_in))
            merged = cur.dims[pos]
        else:
            merged = core_in[0] if core_in else None
        group_dims: list[Any] = [(1,)] * len(outs)
        if len(core_out) > 1:
            new = _split_dims(merged, [n for _, n, _ in core_out], [h for _, _, h in core_out])
            cur = _split(cur, cur.dims.index(merged), new)
            for (j, _, _), d in zip(core_out, new):
                group_dims[j] = d
        elif core_out:
            group_dims[core_out[0][0]] = merged
        out_dims += group_dims
    final = []
    for d in out_dims:
        if isinstance(d, tuple):
            d = _new_dim(1, "one")
            cur = _insert(cur, len(cur.dims), d)
        final.append(d)
    return _view(cur, final) if cur is not x else _view(x, final)


def _keep(x: Tensor, axis: int) -> tuple[list[int], list[tuple[int, Any]]]:
    """The group of a view that keeps ``axis`` as it is."""
    return [axis], [(dim_value(x.dims[axis]), None if _is_one(x.dims[axis]) else x.dims[axis])]


def _entry(size: Any) -> tuple[int, Any]:
    hint = size.dim if isinstance(size, SizeValue) else None
    return int(size), hint


def reshape_to(x: Tensor, shape: Sequence[Any]) -> Tensor:
    """``x.view(shape)``: input and output axes grouped by equal products of their recorded sizes."""
    sizes_in = _sizes(x)
    total = functools.reduce(operator.mul, sizes_in, 1)
    entries = [_entry(s) for s in shape]
    if sum(n == -1 for n, _ in entries) > 1:
        raise ValueError(f"view with more than one -1 in {list(shape)}")
    known = functools.reduce(operator.mul, [n for n, _ in entries if n != -1], 1)
    if known == 0 or total == 0:
        raise ValueError("views of empty tensors are not supported")
    entries = [(total // known, REST) if n == -1 else (n, h) for n, h in entries]
    if functools.reduce(operator.mul, [n for n, _ in entries], 1) != total:
        raise ValueError(f"shape {list(shape)} is invalid for a tensor of shape {sizes_in}")
    groups, i, j = [], 0, 0
    while i < len(sizes_in) or j < len(entries):
        ins, outs, p_in, p_out = [], [], 1, 1
        if i < len(sizes_in):
            ins.append(i)
            p_in = sizes_in[i]
            i += 1
        if j < len(entries):
            outs.append(entries[j])
            p_out = entries[j][0]
            j += 1
        while p_in != p_out:
            if p_in < p_out and i < len(sizes_in):
                ins.append(i)
                p_in *= sizes_in[i]
                i += 1
            elif j < len(entries):
                outs.append(entries[j])
                p_out *= entries[j][0]
                j += 1
            else:
                raise ValueError(f"cannot group shape {sizes_in} into {list(shape)}")
        groups.append((ins, outs))
    if len(groups) == x.ndim and all(len(ins) == 1 and len(outs) == 1 for ins, outs in groups):
        return _view(x, x.dims)  # the same shape
    return _regroup(x, groups)


@op("Tensor.view")
def view(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        raise ValueError(f"view as another dtype ({shape[0]!r}) is not supported")
    return reshape_to(input, _shape_arg(shape))


@op("Tensor.reshape")
def reshape_method(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    return reshape_to(input, _shape_arg(shape))


@op("torch.reshape")
def reshape(input: Tensor, shape: Sequence[Any]) -> Tensor:  # noqa: A002
    return reshape_to(input, list(shape))


@op("Tensor.flatten", "torch.flatten")
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    if input.ndim == 0:
        return reshape_to(input, [1])
    start, end = _axis(start_dim, input.ndim), _axis(end_dim, input.ndim)
    if start > end:
        raise ValueError("flatten with start_dim after end_dim")
    if end == start:
        return _view(input, input.dims)
    merged = functools.reduce(operator.mul, _sizes(input)[start:end + 1], 1)
    groups = [_keep(input, i) for i in range(input.ndim)]
    groups[start:end + 1] = [(list(range(start, end + 1)), [(merged, REST)])]
    return _regroup(input, groups)


@op("Tensor.unflatten", "torch.unflatten")
def unflatten(input: Tensor, dim: int, sizes: Sequence[Any]) -> Tensor:  # noqa: A002
    axis = _axis(dim, input.ndim)
    size = dim_value(input.dims[axis])
    entries = [_entry(s) for s in sizes]
    known = functools.reduce(operator.mul, [n for n, _ in entries if n != -1], 1)
    entries = [(size // known, REST) if n == -1 else (n, h) for n, h in entries]
    if functools.reduce(operator.mul, [n for n, _ in entries], 1) != size:
        raise ValueError(f"unflatten sizes {list(sizes)} do not multiply to {size}")
    groups = [_keep(input, i) for i in range(input.ndim)]
    groups[axis] = ([axis], entries)
    return _regroup(input, groups)


# -- reorders ------------------------------------------------------------------------

@op("Tensor.transpose", "torch.transpose", "Tensor.swapaxes", "torch.swapaxes", "Tensor.swapdims",
    "torch.swapdims")
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    dims = list(input.dims)
    a, b = _axis(dim0, input.ndim), _axis(dim1, input.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return _view(input, dims)


@op("Tensor.t", "torch.t")
def t(input: Tensor) -> Tensor:  # noqa: A002
    if input.ndim > 2:
        raise ValueError("t() expects a tensor with at most 2 dims")
    return _view(input, input.dims[::-1])


@op("Tensor.T")
def T(input: Tensor) -> Tensor:  # noqa: A002, N802  (torch's name)
    """The property ``x.T``: all axes reversed (torch deprecates it for ndim != 2 but still does it)."""
    return _view(input, input.dims[::-1])


@op("Tensor.mT")
def mT(input: Tensor) -> Tensor:  # noqa: A002, N802  (torch's name)
    """The property ``x.mT``: the last two axes swapped."""
    if input.ndim < 2:
        raise ValueError(f"mT of a {input.ndim}-d tensor is not supported (torch refuses it too)")
    return transpose(input, -2, -1)


@op("Tensor.permute")
def permute_method(input: Tensor, *dims: Any) -> Tensor:  # noqa: A002
    return permute(input, _shape_arg(dims))


@op("torch.permute")
def permute(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    order = [_axis(d, input.ndim) for d in dims]
    if sorted(order) != list(range(input.ndim)):
        raise ValueError(f"permute dims {list(dims)} are not a permutation of {input.ndim} axes")
    return _view(input, [input.dims[i] for i in order])


@op("Tensor.movedim", "torch.movedim", "Tensor.moveaxis", "torch.moveaxis")
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:  # noqa: A002
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src, dst = [_axis(s, input.ndim) for s in src], [_axis(d, input.ndim) for d in dst]
    if len(src) != len(dst):
        raise ValueError("movedim needs as many destinations as sources")
    rest = iter(d for i, d in enumerate(input.dims) if i not in src)
    placed = dict(zip(dst, (input.dims[s] for s in src)))
    return _view(input, [placed[i] if i in placed else next(rest) for i in range(input.ndim)])


@op("Tensor.contiguous")
def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:  # noqa: A002
    return input


# -- size-1 axes and broadcasting --------------------------------------------------------

@op("Tensor.unsqueeze", "torch.unsqueeze")
def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return _insert(input, _axis(dim, input.ndim + 1), _new_dim(1, "unsqueeze"))


@op("Tensor.squeeze", "torch.squeeze")
def squeeze(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        axes = list(range(input.ndim))
    else:
        axes = [_axis(d, input.ndim) for d in ([dim] if isinstance(dim, int) else dim)]
    sizes = _sizes(input)
    for a in axes:
        if sizes[a] == 1 and not _is_one(input.dims[a]):
            raise ValueError(f"squeezing axis {a} ({input.dims[a].description}), which has size 1 only in this "
                             f"recording, is not supported")
    return _squeeze(input, [a for a in axes if _is_one(input.dims[a])])


@op("Tensor.expand")
def expand(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """Size-1 axes repeated to a size (static, or dynamic when the size comes from ``x.shape``)."""
    sizes = _shape_arg(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ValueError(f"expand to {list(sizes)} has fewer axes than the tensor")
    current = _sizes(input)
    targets: list[Dim] = []
    squeeze_axes = []
    for i, s in enumerate(sizes):
        n, hint = _entry(s)
        if i >= lead:
            d = input.dims[i - lead]
            if n == -1 or (n == current[i - lead] and (hint is None or hint == d or not _is_one(d))):
                targets.append(d)
                continue
            if not _is_one(d):
                raise ValueError(f"expand of axis {i - lead} of size {current[i - lead]} to {n} is impossible")
            squeeze_axes.append(i - lead)
        elif n == -1:
            raise ValueError("expand with -1 for a new axis")
        targets.append(hint if hint is not None else _new_dim(n, f"expand{i}"))
    out = _squeeze(input, squeeze_axes)
    for pos, d in enumerate(targets):
        if d not in out.dims:
            out = _insert(out, pos, d)
    return _view(out, targets) if out is not input else _view(input, targets)


@op("Tensor.expand_as")
def expand_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return expand(input, *[SizeValue(n, d) if d.dimension is None or d.is_batch_dim() else n
                           for n, d in zip(_sizes(other), other.dims)])


# -- joining ---------------------------------------------------------------------------------

def _aligned(tensors: Sequence[Tensor], skip: int | None) -> list[Tensor]:
    """The tensors with each axis (but ``skip``) the same dim, as torch lines them up by position."""
    ndim = tensors[0].ndim
    if any(t.ndim != ndim for t in tensors):
        raise ValueError(f"tensors of different ranks {[t.ndim for t in tensors]}")
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
    axis = _axis(dim, tensors[0].ndim)
    if any(t.dims[axis].is_batch_dim() for t in tensors):
        raise ValueError("cat along the batch axis is not supported")
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


@op("torch.stack")
def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    tensors = _aligned(list(tensors), None)
    axis = _axis(dim, tensors[0].ndim + 1)
    new = _new_dim(len(tensors), "stack")
    dims = [*tensors[0].dims[:axis], new, *tensors[0].dims[axis:]]
    return make({"class": "stack", "from": tensors, "out_spatial_dim": new}, dims, dtype=tensors[0].dtype)


# -- indexing and slicing ----------------------------------------------------------------------

def _eval_index(x: Tensor, axis: int, item: Any, out_dim: Dim | None) -> Tensor:
    """``x[..., item, ...]`` on one axis by TF indexing (for positions counted from the padded end)."""
    raw = list(x.layer.output.dims)
    r = raw.index(x.dims[axis])
    text = f"{item.start}:{'' if item.stop is None else item.stop}:{item.step or 1}" if isinstance(item, slice) \
        else str(int(item))
    out_raw = raw[:r] + ([out_dim] if out_dim is not None else []) + raw[r + 1:]
    static = [None if d.is_batch_dim() else d.dimension for d in out_raw]  # TF cannot infer a size it cut off
    expr = f"tf.ensure_shape(source(0, auto_convert=False)[{', '.join([':'] * r + [text])}], {static})"

    dims = [*x.dims[:axis], *([out_dim] if out_dim is not None else []), *x.dims[axis + 1:]]
    return make({"class": "eval", "from": x, "eval": expr, "out_type": {"dim_tags": out_raw, "dtype": x.dtype.name}},
                dims, dtype=x.dtype)


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
        raise ValueError(f"a position on the dynamic axis {d.description} computed from another size is not "
                         f"supported")
    return off or None


def slice_axis(x: Tensor, axis: int, item: slice) -> Tensor:
    step = 1 if item.step is None else int(item.step)
    if step <= 0:
        raise ValueError(f"slicing with step {step} is not supported (torch needs positive steps)")
    d = x.dims[axis]
    n = dim_value(d)
    if d.is_batch_dim() or d.dimension is not None:
        if any(isinstance(v, SizeValue) and v.dim.dimension is None and v.dim != d for v in (item.start, item.stop)):
            raise ValueError("slicing at a dynamic size is not supported")
        start, stop, step = slice(item.start, item.stop, step).indices(n)
        length = len(range(start, stop, step))
        if length == n:
            return x
        if d.is_batch_dim():
            raise ValueError("slicing the batch axis is not supported")
        if length == 0:
            raise ValueError("slices with no elements are not supported")
        out_dim = _new_dim(length, "slice")
        return make({"class": "slice", "from": x, "axis": d, "slice_start": start, "slice_end": stop,
                     "slice_step": step, "out_dim": out_dim}, [*x.dims[:axis], out_dim, *x.dims[axis + 1:]],
                    dtype=x.dtype)
    if isinstance(item.start, SizeValue) and _from_end(d, item.start) is None:
        raise ValueError("slices with no elements are not supported")
    start, stop = _from_end(d, item.start), _from_end(d, item.stop)
    if start is not None and start <= -n or stop is not None and stop >= n:
        ctx().note_dynamic_branch(f"slice {item} of {d.description} (length {n}) assumes the recorded length")
    start = None if start is None or start == 0 or start <= -n else int(start)
    stop = None if stop is None or stop >= n else int(stop)
    if start is None and stop is None and step == 1:
        return x
    if start is not None and start >= n or stop is not None and 0 <= stop <= (start or 0):
        raise ValueError("slices with no elements are not supported")
    if start is not None and start < 0:  # counted from the padded end: a static number of frames
        if stop is not None and stop >= 0:
            raise ValueError(f"slice {item} of the dynamic axis {d.description} (from its end to a position from "
                             f"its start) is not supported")
        length = len(range(n + start, n + (stop or 0), step))
        if length <= 0:
            raise ValueError("slices with no elements are not supported")
        return _eval_index(x, axis, slice(start, stop, step), _new_dim(length, "slice"))
    if stop is not None and stop >= 0:
        ctx().note_dynamic_branch(f"slice {item} of {d.description} needs a length of at least {stop}")
    out_dim = d.sub_left(start) if start else d
    if stop is not None:
        out_dim = _new_dim(stop - (start or 0), "slice") if stop >= 0 else out_dim - (-stop)
    if step != 1:
        out_dim = out_dim.ceildiv_right(step)
    return make({"class": "slice", "from": x, "axis": d, "slice_start": start, "slice_end": stop,
                 "slice_step": step if step != 1 else None, "out_dim": out_dim},
                [*x.dims[:axis], out_dim, *x.dims[axis + 1:]], dtype=x.dtype)


def select_axis(x: Tensor, axis: int, index: int) -> Tensor:
    d = x.dims[axis]
    if d.is_batch_dim():
        raise ValueError("indexing the batch axis is not supported")
    n = dim_value(d)
    if isinstance(index, SizeValue) and (d.dimension is None or index.dim.dimension is None):
        if d.dimension is not None or _from_end(d, index) is None:
            raise ValueError(f"indexing axis {axis} at a dynamic size is not supported")
        index = _from_end(d, index)
    index = int(index)
    if not -n <= index < n:
        raise ValueError(f"index {index} is out of range for axis {axis} of size {n}")
    if index < 0 and d.dimension is None:
        return _eval_index(x, axis, index, None)
    return make({"class": "gather", "from": x, "axis": d, "position": index % n},
                [*x.dims[:axis], *x.dims[axis + 1:]], dtype=x.dtype)


@op("Tensor.__getitem__")
def getitem(input: Tensor, index: Any) -> Tensor:  # noqa: A002
    items = list(index) if isinstance(index, tuple) else [index]
    for item in items:
        if not (item is None or item is Ellipsis or isinstance(item, (numbers.Integral, slice))) \
                or isinstance(item, (bool, Tensor)):
            raise ValueError(f"indexing with {type(item).__name__} is not supported (only ints, slices, None, ...)")
    if items.count(Ellipsis) > 1:
        raise ValueError("an index with more than one '...'")
    used = sum(1 for item in items if item is not None and item is not Ellipsis)
    if used > input.ndim:
        raise ValueError(f"too many indices for a {input.ndim}-d tensor")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at:at + 1] = [slice(None)] * (input.ndim - used)
    out, pos = input, 0
    for item in items:
        if item is None:
            out = _insert(out, pos, _new_dim(1, "none"))
            pos += 1
        elif isinstance(item, slice):
            out = slice_axis(out, pos, item)
            pos += 1
        else:
            out = select_axis(out, pos, item)
    return _view(out, out.dims) if out is input else out


@op("Tensor.select", "torch.select")
def select(input: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    return select_axis(input, _axis(dim, input.ndim), index)


@op("Tensor.narrow", "torch.narrow")
def narrow(input: Tensor, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    return slice_axis(input, _axis(dim, input.ndim), slice(start, start + length))


# -- splitting --------------------------------------------------------------------------------

def _pieces(x: Tensor, axis: int, sizes: list[Any]) -> tuple[Tensor, ...]:
    d = x.dims[axis]
    if d.is_batch_dim():
        raise ValueError("splitting the batch axis is not supported")
    out, start = [], 0
    for i, size in enumerate(sizes):
        last = i == len(sizes) - 1
        if d.dimension is None and not last and isinstance(size, SizeValue):
            raise ValueError(f"split of the dynamic axis {d.description} is supported with static sizes before "
                             f"the last piece only")
        out.append(slice_axis(x, axis, slice(start, None if last and d.dimension is None else start + int(size))))
        start += int(size)
    return tuple(out)


@op("Tensor.split", "torch.split")
def split(tensor: Tensor, split_size_or_sections: Any = None, dim: int = 0, split_size: Any = None
          ) -> tuple[Tensor, ...]:
    if split_size_or_sections is None:
        split_size_or_sections = split_size
    axis = _axis(dim, tensor.ndim)
    n = dim_value(tensor.dims[axis])
    if isinstance(split_size_or_sections, int):
        if tensor.dims[axis].dimension is None:
            raise ValueError("split into pieces of one size along a dynamic axis is not supported (the number of "
                             "pieces depends on its length); give the sizes")
        size = int(split_size_or_sections)
        sizes = [min(size, n - s) for s in range(0, n, size)]
    else:
        sizes = list(split_size_or_sections)
        if sum(int(s) for s in sizes) != n:
            raise ValueError(f"split sizes {sizes} do not sum to {n}")
    return _pieces(tensor, axis, sizes)


@op("Tensor.chunk", "torch.chunk")
def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    axis = _axis(dim, input.ndim)
    if input.dims[axis].dimension is None:
        raise ValueError("chunk along a dynamic axis is not supported (the pieces depend on its length)")
    n = dim_value(input.dims[axis])
    size = -(-n // int(chunks))
    return _pieces(input, axis, [min(size, n - s) for s in range(0, n, size)])


@op("Tensor.unbind", "torch.unbind")
def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    axis = _axis(dim, input.ndim)
    if input.dims[axis].dimension is None:
        raise ValueError("unbind along a dynamic axis is not supported")
    return tuple(select_axis(input, axis, i) for i in range(dim_value(input.dims[axis])))


@op("Tensor.__iter__")
def iterate(input: Tensor) -> tuple[Tensor, ...]:  # noqa: A002
    """Iterating a tensor (``q, k, v = x``): its slices along axis 0, as torch's ``x.unbind(0)``."""
    if input.ndim == 0:
        raise ValueError("iterating a 0-d tensor is not supported (torch refuses it too)")
    return unbind(input, 0)
