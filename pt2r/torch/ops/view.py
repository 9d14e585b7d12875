"""View ops: axis reorders, views and reshapes, squeeze/unsqueeze/expand.

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
batch dim holding several virtual dims, whose merge order we keep
(`build.BATCH_MERGES`, `build.merge_axes`) so the inverse view can split it again.
"""

from __future__ import annotations

import functools
import operator
from typing import Any, Sequence

from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._size import SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import (
    as_view, broadcast, ctx, dim_value, insert, make, merge_axes, merged_batch, new_dim, norm_axis, shape_arg,
    split_axis)
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.registry import module, op


# -- sizes -------------------------------------------------------------------------

def _sizes(x: Tensor) -> list[int]:
    return [dim_value(d) for d in x.dims]


def _is_one(d: Dim) -> bool:
    """A static axis of size 1 (which views may drop or add); dynamic axes are never that."""
    return d.dimension == 1 and not d.is_batch_dim()


# -- single layers ---------------------------------------------------------------

def _squeeze(x: Tensor, axes: list[int]) -> Tensor:
    if not axes:
        return x
    keep = [d for i, d in enumerate(x.dims) if i not in axes]
    return make({"class": "squeeze", "from": x, "axis": [x.dims[i] for i in axes]}, keep, dtype=x.dtype)


REST = "rest"  # a -1 in a view's shape


def _droppable(n: int, hint: Any) -> bool:
    """A size-1 entry of a view's shape that is no axis of the input (a plain 1, or a -1 that is 1)."""
    return n == 1 and (hint is None or isinstance(hint, str))


