"""Assignment and copies: ``x[index] = value``, ``clone``, ``detach``, ``copy_``; ``scatter`` (and its
adding form), ``index_put_`` and ``masked_scatter``.

An assignment into a tensor computed in the net builds the tensor it leaves
(``tf.where`` of a mask of the assigned positions, and of the value: a number, or a
tensor laid out along ``x``'s axes and padded to its shape); the replay context
then rebinds ``x`` to it, as for every in-place op. (Assignments into constants,
such as a filter built at init, are folded from the trace before they get here.)
"""

from __future__ import annotations

import numbers
from typing import Any

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._size import SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.dims import canonical
from pt2r.torch.ops.build import (
    advanced_setitem, cast, compute, ctx, dim_value, eval_layer, is_advanced, literal, norm_axis, note_fixed_position,
    raw_axes, raw_eval, retag)
from pt2r.torch.ops.elementwise import masked_fill
from pt2r.torch.ops.registry import op
from pt2r.torch.ops.shape import getitem


@op("Tensor.clone", "torch.clone")
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    """The same values: a tensor of its own, so that in-place ops on it leave ``input`` as it is."""
    return Tensor(input.dims, input.dtype, layer=input.layer).sizes_from(input)


@op("Tensor.detach", "torch.detach")
def detach(input: Tensor) -> Tensor:  # noqa: A002
    """The same values, no gradient through them (which matters when the exported net is trained)."""
    return eval_layer("tf.stop_gradient(source(0))", [input], input.dims, input.dtype).sizes_from(input)


