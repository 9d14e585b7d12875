"""Tensor creation (``zeros``, ``full``, ``empty``, ``arange``, ``*_like``, ``new_*``, ``tensor``) and tensors from
outside the model (``torch.load``, ``torch.from_numpy``, parameter initialisers).

A creation op whose arguments are all constants never reaches its builder:
the replay context takes its recorded output (`values.foldable`). The
builders here make the cases that must stay dynamic: sizes taken from a
dynamic axis (``torch.zeros(b, 5, t)``, ``torch.arange(t)``), tensors shaped
like one in the net (``zeros_like(x)``, ``x.new_zeros(...)``), values that
are dynamic sizes (``torch.tensor(t)``). A dynamic size stays its RETURNN dim,
so the exported net runs on other lengths.

``torch.load`` and ``torch.from_numpy`` take their recorded results (the
replay context does that for them, so their builder never runs); so do random
ops with constant sizes (`random` draws the others). Initialisers (``torch.nn.init.*``) leave parameters as they are: a
parameter's value always comes from the trace.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.calls import DISPATCHED_INITIALISERS, EXTERNAL
from pt2r.torch import _dtype
from pt2r.torch._size import SizeExpr, SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.build import (
    LayerRef, as_size, cast, cast_layer, combine, compute, ctx, dims_of_sizes, drawn, eval_layer, fresh_dim,
    insert, literal, make, new_dim, retag, run_time_positions, scalar_dtype, size_arg, size_scalar)
from pt2r.torch.ops.registry import op
from pt2r.torch.values import value_tensor


@op(*sorted(EXTERNAL))
def recorded(*args: Any, **kwargs: Any) -> Any:
    """External inputs take their recorded values; this never runs."""
    raise AssertionError("external inputs take their recorded values")


@op(*sorted(DISPATCHED_INITIALISERS))
def init_(tensor: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Parameter initialisers torch records: the parameter's value comes from the trace. (The others
    are no calls in either phase: `pt2r.torch.nn.init`.)"""
    return tensor


# -- helpers ------------------------------------------------------------------------


def _finite_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float)) and not isinstance(value, SizeValue) and math.isfinite(value)


def _fill_like(like: Tensor, value: Any, dtype: _dtype.dtype) -> Tensor:
    """A tensor with ``like``'s dims, every element ``value`` (a number, dynamic size or 0-dim tensor)."""
    if isinstance(value, Tensor) and value.ndim:
        raise UnsupportedOpError("a fill value tensor of more than 0 dims is not supported")
    return compute(lambda x, v: f"tf.broadcast_to({v}, tf.shape({x}))", [like, value], [None, dtype], dtype)


def filled(sizes: Sequence[int], value: Any, dtype: _dtype.dtype) -> Tensor:
    """A tensor of ``sizes`` (ints, dynamic sizes) with every element ``value``: a constant layer, or for a
    value that is no finite Python number (``-inf``, a dynamic size), zeros filled with it."""
    if dtype.is_complex:
        raise UnsupportedOpError("complex tensors are not supported")
    dims = dims_of_sizes(sizes)
    if any(d.dimension is None and d in dims[:i] for i, d in enumerate(dims)):
        return _filled_square(sizes, dims, value, dtype)
    number = value if _finite_number(value) else 0
    number = bool(number) if dtype is _dtype.bool else float(number) if dtype.is_floating_point else int(number)
    layer = {"class": "constant", "value": number, "shape": dims, "dtype": dtype.name}
    if any(d.dimension is None or d.is_batch_dim() for d in dims):
        layer["shape_deps"] = [LayerRef("data")]  # the input: batch and sequence lengths of the dynamic dims
    if _finite_number(value):
        return make(layer, dims, dtype=dtype)
    return _fill_like(make(layer, dims, dtype=dtype, name=ctx().layer_name_for() + ".zeros"), value, dtype)