def _split_dims(d: Dim, sizes: list[int], hints: list[Any]) -> list[Dim]:
    """The dims that axis ``d`` splits into, of the recorded ``sizes``; ``hints`` are the dims the
    model's sizes carry (or `REST` for -1, or None)."""
    merged = merged_batch(d) if d.is_batch_dim() else None
    if d.is_batch_dim():
        if merged is None or [dim_value(m) for m in merged] != sizes:
            raise UnsupportedOpError(f"splitting the batch axis into sizes {sizes} is not supported (only undoing a "
                                     "view that merged it with other axes)")
        return merged
    op_ = d.derived_from_op
    if op_ is not None and op_.kind == "mul" and [dim_value(m) for m in op_.inputs] == sizes:
        return list(op_.inputs)  # undoing a merge: the original dims again
    if d.dimension is not None:
        return [new_dim(n, f"split{i}") for i, n in enumerate(sizes)]
    rest = _rest_of_product(d, sizes, hints)
    if rest is not None:
        return rest
    dynamic = [i for i, h in enumerate(hints) if isinstance(h, Dim) and h.dimension is None]
    if len(dynamic) > 1 and all(isinstance(h, Dim) for h in hints):
        return list(hints)  # every size given by a dim (``x.view(b, t2, t1)``, a relative shift): their padded sizes
    if not dynamic:
        dynamic = [i for i, h in enumerate(hints) if isinstance(h, str)]
    if len(dynamic) != 1:
        raise UnsupportedOpError(f"splitting the dynamic axis {d.description} into sizes {sizes} is not supported: "
                                 "exactly one of them must be dynamic (a size computed from x.shape, or -1)")
    k = dynamic[0]
    static = functools.reduce(operator.mul, [n for i, n in enumerate(sizes) if i != k], 1)
    rest = hints[k] if isinstance(hints[k], Dim) else (d // static if static != 1 else d)
    return [rest if i == k else new_dim(n, f"split{i}") for i, n in enumerate(sizes)]


def _rest_of_product(d: Dim, sizes: list[int], hints: list[Any]) -> list[Dim] | None:
    """Where ``d`` is a product of dims and the split names some of them and a -1 (``x.view(b, h, -1, t)``
    of (t, 2t) merged, a relative shift): the -1 is the product of the other factors."""
    op_ = d.derived_from_op
    rest = [i for i, h in enumerate(hints) if isinstance(h, str)]
    if op_ is None or op_.kind != "mul" or len(rest) != 1:
        return None
    factors = list(op_.inputs)
    for i, h in enumerate(hints):
        if i != rest[0]:
            if not isinstance(h, Dim) or h not in factors:
                return None
            factors.remove(h)
    if not factors or functools.reduce(operator.mul, [dim_value(f) for f in factors], 1) != sizes[rest[0]]:
        return None
    return [functools.reduce(operator.mul, factors) if i == rest[0] else h for i, h in enumerate(hints)]


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
        parts = merged_batch(core_in[0]) if len(core_in) == 1 and core_in[0].is_batch_dim() else None
        if parts and [n for n, _ in outs] == [dim_value(m) for m in parts]:  # undoing the merge, batch 1 included
            core_out = [(j, n, h) for j, (n, h) in enumerate(outs)]
        if bool(core_in) != bool(core_out):
            what = core_in[0].description if core_in else "a new axis"
            raise UnsupportedOpError(f"a view that turns {what} into size-1 axes (its size is 1 only in this "
                                     "recording) is not supported")
        if len(core_in) > 1:
            pos = cur.dims.index(core_in[0])
            cur = merge_axes(cur, pos, pos + len(core_in))
            merged = cur.dims[pos]
        else:
            merged = core_in[0] if core_in else None
        group_dims: list[Any] = [(1,)] * len(outs)
        if len(core_out) > 1:
            new = _split_dims(merged, [n for _, n, _ in core_out], [h for _, _, h in core_out])
            cur = split_axis(cur, cur.dims.index(merged), new)
            for (j, _, _), d in zip(core_out, new):
                group_dims[j] = d
        elif core_out:
            group_dims[core_out[0][0]] = merged
        out_dims += group_dims
    final = []
    for d in out_dims:
        if isinstance(d, tuple):
            d = new_dim(1, "one")
            cur = insert(cur, len(cur.dims), d)
        final.append(d)
    return as_view(cur, final) if cur is not x else as_view(x, final)


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
        raise ModelError(f"view with more than one -1 in {list(shape)}")
    known = functools.reduce(operator.mul, [n for n, _ in entries if n != -1], 1)
    if known == 0 or total == 0:
        raise UnsupportedOpError("views of empty tensors are not supported")
    entries = [(total // known, REST) if n == -1 else (n, h) for n, h in entries]
    if functools.reduce(operator.mul, [n for n, _ in entries], 1) != total:
        raise ModelError(f"shape {list(shape)} is invalid for a tensor of shape {sizes_in}")
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
                raise UnsupportedOpError(f"cannot group shape {sizes_in} into {list(shape)}")
        groups.append((ins, outs))
    if len(groups) == x.ndim and all(len(ins) == 1 and len(outs) == 1 for ins, outs in groups):
        return as_view(x, x.dims)  # the same shape
    return _regroup(x, groups)


@op("Tensor.view")
def view(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
        raise UnsupportedOpError(f"view as another dtype ({shape[0]!r}) is not supported")
    return reshape_to(input, shape_arg(shape))


@op("Tensor.reshape")
def reshape_method(input: Tensor, *shape: Any) -> Tensor:  # noqa: A002
    return reshape_to(input, shape_arg(shape))


@op("torch.reshape")
def reshape(input: Tensor, shape: Sequence[Any]) -> Tensor:  # noqa: A002
    return reshape_to(input, list(shape))


@op("Tensor.view_as", "Tensor.reshape_as")
def view_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return reshape_to(input, list(other.shape))


@op("Tensor.flatten", "torch.flatten")
def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    if input.ndim == 0:
        return reshape_to(input, [1])
    start, end = norm_axis(start_dim, input.ndim), norm_axis(end_dim, input.ndim)
    if start > end:
        raise ModelError("flatten with start_dim after end_dim")
    if end == start:
        return as_view(input, input.dims)
    merged = functools.reduce(operator.mul, _sizes(input)[start:end + 1], 1)
    groups = [_keep(input, i) for i in range(input.ndim)]
    groups[start:end + 1] = [(list(range(start, end + 1)), [(merged, REST)])]
    return _regroup(input, groups)


@op("Tensor.unflatten", "torch.unflatten")
def unflatten(input: Tensor, dim: int, sizes: Sequence[Any]) -> Tensor:  # noqa: A002
    axis = norm_axis(dim, input.ndim)
    size = dim_value(input.dims[axis])
    entries = [_entry(s) for s in sizes]
    known = functools.reduce(operator.mul, [n for n, _ in entries if n != -1], 1)
    entries = [(size // known, REST) if n == -1 else (n, h) for n, h in entries]
    if functools.reduce(operator.mul, [n for n, _ in entries], 1) != size:
        raise ModelError(f"unflatten sizes {list(sizes)} do not multiply to {size}")
    groups = [_keep(input, i) for i in range(input.ndim)]
    groups[axis] = ([axis], entries)
    return _regroup(input, groups)


# -- reorders ------------------------------------------------------------------------

@op("Tensor.transpose", "torch.transpose", "Tensor.swapaxes", "torch.swapaxes", "Tensor.swapdims",
    "torch.swapdims")
def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    dims = list(input.dims)
    a, b = norm_axis(dim0, input.ndim), norm_axis(dim1, input.ndim)
    dims[a], dims[b] = dims[b], dims[a]
    return as_view(input, dims)


@op("Tensor.t", "torch.t")
def t(input: Tensor) -> Tensor:  # noqa: A002
    if input.ndim > 2:
        raise ModelError("t() expects a tensor with at most 2 dims")
    return as_view(input, input.dims[::-1])


@op("Tensor.T")
def T(input: Tensor) -> Tensor:  # noqa: A002, N802  (torch's name)
    """The property ``x.T``: all axes reversed (torch deprecates it for ndim != 2 but still does it)."""
    return as_view(input, input.dims[::-1])


@op("Tensor.mT")
def mT(input: Tensor) -> Tensor:  # noqa: A002, N802  (torch's name)
    """The property ``x.mT``: the last two axes swapped."""
    if input.ndim < 2:
        raise ModelError(f"mT of a {input.ndim}-d tensor is not supported (torch refuses it too)")
    return transpose(input, -2, -1)


@op("Tensor.permute")
def permute_method(input: Tensor, *dims: Any) -> Tensor:  # noqa: A002
    return permute(input, shape_arg(dims))


@op("torch.permute")
def permute(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    order = [norm_axis(d, input.ndim) for d in dims]
    if sorted(order) != list(range(input.ndim)):
        raise ModelError(f"permute dims {list(dims)} are not a permutation of {input.ndim} axes")
    return as_view(input, [input.dims[i] for i in order])


@op("Tensor.movedim", "torch.movedim", "Tensor.moveaxis", "torch.moveaxis")
def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:  # noqa: A002
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src, dst = [norm_axis(s, input.ndim) for s in src], [norm_axis(d, input.ndim) for d in dst]
    if len(src) != len(dst):
        raise ModelError("movedim needs as many destinations as sources")
    rest = iter(d for i, d in enumerate(input.dims) if i not in src)
    placed = dict(zip(dst, (input.dims[s] for s in src)))
    return as_view(input, [placed[i] if i in placed else next(rest) for i in range(input.ndim)])


@op("Tensor.contiguous")
def contiguous(input: Tensor, memory_format: Any = None) -> Tensor:  # noqa: A002
    return input


# -- size-1 axes and broadcasting --------------------------------------------------------

@op("Tensor.unsqueeze", "torch.unsqueeze")
def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return insert(input, norm_axis(dim, input.ndim + 1), new_dim(1, "unsqueeze")).sizes_from(input)


@op("Tensor.squeeze", "torch.squeeze")
def squeeze(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    if dim is None:
        axes = list(range(input.ndim))
    else:
        axes = [norm_axis(d, input.ndim) for d in ([dim] if isinstance(dim, int) else dim)]
    sizes = _sizes(input)
    for a in axes:
        if sizes[a] == 1 and not _is_one(input.dims[a]):
            raise UnsupportedOpError(f"squeezing axis {a} ({input.dims[a].description}), which has size 1 only in this "
                                     f"recording, is not supported")
    return _squeeze(input, [a for a in axes if _is_one(input.dims[a])])


@op("Tensor.expand")
def expand(input: Tensor, *sizes: Any) -> Tensor:  # noqa: A002
    """Size-1 axes repeated to a size (static, or dynamic when the size comes from ``x.shape``)."""
    sizes = shape_arg(sizes)
    lead = len(sizes) - input.ndim
    if lead < 0:
        raise ModelError(f"expand to {list(sizes)} has fewer axes than the tensor")
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
                raise ModelError(f"expand of axis {i - lead} of size {current[i - lead]} to {n} is impossible")
            squeeze_axes.append(i - lead)
        elif n == -1:
            raise ModelError("expand with -1 for a new axis")
        targets.append(hint if hint is not None else new_dim(n, f"expand{i}"))
    out = _squeeze(input, squeeze_axes)
    for pos, d in enumerate(targets):
        if d not in out.dims:
            out = insert(out, pos, d)
            targets[pos] = out.dims[pos]  # (a merged batch dim: another one, holding the same)
    return (as_view(out, targets) if out is not input else as_view(input, targets)).sizes_from(input)


@op("torch.broadcast_tensors")
def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Each tensor expanded to the shape they broadcast to (torch's rules: `build.broadcast`)."""
    _, dims = broadcast(*tensors)
    sizes = [SizeValue(dim_value(d), d) if d.dimension is None or d.is_batch_dim() else d.dimension for d in dims]
    return tuple(expand(t, *sizes) for t in tensors)


@op("torch.meshgrid")
def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids of 1-d tensors: each one along its own axis, expanded over the others'
    (``indexing="xy"`` swaps the first two axes; torch's default is "ij")."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in (None, "ij", "xy"):
        raise ModelError(f"torch.meshgrid: indexing must be one of 'xy' or 'ij', but received: {indexing}")
    if any(t.ndim > 1 for t in tensors):
        raise ModelError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list")
    axes = [t if t.ndim == 1 else unsqueeze(t, 0) for t in tensors]
    order = list(range(len(axes)))
    if indexing == "xy" and len(axes) > 1:
        order[0], order[1] = 1, 0
    sizes = [t.shape[0] for t in axes]
    grid_sizes = [sizes[i] for i in order]
    grids = []
    for i, t in enumerate(axes):
        pos = order.index(i)
        shaped = t
        for _ in range(pos):
            shaped = unsqueeze(shaped, 0)
        for _ in range(len(axes) - pos - 1):
            shaped = unsqueeze(shaped, -1)
        grids.append(expand(shaped, *grid_sizes))
    return tuple(grids)


def _at_least(n: int, tensors: tuple) -> Any:
    """``atleast_<n>d``: size-1 axes added (0-d: all of them; 1-d: in front; 2-d to 3-d: behind)."""
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    items = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    out = []
    for t in items:
        while t.ndim < n:
            t = unsqueeze(t, 0 if t.ndim < 2 else t.ndim)
        out.append(t)
    return out[0] if single else tuple(out)


def _at_least_builder(n: int) -> Any:
    def at_least(*tensors: Any) -> Any:
        return _at_least(n, tensors)
    at_least.__name__ = f"atleast_{n}d"
    return at_least


for _n in (1, 2, 3):
    op(f"torch.atleast_{_n}d")(_at_least_builder(_n))


@op("Tensor.broadcast_to", "torch.broadcast_to")
def broadcast_to(input: Tensor, size: Sequence[Any]) -> Tensor:  # noqa: A002
    """``expand`` to ``size`` (torch's broadcast_to is expand)."""
    return expand(input, *size)


@op("Tensor.expand_as")
def expand_as(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return expand(input, *[SizeValue(n, d) if d.dimension is None or d.is_batch_dim() else n
                           for n, d in zip(_sizes(other), other.dims)])


@op("Tensor.unfold")
def unfold_windows(input: Tensor, dimension: int, size: int, step: int) -> Tensor:  # noqa: A002
    """The windows of ``size`` every ``step`` along ``dimension``, which becomes the windows' axis; the
    window a new last axis (RETURNN's ``window`` layer, ``valid`` padding: frames of a signal)."""
    from returnn.tf.layers.basic import ConvLayer

    axis = norm_axis(dimension, input.ndim)
    d = input.dims[axis]
    if d.is_batch_dim():
        raise UnsupportedOpError("unfold along the batch axis is not supported")
    size, step = int(size), int(step)
    if size > dim_value(d) or step < 1:
        raise ModelError(f"unfold: size {size} and step {step} do not fit the axis of size {dim_value(d)}")
    window = Dim(size, name=f"{ctx().layer_name_for()}:size")
    frames = ConvLayer.calc_out_dim(in_dim=d, filter_size=size, stride=step, padding="valid")
    ctx().dim_values.setdefault(frames, (dim_value(d) - size) // step + 1)
    return make({"class": "window", "from": input, "axis": d, "window_dim": window, "padding": "valid",
                 "stride": step, "out_spatial_dim": frames},
                [*input.dims[:axis], frames, *input.dims[axis + 1:], window], dtype=input.dtype)


@module("torch.nn.Flatten")
class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return flatten(input, self.start_dim, self.end_dim)


@module("torch.nn.Unflatten")
class Unflatten(Module):
    def __init__(self, dim: int, unflattened_size: Sequence[int]):
        super().__init__()
        self.dim, self.unflattened_size = dim, unflattened_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return unflatten(input, self.dim, self.unflattened_size)


@module("torch.nn.Identity")
class Identity(Module):
    """Its input, as it is (torch's takes and ignores any constructor arguments)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__()

    def forward(self, input: Any) -> Any:  # noqa: A002
        return input
