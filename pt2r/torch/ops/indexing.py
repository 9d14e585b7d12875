"""Indexing with integer tensors (torch's advanced indexing): ``x[idx]``, ``x[:, idx]``,
``x[b_idx, t_idx]``, and assigning a number through such an index, ``x[(b_idx, t_idx)] = 1``.

Torch broadcasts the index tensors to one shape S and replaces the indexed axes by S: with the
index tensors on adjacent axes ``p..q`` after whole slices, the result has the axes
``x[:p] + S + x[q+1:]``. RETURNN's ``gather`` takes one index tensor over one axis, so the net
computes this with ``tf.gather_nd`` (``tf.tensor_scatter_nd_update`` for an assignment) in one
``eval`` layer: ``x`` with its indexed axes moved first, the index tensors arranged by their
dims in S and broadcast. Negative indices count from the end, as in torch. (`pt2r.torch.ops.shape`
indexes with ints, slices, ``None`` and ``...``; `pt2r.torch.ops.assign` with bool masks.)
"""

from __future__ import annotations

import numbers
from typing import Any

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import broadcast, eval_layer, scalar_literal

_INTEGER = (_dtype.int64, _dtype.int32, _dtype.int16, _dtype.int8, _dtype.uint8)


def is_advanced(index: Any) -> bool:
    """Whether ``index`` holds an integer tensor (torch's advanced indexing)."""
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(item, Tensor) and item.dtype in _INTEGER for item in items)


def _split(x: Tensor, index: Any) -> tuple[int, list[Tensor | int]]:
    """The first indexed axis, and the index tensors (on adjacent axes, after whole slices)."""
    items = list(index) if isinstance(index, tuple) else [index]
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at:at + 1] = [slice(None)] * (x.ndim - (len(items) - 1))
    while items and isinstance(items[-1], slice) and items[-1] == slice(None):
        items.pop()
    first = next(i for i, item in enumerate(items) if isinstance(item, Tensor))
    for item in items[:first]:
        if not (isinstance(item, slice) and item == slice(None)):
            raise UnsupportedOpError(f"an index tensor after {item!r} is not supported (only whole slices ':' "
                                     f"may come before index tensors)")
    indices = items[first:]
    for item in indices:  # an int among index tensors is one more (0-d) index, as in torch
        if not (isinstance(item, Tensor) and item.dtype in _INTEGER or isinstance(item, numbers.Integral)
                and not isinstance(item, bool)):
            raise UnsupportedOpError(f"an index mixing integer tensors with {getattr(item, 'dtype', item)!r} is "
                                     f"not supported")
    if first + len(indices) > x.ndim:
        raise ModelError(f"too many indices for a {x.ndim}-d tensor")
    return first, indices


class _Gather:
    """The TF code of ``x`` (``source(0)``) with its indexed axes first, and of the stacked indices."""

    def __init__(self, x: Tensor, index: Any):
        self.x = x
        self.first, indices = _split(x, index)
        tensors, self.index_dims = broadcast(*[i for i in indices if isinstance(i, Tensor)])
        adjusted = iter(tensors)
        self.indices = [next(adjusted) if isinstance(i, Tensor) else int(i) for i in indices]
        self.indexed = [x.dims[self.first + j] for j in range(len(indices))]
        self.raw = list(x.layer.output.dims)
        self.rest = [d for d in self.raw if d not in self.indexed]
        if set(self.index_dims) & set(self.rest):
            raise UnsupportedOpError("an index tensor sharing an axis with the indexed tensor's other axes is not "
                                     "supported")
        self.perm = [self.raw.index(d) for d in self.indexed + self.rest]

    def moved(self) -> str:
        return f"tf.transpose(source(0, auto_convert=False), {self.perm})"

    def stacked(self) -> str:
        terms = []
        sources = 0
        for j, t in enumerate(self.indices):
            if isinstance(t, int):
                term = f"tf.reshape(tf.constant({t}, 'int64'), {[1] * len(self.index_dims)})"
            else:
                sources += 1
                own = list(t.layer.output.dims)
                term = f"tf.transpose(tf.cast(source({sources}, auto_convert=False), 'int64'), " \
                       f"{[own.index(d) for d in self.index_dims if d in own]})"
                for pos, d in enumerate(self.index_dims):
                    if d not in own:
                        term = f"tf.expand_dims({term}, {pos})"
            size = f"tf.shape(source(0, auto_convert=False), out_type='int64')[{self.raw.index(self.indexed[j])}]"
            terms.append(f"(lambda i: tf.where(i < 0, i + {size}, i))({term})")
        shape = "tf.shape(idx[0])"
        for j in range(1, len(terms)):
            shape = f"tf.broadcast_dynamic_shape({shape}, tf.shape(idx[{j}]))"
        return (f"(lambda idx: tf.stack([tf.broadcast_to(i, {shape}) for i in idx], axis=-1))"
                f"([{', '.join(terms)}])")

    def sources(self) -> list[Tensor]:
        return [self.x, *[t for t in self.indices if isinstance(t, Tensor)]]


def getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with integer index tensors."""
    g = _Gather(x, index)
    dims = list(x.dims[:g.first]) + g.index_dims + list(x.dims[g.first + len(g.indexed):])
    raw_dims = g.index_dims + g.rest
    static = [d.dimension for d in raw_dims]  # (the broadcast loses the static sizes RETURNN checks)
    code = f"tf.ensure_shape(tf.gather_nd({g.moved()}, {g.stacked()}), {static})"
    return eval_layer(code, g.sources(), dims, x.dtype, raw_dims=raw_dims)


def setitem(x: Tensor, index: Any, value: Any) -> Tensor:
    """``x[index] = value`` with integer index tensors; ``value`` a number."""
    if not isinstance(value, numbers.Real):
        raise UnsupportedOpError("assigning a tensor through integer index tensors is not supported (a number is)")
    value = value if isinstance(value, (bool, int, float)) else float(value)  # numpy scalars
    g = _Gather(x, index)
    k = len(g.indexed)
    inverse = [g.perm.index(i) for i in range(len(g.perm))]
    code = (f"(lambda x, idx: tf.transpose(tf.tensor_scatter_nd_update(x, idx, tf.fill(tf.concat("
            f"[tf.shape(idx)[:-1], tf.shape(x)[{k}:]], 0), tf.cast({scalar_literal(value)}, x.dtype))), "
            f"{inverse}))({g.moved()}, {g.stacked()})")
    return eval_layer(code, g.sources(), list(x.dims), x.dtype, raw_dims=g.raw)