def _filled_square(sizes: Sequence[int], dims: list, value: Any, dtype: _dtype.dtype) -> Tensor:
    """``filled`` with a dynamic size twice (``torch.ones(t, t)``, a square mask): the second axis gets a
    fresh dim, which takes the first one's lengths from a retagged copy of a tensor over it."""
    first = [i for i, d in enumerate(dims) if d not in dims[:i]]
    base = filled([sizes[i] for i in first], value, dtype)  # the axes of distinct dims, in order
    sources, out = [base], []
    for i, d in enumerate(dims):
        if i in first:
            out.append(base.dims[first.index(i)])  # (its static dims are the base's own)
            continue
        twin = fresh_dim(d)
        lengths = filled([sizes[i]], 0, _dtype.int32)
        sources.append(retag(lengths, [twin], name=ctx().layer_name_for() + f".axis{i}"))
        out.append(twin)
    shape = "tf.shape(source(0))"  # the sources come aligned to the output's axes: broadcast base over all
    for k in range(1, len(sources)):
        shape = f"tf.broadcast_dynamic_shape({shape}, tf.shape(source({k})))"
    static = [None if d.is_batch_dim() else d.dimension for d in out]  # (lost in broadcasting: a static 1)
    return eval_layer(f"tf.ensure_shape(tf.broadcast_to(source(0), {shape}), {static})", sources, out, dtype,
                      raw_dims=out)


def _fill_dtype(value: Any, dtype: _dtype.dtype | None) -> _dtype.dtype:
    if dtype is not None:
        return dtype
    return value.dtype if isinstance(value, Tensor) else scalar_dtype(value)


# -- zeros, ones, full ------------------------------------------------------------