@op("Tensor.copy_")
def copy_(input: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:  # noqa: A002
    """``src``, broadcast to ``input``'s shape, in ``input``'s dtype."""
    if not isinstance(src, Tensor):
        raise UnsupportedOpError(f"copy_ from a {type(src).__name__} is not supported")
    return compute(lambda x, s: f"tf.broadcast_to({s}, tf.shape({x}))", [input, src], [None, input.dtype],
                   input.dtype)


@op("Tensor.__setitem__")
def setitem(x: Tensor, index: Any, value: Any) -> Tensor:
    """``x[index] = value``: ``index`` a bool mask (over ``x``'s leading axes; ``value`` a number or 0-d
    tensor) or ints, slices, ``None`` and ``...`` (``value`` a number or a tensor that broadcasts to
    the indexed part, then the slices without a step)."""
    if not isinstance(value, (Tensor, numbers.Number)):
        raise UnsupportedOpError(f"assigning a {type(value).__name__} into a tensor is not supported")
    if is_advanced(index):
        return advanced_setitem(x, index, value)
    if isinstance(index, Tensor):
        if index.dtype is not _dtype.bool:
            raise UnsupportedOpError("indexing with a tensor that is not a bool mask is not supported")
        if isinstance(value, Tensor) and value.ndim:
            raise UnsupportedOpError("assigning a tensor of more than 0 dims through a bool mask is not supported (the "
                                     "number of masked elements is the data's)")
        mask = index if index.ndim == x.ndim else getitem(index, (Ellipsis,) + (None,) * (x.ndim - index.ndim))
        return masked_fill(x, mask, value)
    items, new_axes = _basic_items(x, index)
    if isinstance(value, Tensor) and value.ndim:
        if new_axes:
            raise UnsupportedOpError("assigning a tensor through an index with None is not supported")
        return _place(x, items, value)
    return masked_fill(x, _positions(x, items), value)


def _basic_items(x: Tensor, index: Any) -> tuple[list[Any], bool]:
    """A basic index as one int or slice per axis of ``x`` (``...`` expanded, trailing axes whole), and
    whether it had ``None`` (a new size-1 axis of the indexed part)."""
    items = list(index) if isinstance(index, tuple) else [index]
    for item in items:
        if not (item is None or item is Ellipsis or isinstance(item, (numbers.Integral, slice))) \
                or isinstance(item, bool):
            raise UnsupportedOpError(f"assigning with an index of {type(item).__name__} is not supported (ints, "
                                     "slices, None, ... and bool masks are)")
    used = [i for i in items if i is not None]
    if Ellipsis in used:
        at = used.index(Ellipsis)
        used[at:at + 1] = [slice(None)] * (x.ndim - len(used) + 1)
    if len(used) > x.ndim:
        raise ModelError(f"too many indices for a {x.ndim}-d tensor")
    return used + [slice(None)] * (x.ndim - len(used)), None in items


def _positions(x: Tensor, items: list[Any]) -> Tensor:
    """A bool tensor of ``x``'s shape: True where the basic index ``items`` points."""
    return raw_eval(x, f"tf.broadcast_to({_mask(x, items)}, tf.shape(x))", x.layer.output.dims, x.dims, _dtype.bool)


def _mask(x: Tensor, items: list[Any]) -> str:
    """TF code of the positions of the raw tensor ``x`` that the basic index ``items`` points to (it
    broadcasts against ``x``)."""
    conditions = []
    for axis, item in enumerate(items):
        if item != slice(None):
            r = _raw_axis(x, axis)
            conditions += _conditions(_position(x, r), f"tf.shape(x)[{r}]", item, x.dims[axis])
    return " & ".join(conditions) if conditions else "tf.constant(True)"


def _place(x: Tensor, items: list[Any], value: Tensor) -> Tensor:
    """``x`` with ``value`` (a tensor broadcasting to the part of ``x`` that ``items`` index) put there:
    ``value`` is laid out along ``x``'s raw axes (size 1 where it has none), broadcast to the part's
    shape, padded to ``x``'s shape by the slices' bounds, and chosen where the index points."""
    if any(isinstance(i, slice) and i.step not in (None, 1) for i in items):
        raise UnsupportedOpError("assigning a tensor into a slice with a step is not supported")
    kept = [a for a, item in enumerate(items) if isinstance(item, slice)]  # the part's axes, in x's torch order
    if value.ndim > len(kept):
        raise UnsupportedOpError(f"assigning a {value.ndim}-d tensor into a {len(kept)}-d part is not supported")
    raw_x = list(x.layer.output.dims)
    target = {j: _raw_axis(x, kept[len(kept) - value.ndim + j]) for j in range(value.ndim)}  # value axis -> x raw
    raw_v = list(value.layer.output.dims)
    order = sorted(range(value.ndim), key=lambda j: target[j])  # value's torch axes by their place in x
    perm = [raw_v.index(value.dims[j]) for j in order]
    at = {target[j]: k for k, j in enumerate(order)}
    shape = ", ".join(f"tf.shape(v)[{at[i]}]" if i in at else "1" for i in range(len(raw_x)))
    sizes, pads = [""] * x.ndim, [""] * x.ndim  # by raw axis
    for axis, item in enumerate(items):
        i = _raw_axis(x, axis)
        start, stop = _span(item, f"tf.shape(x)[{i}]", x.dims[axis])
        sizes[i], pads[i] = f"{stop} - {start}", f"[{start}, tf.shape(x)[{i}] - ({stop})]"
    placed = (f"tf.pad(tf.broadcast_to(tf.reshape(tf.cast(tf.transpose(v, {perm}), x.dtype), tf.stack([{shape}])), "
              f"tf.stack([{', '.join(sizes)}])), tf.stack([{', '.join(pads)}]))")
    expr = (f"(lambda x, v: tf.where({_mask(x, items)}, {placed}, x))(source(0, auto_convert=False), "
            f"source(1, auto_convert=False))")
    return eval_layer(expr, [x, value], x.dims, x.dtype, raw_dims=raw_x)


def _raw_axis(x: Tensor, axis: int) -> int:
    return raw_axes(x, [axis])[0]


def _position(x: Tensor, r: int) -> str:
    """TF positions along raw axis ``r`` of ``x``, shaped to broadcast against it."""
    return f"tf.reshape(tf.range(tf.shape(x)[{r}]), {[-1 if a == r else 1 for a in range(x.ndim)]})"


def _bound(value: Any, size: str, dim: Any) -> str:
    """A slice bound or int index as TF code; one computed from the axis' own length (``x.shape[2] - 3``)
    stays relative to it."""
    if isinstance(value, SizeValue):
        offset = int(value) - ctx().dim_value(dim)
        if canonical(value.dim) != canonical(dim + offset if offset else dim):
            raise UnsupportedOpError("assigning into a slice bounded by another axis' size is not supported")
        return f"({size} + {offset})"
    return f"({size} + {int(value)})" if value < 0 else str(int(value))


def _span(item: Any, size: str, dim: Any) -> tuple[str, str]:
    """(start, stop) of an int or a step-1 slice, as TF code."""
    if not isinstance(item, slice):
        note_fixed_position(dim, item)
        start = _bound(item, size, dim)
        return start, f"{start} + 1"
    start = "0" if item.start is None else _bound(item.start, size, dim)
    stop = size if item.stop is None else f"tf.minimum({_bound(item.stop, size, dim)}, {size})"
    return start, stop


def _conditions(pos: str, size: str, item: Any, dim: Any) -> list[str]:
    """TF conditions on positions ``pos`` along axis ``dim`` (of length ``size``) for an int or slice."""
    if not isinstance(item, slice):
        return [f"tf.equal({pos}, {_bound(item, size, dim)})"]
    step = 1 if item.step is None else int(item.step)
    if step <= 0:
        raise ModelError("a slice step that is not positive is not supported")
    start = 0 if item.start is None else item.start
    conditions = [f"({pos} >= {_bound(start, size, dim)})"] if isinstance(start, SizeValue) or start else []
    if item.stop is not None:
        conditions.append(f"({pos} < {_bound(item.stop, size, dim)})")
    if step != 1:
        conditions.append(f"tf.equal(({pos} - {_bound(start, size, dim)}) % {step}, 0)")
    return conditions


# -- scatter, index_put_, masked_scatter -------------------------------------------------------------

def _scatter(x: Tensor, dim: Any, index: Tensor, src: Any, add: bool, what: str) -> Tensor:
    """``x`` with ``src`` (a tensor of ``index``'s shape, or a number) written (``add``: added) along axis
    ``dim`` at the positions ``index`` holds: each index a one-hot row over that axis (``tf.one_hot``),
    weighted by its value and summed over the index's own axis. (Where ``index`` repeats a position,
    torch's plain scatter keeps one of the values, unspecified which; this sums them.)"""
    d = norm_axis(dim, x.ndim)
    if not isinstance(index, Tensor) or index.dtype is not _dtype.int64 or index.ndim != x.ndim:
        raise ModelError(f"{what} expects an int64 index tensor with as many axes as the tensor ({x.ndim})")
    if x.dims[d].is_batch_dim():
        raise UnsupportedOpError(f"{what} along the batch axis is not supported")
    for k in range(x.ndim):
        if k != d and dim_value(index.dims[k]) != dim_value(x.dims[k]):
            raise UnsupportedOpError(f"{what} with an index smaller than the tensor on axis {k} is not supported")
    targets = [index.dims[k] if k == d else x.dims[k] for k in range(x.ndim)]
    index = retag(index, targets)
    raw = list(x.layer.output.dims)
    r = raw.index(x.dims[d])
    axes = [index.dims[d] if e == x.dims[d] else e for e in raw]  # x's raw order, the index's own axis at r
    named = "source({}, auto_convert=False, as_data=True).copy_compatible_to_dims_raw(axes)"
    sources = [x, index]
    if not isinstance(src, Tensor):
        values = literal(src, x.dtype)
    else:
        if [dim_value(e) for e in src.dims] != [dim_value(e) for e in index.dims]:
            raise UnsupportedOpError(f"{what} with a src of another shape than the index is not supported")
        sources.append(retag(cast(src, x.dtype), list(index.dims)))
        values = named.format(2)
    moved = f"(lambda t: tf.experimental.numpy.moveaxis(t, -1, {r}))"
    result = "x + added" if add else "tf.where(hit > 0, added, x)"
    code = (f"(lambda x, i, v: (lambda rows: (lambda added, hit: {result})({moved}(tf.reduce_sum(rows * "
            f"tf.expand_dims(tf.broadcast_to(v, tf.shape(rows)[:-1]), -1), {r})), {moved}(tf.reduce_max(rows, {r}))))"
            f"(tf.one_hot(i, tf.shape(x)[{r}], axis=-1, dtype=x.dtype)))"
            f"(source(0, auto_convert=False), {named.format(1)}, {values})")
    return eval_layer(code, sources, x.dims, x.dtype, raw_dims=raw, eval_locals={"axes": axes})


@op("Tensor.scatter", "torch.scatter", "Tensor.scatter_")
def scatter(input: Tensor, dim: Any, index: Tensor, src: Any = None, *, value: Any = None,  # noqa: A002
            reduce: str | None = None) -> Tensor:
    if reduce not in (None, "add"):
        raise UnsupportedOpError(f"scatter with reduce={reduce!r} is not supported (only 'add')")
    source = value if src is None else src
    return _scatter(input, dim, index, source, reduce == "add", "scatter")


@op("Tensor.scatter_add", "torch.scatter_add", "Tensor.scatter_add_")
def scatter_add(input: Tensor, dim: Any, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    return _scatter(input, dim, index, src, True, "scatter_add")


@op("Tensor.index_put_", "Tensor.index_put", "torch.index_put")
def index_put(input: Tensor, indices: Any, values: Any, accumulate: bool = False) -> Tensor:  # noqa: A002
    """``input[indices] = values``, as `setitem` builds it."""
    if accumulate:
        raise UnsupportedOpError("index_put with accumulate=True is not supported")
    if isinstance(values, Tensor) and values.ndim == 0 and getattr(values, "value", None) is not None:
        values = values.value.item()  # a constant (torch.tensor(0.5)): the number
    return setitem(input, tuple(indices), values)


@op("Tensor.masked_scatter", "Tensor.masked_scatter_", "torch.masked_scatter")
def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """``input`` with the positions ``mask`` marks filled, in row-major order, by the leading elements of
    ``source`` (multimodal models put embeddings at placeholder tokens so): over the torch-ordered
    flat tensors, each marked position takes source element (marked positions before it)."""
    if not isinstance(mask, Tensor) or mask.dtype is not _dtype.bool:
        raise ModelError("masked_scatter expects a bool mask")
    if not isinstance(source, Tensor):
        raise ModelError("masked_scatter expects a source tensor")
    mask = mask if mask.ndim == input.ndim else getitem(mask, (None,) * (input.ndim - mask.ndim) + (Ellipsis,))
    raw = list(input.layer.output.dims)
    order = list(input.dims)
    named = "source({}, auto_convert=False, as_data=True).copy_compatible_to_dims_raw(axes{})"
    code = (f"(lambda x, m, s: (lambda flat: tf.transpose(tf.reshape(tf.where(flat, tf.gather(tf.reshape(s, [-1]), "
            f"tf.maximum(tf.cumsum(tf.cast(flat, tf.int64)) - 1, 0)), tf.reshape(x, [-1])), tf.shape(x)), "
            f"{[order.index(e) for e in raw]}))(tf.reshape(tf.broadcast_to(m, tf.shape(x)), [-1])))"
            f"({named.format(0, 0)}, {named.format(1, 1)}, {named.format(2, 2)})")
    return eval_layer(code, [input, mask, cast(source, input.dtype)], input.dims, input.dtype, raw_dims=raw,
                      eval_locals={"axes0": order, "axes1": [e for e in mask.dims],
                                   "axes2": list(source.dims)})
