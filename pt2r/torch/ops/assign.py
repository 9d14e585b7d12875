"""Assignment and copies: ``x[index] = value``, ``clone``, ``detach``, ``copy_``.

An assignment into a tensor computed in the net builds the tensor it leaves
(``torch.where`` of a mask of the assigned positions); the replay context then
rebinds ``x`` to it, as for every in-place op. (Assignments into constants,
such as a filter built at init, are folded from the trace before they get here.)
"""

from __future__ import annotations

import numbers
from typing import Any

from pt2r.torch import _dtype
from pt2r.torch._size import SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.dims import canonical
from pt2r.torch.ops.build import ctx, eval_layer, raw_axes, raw_eval
from pt2r.torch.ops.elementwise import compute, masked_fill
from pt2r.torch.ops.registry import op
from pt2r.torch.ops.shape import getitem


@op("Tensor.clone", "torch.clone")
def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    """The same values: a tensor of its own, so that in-place ops on it leave ``input`` as it is."""
    return Tensor(input.dims, input.dtype, layer=input.layer)


@op("Tensor.detach", "torch.detach")
def detach(input: Tensor) -> Tensor:  # noqa: A002
    """The same values, no gradient through them (which matters when the exported net is trained)."""
    return eval_layer("tf.stop_gradient(source(0))", [input], input.dims, input.dtype)


@op("Tensor.copy_")
def copy_(input: Tensor, src: Tensor, non_blocking: bool = False) -> Tensor:  # noqa: A002
    """``src``, broadcast to ``input``'s shape, in ``input``'s dtype."""
    if not isinstance(src, Tensor):
        raise ValueError(f"copy_ from a {type(src).__name__} is not supported")
    return compute(lambda x, s: f"tf.broadcast_to({s}, tf.shape({x}))", [input, src], [None, input.dtype],
                   input.dtype)


@op("Tensor.__setitem__")
def setitem(x: Tensor, index: Any, value: Any) -> Tensor:
    """``x[index] = value`` for a number (or 0-d tensor) ``value``, ``index`` a bool mask (over
    ``x``'s leading axes) or ints, slices, ``None`` and ``...``."""
    if isinstance(value, Tensor) and value.ndim:
        raise ValueError("assigning a tensor of more than 0 dims into part of a tensor computed in the net is "
                         "not supported (only numbers and 0-d tensors)")
    if not isinstance(value, (Tensor, numbers.Number)):
        raise ValueError(f"assigning a {type(value).__name__} into a tensor is not supported")
    if isinstance(index, Tensor):
        if index.dtype is not _dtype.bool:
            raise ValueError("indexing with a tensor that is not a bool mask is not supported")
        mask = index if index.ndim == x.ndim else getitem(index, (Ellipsis,) + (None,) * (x.ndim - index.ndim))
    else:
        mask = _positions(x, index)
    return masked_fill(x, mask, value)


def _positions(x: Tensor, index: Any) -> Tensor:
    """A bool tensor of ``x``'s shape: True where the basic index ``index`` points."""
    items = [i for i in (index if isinstance(index, tuple) else (index,)) if i is not None]
    for item in items:
        if not (item is Ellipsis or isinstance(item, (numbers.Integral, slice))) or isinstance(item, bool):
            raise ValueError(f"assigning with an index of {type(item).__name__} is not supported (ints, slices, "
                             f"None, ... and bool masks are)")
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items[at:at + 1] = [slice(None)] * (x.ndim - len(items) + 1)
    if len(items) > x.ndim:
        raise ValueError(f"too many indices for a {x.ndim}-d tensor")
    raw = raw_axes(x, list(range(x.ndim)))
    conditions = []
    for axis, item in enumerate(items):
        if item == slice(None):
            continue
        r = raw[axis]
        pos = f"tf.reshape(tf.range(tf.shape(x)[{r}]), {[-1 if a == r else 1 for a in range(x.ndim)]})"
        conditions += _conditions(pos, f"tf.shape(x)[{r}]", item, x.dims[axis])
    expr = " & ".join(conditions) if conditions else "tf.constant(True)"
    return raw_eval(x, f"tf.broadcast_to({expr}, tf.shape(x))", x.layer.output.dims, x.dims, _dtype.bool)


def _conditions(pos: str, size: str, item: Any, dim: Any) -> list[str]:
    """TF conditions on positions ``pos`` along axis ``dim`` (of length ``size``) for an int or slice
    ``item``. A bound computed from the axis' own length (``x.shape[2] - 3``) stays relative to it."""
    def bound(value: Any) -> str:
        if isinstance(value, SizeValue):
            offset = int(value) - ctx().dim_value(dim)
            if canonical(value.dim) != canonical(dim + offset if offset else dim):
                raise ValueError("assigning into a slice bounded by another axis' size is not supported")
            return f"({size} + {offset})"
        return f"({size} + {int(value)})" if value < 0 else str(int(value))

    if not isinstance(item, slice):
        return [f"tf.equal({pos}, {bound(item)})"]
    step = 1 if item.step is None else int(item.step)
    if step <= 0:
        raise ValueError("a slice step that is not positive is not supported")
    start = 0 if item.start is None else item.start
    conditions = [f"({pos} >= {bound(start)})"] if start is not None and (start or isinstance(start, SizeValue)) \
        else []
    if item.stop is not None:
        conditions.append(f"({pos} < {bound(item.stop)})")
    if step != 1:
        conditions.append(f"tf.equal(({pos} - {bound(start)}) % {step}, 0)")
    return conditions