@op("torch.zeros")
def zeros(*size: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    return filled(size_arg(size), 0, dtype or _dtype.float32)


@op("torch.ones")
def ones(*size: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    return filled(size_arg(size), 1, dtype or _dtype.float32)


@op("torch.full")
def full(size: Any, fill_value: Any, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    out = filled(size_arg((size,)), fill_value, _fill_dtype(fill_value, dtype))
    if isinstance(fill_value, SizeValue):  # ``torch.full((b,), t)``: lengths whose maximum is the size
        out.size_of = fill_value.dim
    return out


@op("Tensor.new_zeros")
def new_zeros(input: Tensor, *size: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
    return filled(size_arg(size), 0, dtype or input.dtype)


@op("Tensor.new_ones")
def new_ones(input: Tensor, *size: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
    return filled(size_arg(size), 1, dtype or input.dtype)


@op("Tensor.new_full")
def new_full(input: Tensor, size: Any, fill_value: Any, *, dtype: _dtype.dtype | None = None,  # noqa: A002
             **kwargs: Any) -> Tensor:
    return filled(size_arg((size,)), fill_value, dtype or input.dtype)


@op("torch.empty")
def empty(*size: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    """Uninitialised memory in torch: zeros here. With constant sizes (``torch.empty([0])``, a placeholder)
    the replay takes the recorded output; with a dynamic size the net gives zeros. The content is
    undefined (model code overwrites it), so it is checked like a random draw (`Backend.drawn`): its
    shape only, and later calls see the memory torch handed out."""
    return drawn(filled(size_arg(size), 0, dtype or _dtype.float32))


@op("Tensor.new_empty")
def new_empty(input: Tensor, *size: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
    """As `empty`, of ``input``'s dtype by default."""
    return drawn(filled(size_arg(size), 0, dtype or input.dtype))


@op("torch.empty_like")
def empty_like(input: Tensor, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
    """As `empty`, shaped like ``input``."""
    return drawn(_fill_like(input, 0, dtype or input.dtype))


@op("torch.zeros_like")
def zeros_like(input: Tensor, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
    return _fill_like(input, 0, dtype or input.dtype)


@op("torch.ones_like")
def ones_like(input: Tensor, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
    return _fill_like(input, 1, dtype or input.dtype)


@op("torch.full_like")
def full_like(input: Tensor, fill_value: Any, *, dtype: _dtype.dtype | None = None,  # noqa: A002
              **kwargs: Any) -> Tensor:
    return _fill_like(input, fill_value, dtype or input.dtype)


@op("Tensor.zero_")
def zero_(input: Tensor) -> Tensor:  # noqa: A002
    return _fill_like(input, 0, input.dtype)


@op("Tensor.fill_")
def fill_(input: Tensor, value: Any) -> Tensor:  # noqa: A002
    return _fill_like(input, value, input.dtype)


# -- arange ---------------------------------------------------------------------------


def _integral(value: Any) -> bool:
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


@op("torch.arange")
def arange(*args: Any, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    """``arange(end)`` / ``arange(start, end, step)``; a dynamic ``end`` gives a range over its dim
    (``range_in_axis``), so the length follows the input's length in the exported net."""
    bounds = {k: kwargs.pop(k) for k in ("start", "end", "step") if k in kwargs}
    if len(args) == 1 and "end" not in bounds:
        bounds["end"] = args[0]
    else:
        bounds.update(zip(("start", "end", "step"), args))
    start, end, step = (as_size(v) for v in (bounds.get("start", 0), bounds["end"], bounds.get("step", 1)))
    for value in (start, end, step):
        if isinstance(value, Tensor):
            raise UnsupportedOpError("arange with tensor bounds that are no dynamic size (a data-dependent "
                                     "length) is not supported")
    if dtype is None:
        dtype = _dtype.float32 if any(isinstance(v, float) for v in (start, end, step)) else _dtype.int64
    if isinstance(step, (SizeValue, SizeExpr)):
        raise UnsupportedOpError("arange with a dynamic step is not supported")
    if isinstance(start, (SizeValue, SizeExpr)) or isinstance(end, SizeExpr):
        return _arange_between_sizes(start, end, step, dtype)
    if not isinstance(end, SizeValue):  # static: usually folded by the context already
        return value_tensor(np.arange(start, end, step).astype(dtype.name), dtype.name, ctx().layer_name_for())
    if not (_integral(start) and _integral(step)) or step <= 0:
        raise UnsupportedOpError("arange over a dynamic size with a non-integer or non-positive start/step is not "
                                 "supported")
    start, step = int(start), int(step)
    dim = end.dim - start if start >= 0 else end.dim + (-start)
    if step != 1:
        dim = dim.ceildiv_right(step)
    ctx().dim_values.setdefault(dim, max(0, math.ceil((int(end) - start) / step)))  # for sizes() before the check
    positions = make({"class": "range_in_axis", "from": "data", "axis": dim, "dtype": "int64"}, [dim],
                     dtype=_dtype.int64)
    if start == 0 and step == 1:
        positions.positions_of = dim
        return cast(positions, dtype)
    return compute(lambda p: f"({p} * {literal(step, dtype)} + {literal(start, dtype)})", [positions], [dtype],
                   dtype)


@op("torch.eye")
def eye(n: Any, m: Any = None, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    """The identity (``n`` rows, ``m`` columns): row positions equal to column positions. A dynamic
    size (``torch.eye(x.size(1))``) gives the axis its dim, so the matrix follows the length."""
    dtype = dtype or _dtype.float32
    n, m = as_size(n), as_size(n if m is None else m)
    if not isinstance(n, SizeValue) and not isinstance(m, SizeValue):  # static: usually folded already
        return value_tensor(np.eye(int(n), int(m)).astype(dtype.name), dtype.name, ctx().layer_name_for())
    rows, cols = arange(n), arange(m)
    rows = insert(rows, 1, new_dim(1, "one"))
    if cols.dims[0] in rows.dims:  # a square matrix over one dynamic axis: a second dim of its size
        cols = retag(cols, [fresh_dim(cols.dims[0])])
    return cast(combine("equal", [rows, cols], _dtype.int64, layer="compare"), dtype)


@op("torch.linspace")
def linspace(start: Any, end: Any, steps: Any, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, computed as torch does (from the start for
    the first half, from the end for the second). A dynamic ``steps`` gives the axis its dim."""
    dtype = dtype or _dtype.float32
    for bound in (start, end):
        if isinstance(bound, Tensor):
            raise UnsupportedOpError("linspace with tensor bounds is not supported")
    steps = as_size(steps)
    if not isinstance(steps, SizeValue):  # static: usually folded already
        return value_tensor(np.linspace(start, end, int(steps)).astype(dtype.name), dtype.name,
                            ctx().layer_name_for())
    start, end = float(start), float(end)
    values = compute(lambda p, n: (
        f"(lambda i, n: (lambda step: tf.where(i < n / 2, {start!r} + step * i, {end!r} - step * (n - 1 - i)))"
        f"(tf.where(n > 1, ({end!r} - {start!r}) / tf.maximum(n - 1, 1), 0.)))"
        f"(tf.cast({p}, tf.float64), tf.cast({n}, tf.float64))"), [arange(steps), steps], [None, _dtype.int64],
        _dtype.float64)
    return cast(values, dtype)


def _arange_between_sizes(start: Any, end: Any, step: Any, dtype: _dtype.dtype) -> Tensor:
    """``arange(start, end, step)`` with bounds computed from dynamic sizes and a step of 1 or -1
    (Transformer-XL's and XLNet's relative positions ``arange(klen - 1, -1, -1.0)``): the axis is the dim
    of ``|end - start|``, the values ``start + step * position`` with ``start`` computed at run time from
    the padded sizes."""
    if not _integral(step) or abs(int(step)) != 1:
        raise UnsupportedOpError("arange from a dynamic start is supported with a step of 1 or -1 only")
    step = int(step)
    length = end - start if step == 1 else start - end  # size arithmetic: a size where RETURNN has a dim for it
    if not isinstance(length, SizeValue):
        raise UnsupportedOpError(f"arange({start}, {end}, {step}): its length is no size RETURNN can express")
    dim = length.dim
    ctx().dim_values.setdefault(dim, max(int(length), 0))
    positions = make({"class": "range_in_axis", "from": "data", "axis": dim, "dtype": "int64"}, [dim],
                     dtype=_dtype.int64)
    sizes, code = run_time_positions([start])
    return cast(compute(lambda p, *scalars: f"({p} * {step} + {code(start, scalars)})", [positions, *sizes],
                        [None] + [_dtype.int64] * len(sizes), _dtype.int64), dtype)


# -- tensor from data -------------------------------------------------------------------


def _from_data(data: Any, dtype: _dtype.dtype | None) -> Tensor:
    """``torch.tensor(data)`` for data holding dynamic sizes or tensors in the net (else it is folded)."""
    if isinstance(data, Tensor):
        return cast(data, dtype or data.dtype, copy=True)
    if isinstance(data, SizeValue):
        return cast(size_scalar(data), dtype or _dtype.int64)
    if isinstance(data, (list, tuple)) and all(isinstance(v, (int, float)) for v in data):
        dtype = dtype or (_dtype.float32 if any(isinstance(v, float) for v in data) else _dtype.int64)
        parts = [size_scalar(v) if isinstance(v, SizeValue) else v for v in data]
        sources = [p for p in parts if isinstance(p, Tensor)]
        terms, i = [], 0
        for p in parts:
            if isinstance(p, Tensor):
                terms.append(f"tf.cast(tf.reshape(source({i}), []), {dtype.name!r})")
                i += 1
            else:
                terms.append(literal(p, dtype))
        dims = dims_of_sizes([len(parts)])
        return eval_layer(f"tf.stack([{', '.join(terms)}])", sources, dims, dtype, raw_dims=dims)
    raise UnsupportedOpError(f"torch.tensor of {type(data).__name__} holding dynamic values is not supported "
                             f"(only a size, a flat list of sizes and numbers, or a tensor)")


@op("torch.tensor")
def tensor(data: Any, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:
    return _from_data(data, dtype)


@op("torch.as_tensor")
def as_tensor(data: Any, dtype: _dtype.dtype | None = None, device: Any = None) -> Tensor:
    """Like ``torch.tensor``, but a tensor of the wanted dtype is returned as it is."""
    if isinstance(data, Tensor):
        return cast(data, dtype or data.dtype)
    return _from_data(data, dtype)


@op("Tensor.new_tensor")
def new_tensor(input: Tensor, data: Any, *, dtype: _dtype.dtype | None = None, **kwargs: Any) -> Tensor:  # noqa: A002
    return _from_data(data, dtype or input.dtype)


@op("torch.nn.functional.one_hot")
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64, a new last axis of ``num_classes``: 1 where the position is the index (a ``compare`` of the
    indices with a ``range`` layer)."""
    if tensor.dtype is not _dtype.int64:
        raise ModelError(f"one_hot takes int64 class indices, not {tensor.dtype}")
    if int(num_classes) < 0:
        raise UnsupportedOpError("one_hot without num_classes (torch takes it from the largest index in the data) "
                                 "is not supported: pass num_classes")
    classes = Dim(int(num_classes), name=f"{ctx().layer_name_for()}:num_classes")
    positions = make({"class": "range", "limit": classes.dimension, "out_spatial_dim": classes, "dtype": "int64"},
                     [classes], dtype=_dtype.int64)
    equal = make({"class": "compare", "kind": "equal", "from": [tensor, positions],
                  "allow_broadcast_all_sources": True}, [*tensor.dims, classes], dtype=_dtype.bool)
    return cast_layer(equal, _dtype.int64)
