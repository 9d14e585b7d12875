"""Helpers for op builders, shared by the op families: layers, dims and axes, torch broadcasting and
dtype promotion, elementwise operands, slicing and indexing, reductions, contractions.

Torch identifies axes by position, RETURNN by dim tag. Where torch lines two
axes up (``x + y``, a conv's input channels and its weight's), the builder
must make them the same RETURNN dim: `unify` does that, for free while a
tensor is not yet in the net, else by a ``reinterpret_data`` layer.

Every helper more than one op family uses is here, public: an op family takes from another
family only its registered ops (torch's API, called as torch would call it).
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import re
from typing import Any, Callable, Sequence

import numpy as np
from returnn.tensor import Dim, batch_dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._size import SizeExpr, SizeValue, form_of
from pt2r.torch._tensor import Tensor
from pt2r.torch.dims import canonical, canonical_in, no_shorter, same_size
from pt2r.torch.values import static_dims


# -- layers ----------------------------------------------------------------------------------------

class LayerRef(str):
    """A layer name in a layer dict, as opposed to another string option (the export, nesting the
    network, rewrites these into relative references)."""


def ctx() -> Any:
    from pt2r.torch.backend import current
    return current()


def _resolve(value: Any) -> Any:
    """Layer dict values: tensors become their layer names (entering the net if needed)."""
    if isinstance(value, Tensor):
        return LayerRef(value.layer_name)
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve(v) for v in value)
    return value


_RAW_SOURCE = re.compile(r"source\((\d+), auto_convert=False\)")


def _named_axes(layer_dict: dict[str, Any]) -> dict[str, Any]:
    """An eval layer whose code takes a source's raw tensor (``source(i, auto_convert=False)``) with
    the axes in the order its code was written for, named: the source's dims at build time, as
    ``eval_locals``. The exported layer then keeps working when an edit upstream reorders the
    source's axes (RETURNN chooses the layouts): the code's axis positions refer to named dims."""
    sources = layer_dict["from"] if isinstance(layer_dict["from"], (list, tuple)) else [layer_dict["from"]]
    names: dict[str, list[Dim]] = {}

    def named(match: re.Match) -> str:
        i = int(match.group(1))
        names[f"axes{i}"] = list(sources[i].layer.output.dims)
        return f"source({i}, auto_convert=False, as_data=True).copy_compatible_to_dims_raw(axes{i})"

    code = _RAW_SOURCE.sub(named, layer_dict["eval"])
    if not names:
        return layer_dict
    return {**layer_dict, "eval": code, "eval_locals": {**layer_dict.get("eval_locals", {}), **names}}


def make(layer_dict: dict[str, Any], dims: Sequence[Dim], *, dtype: _dtype.dtype | None = None,
         name: str | None = None) -> Tensor:
    """Add a layer (tensors in ``layer_dict`` may stand for layers) whose output has ``dims``,
    given in torch axis order. Every layer is made here; an ``eval`` layer (built by `eval_layer`), for
    what RETURNN has no layer for, names the axes its code addresses (`_named_axes`)."""
    if layer_dict["class"] == "eval" and isinstance(layer_dict.get("eval"), str):
        layer_dict = _named_axes(layer_dict)
    layer = ctx().add_layer({k: canonical_in(_resolve(v)) for k, v in layer_dict.items()}, name=name)
    dims = [canonical(d) for d in dims]
    out = layer.output
    if set(out.dims) != set(dims) or len(out.dims) != len(dims):
        raise RuntimeError(f"layer {layer.name} ({layer_dict['class']}) has dims {list(out.dims)}, "
                           f"expected {list(dims)}")
    return Tensor(dims, dtype or _dtype.by_name(out.dtype), layer=layer)


def aux_name(what: str, final: str | None = None) -> str:
    """The name of a helper layer of the current call (``<call>.<what>``): the call's own name
    stays for the layer holding its result."""
    return f"{final or ctx().layer_name_for()}.{what}"


def cast_layer(x: Tensor, dtype: _dtype.dtype, name: str | None = None) -> Tensor:
    """``x`` as ``dtype``: a ``cast`` layer, or ``x`` itself when it has that dtype."""
    if x.dtype == dtype:
        return x
    return make({"class": "cast", "from": x, "dtype": dtype.name}, x.dims, dtype=dtype, name=name)


def enter_as(x: Tensor, order: Sequence[Dim]) -> Tensor:
    """``x``, a trace-backed tensor (a parameter, buffer or constant), entering the net as a variable
    whose raw axes are ``order`` (its dims, permuted): for a layer that wants them so (a conv's filter
    in TF's order), which then needs no transpose at run time. Its torch axis order (``dims``) stays;
    the checkpoint holds the value transposed. A tensor already in the net is left as it is."""
    if x._layer is not None or x.value is None or len(set(x.dims)) != len(x.dims) or \
            len(order) != len(x.dims) or set(order) != set(x.dims):
        return x
    perm = [x.dims.index(d) for d in order]
    value = np.ascontiguousarray(np.transpose(x.value, perm))
    context = ctx()
    x._layer = context.add_variable(value, list(order), x.dtype.name, x.name or context.layer_name_for() + ".const",
                                    trainable=x.trainable, origin=x, transform={"kind": "transpose", "perm": perm})
    return x


# -- dims and axes ---------------------------------------------------------------------------------
# RETURNN dims for torch's axes: new ones, ones identified (`unify`, `retag`), their recorded sizes.

def fresh_dim(dim: Dim) -> Dim:
    """A new dim of ``dim``'s size, for a second axis of that size in one tensor (``x @ x.T`` over
    time, a time-by-time mask): a dynamic one takes ``dim``'s lengths in ``reinterpret_data``."""
    if dim.is_batch_dim():
        raise UnsupportedOpError("a result with two batch axes is not supported")
    fresh = Dim(dim.dimension, name=f"{dim.description}_2")
    if dim.dimension is None:  # its size at record time, for ``shape`` queries before the call ends
        ctx().dim_values[fresh] = ctx().dim_value(dim)
        ctx().memo(DIM_SOURCES)[fresh] = None  # (the layer that first has it gives it its lengths)
    return fresh


def unify(x: Tensor, axis: int, dim: Dim) -> Tensor:
    """``x`` with its axis ``axis`` being RETURNN dim ``dim`` (same size)."""
    old = x.dims[axis]
    if old == dim:
        return x
    dims = list(x.dims)
    dims[axis] = dim
    if (old.dimension is None) != (dim.dimension is None):  # their sizes agree in this recording only
        static, dynamic = (old, dim) if dim.dimension is None else (dim, old)
        raise UnsupportedOpError(f"cannot identify a static axis of size {static.dimension} with the dynamic axis "
                                 f"{dynamic.description}: their sizes agree in this recording only")
    if x._layer is None:
        if old.dimension != dim.dimension:
            raise ModelError(f"cannot identify a static axis of size {old.dimension} with {dim}")  # as torch refuses
        x.dims = tuple(dims)
        return x
    return _defining(make({"class": "reinterpret_data", "from": x, "set_dim_tags": {old: dim}}, dims, dtype=x.dtype,
                          name=aux_name("retag")), [dim])


def retag(x: Tensor, targets: Sequence[Dim], name: str | None = None) -> Tensor:
    """``x`` with dims ``targets`` (same sizes), by one ``reinterpret_data`` layer whose renames are
    ordered so that no intermediate has a dim twice."""
    targets = list(targets)
    pending = {i: t for i, (d, t) in enumerate(zip(x.dims, targets)) if d != t}
    if not pending:
        return x
    for i, t in pending.items():
        if x.dims[i].dimension != t.dimension:
            raise UnsupportedOpError(f"identifying axis {x.dims[i]} with {t} (a static and a dynamic axis) is not "
                                     "supported")
    if x._layer is None:  # not in the net yet: its (static) dims are free to choose
        x.dims = tuple(targets)
        return x
    current, pairs = list(x.dims), []
    while pending:
        ready = [i for i, t in pending.items() if t not in current]
        if not ready:  # a cycle (two axes swapped): one of them to a dim of its own first, in a layer before
            i = next(iter(pending))  # (RETURNN finds every renamed dim in the layer's input)
            return retag(unify(x, i, fresh_dim(x.dims[i])), targets, name)
        for i in ready:
            pairs.append((current[i], pending[i]))
            current[i] = pending.pop(i)
    return _defining(make({"class": "reinterpret_data", "from": x, "set_dim_tags": pairs}, targets, dtype=x.dtype,
                          name=name or aux_name("retag")), [new for _, new in pairs])


#: replay memo: a dim of its own for a second axis of one length (`fresh_dim`) -> the tensor whose layer
#: gives it its lengths (None until one does), for layers that take its size (`size_scalar`)
DIM_SOURCES = "dims.sources"


def _defining(x: Tensor, dims: Sequence[Dim]) -> Tensor:
    """``x``, noted as the first layer with each of the dynamic ``dims``."""
    defined = ctx().memo(DIM_SOURCES)
    for d in dims:
        if d in defined and defined[d] is None:
            defined[d] = x
    return x


def sizes(x: Tensor) -> list[int]:
    return [int(n) for n in x.shape]


#: replay memo: id(merged batch dim) -> (that dim, the dims merged into it in memory order, major first)
BATCH_MERGES = "shape.batch_merges"


def merged_batch(d: Dim) -> list[Dim] | None:
    """What a batch dim made by merging the batch with other axes holds (None for other dims)."""
    entry = ctx().memo(BATCH_MERGES).get(id(d))
    return entry[1] if entry is not None and entry[0] is d else None


def batch_quotient(d: Dim, divisor: int) -> Dim | None:
    """The batch, where ``d`` is the batch merged with static axes whose sizes multiply to ``divisor``
    (``q.size(0) // heads`` for ``q`` of the batch merged with the heads); None otherwise."""
    merged = merged_batch(d)
    if merged is None or not merged[0].is_batch_dim() or merged_batch(merged[0]) is not None:
        return None
    if any(m.dimension is None or m.is_batch_dim() for m in merged[1:]):
        return None
    return merged[0] if functools.reduce(operator.mul, (m.dimension for m in merged[1:]), 1) == divisor else None


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


# -- views -----------------------------------------------------------------------------------------
# Axes reordered, added, merged or split: no data computed.

def as_view(x: Tensor, dims: Sequence[Dim]) -> Tensor:
    """The same layer with the dims in another torch order."""
    return Tensor(dims, x.dtype, layer=x.layer)


def insert(x: Tensor, pos: int, dim: Dim) -> Tensor:
    """A new axis ``dim`` at torch position ``pos`` (values repeated along it). For the batch merged with
    other axes, those axes merged (so a new batch dim, holding the same)."""
    merged = merged_batch(dim)
    if merged is not None:  # (RETURNN broadcasts a merged batch dim of its own, as one entry)
        for k, part in enumerate(merged):
            x = insert(x, pos + k, part)
        return merge_axes(x, pos, pos + len(merged))
    dims = list(x.dims)
    dims.insert(pos, dim)
    # The raw position does not matter (dims are tracked by tag): behind the feature axis, or last.
    axis = "T" if x.layer.output.sparse else "F"
    return make({"class": "expand_dims", "from": x, "axis": axis, "dim": dim}, dims, dtype=x.dtype)


def expand_dims(x: Tensor, dim: Dim, order: Sequence[Dim] | None = None, name: str | None = None) -> Tensor:
    """``x`` with a new static axis ``dim``, last in torch order or where ``order`` puts it."""
    dims = [*x.dims, dim] if order is None else [d for d in order if d in x.dims or d == dim]
    return make({"class": "expand_dims", "from": x, "axis": "F", "dim": dim}, dims, dtype=x.dtype, name=name)


def merge_axes(x: Tensor, start: int, end: int) -> Tensor:
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
        flat += merged_batch(d) or [d]
    out = make({"class": "merge_dims", "from": x, "axes": dims, "keep_order": True},
               [*x.dims[:start], batch_dim, *x.dims[end:]], dtype=x.dtype)
    merged = next(d for d in out.layer.output.dims if d.is_batch_dim())
    ctx().memo(BATCH_MERGES)[id(merged)] = (merged, flat)
    out.dims = (*x.dims[:start], merged, *x.dims[end:])
    return out


def split_axis(x: Tensor, axis: int, dims: list[Dim]) -> Tensor:
    if len(dims) == 1:
        return x
    return make({"class": "split_dims", "from": x, "axis": x.dims[axis], "dims": dims},
                [*x.dims[:axis], *dims, *x.dims[axis + 1:]], dtype=x.dtype)


def shape_arg(shape: tuple) -> list[Any]:
    """``view(2, 3)`` and ``view((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return list(shape[0])
    return list(shape)


# -- torch broadcasting ----------------------------------------------------------------------------

#: the size `broadcast_sizes` gives a batch or dynamic axis recorded with size 1 (it never broadcasts)
VARYING_ONE = -1


def broadcast_sizes(x: Tensor) -> list[int]:
    """``x``'s sizes as torch broadcasting sees them in every run, not only the recorded one: a batch or
    dynamic axis recorded with size 1 (a batch of one) is `VARYING_ONE`, not a size-1 axis that
    broadcasts; a static size-1 axis against it broadcasts to it."""
    return [VARYING_ONE if n == 1 and (d.is_batch_dim() or d.dimension is None) else n
            for n, d in zip(sizes(x), x.dims)]


def broadcast(*tensors: Tensor) -> tuple[list[Tensor], list[Dim]]:
    """Torch broadcasting: align axes from the right, identify equal axes, drop size-1 axes that
    broadcast. Returns the adjusted tensors and the result's dims in torch order."""
    ndim = max(t.ndim for t in tensors)
    result: list[Dim | None] = [None] * ndim
    result_size = [1] * ndim
    for t in tensors:
        for i, n in enumerate(broadcast_sizes(t)):
            pos = ndim - t.ndim + i
            if n != 1 and result[pos] is None:
                result[pos], result_size[pos] = t.dims[i], n
    for pos in range(ndim):  # two result axes of equal size must still be two RETURNN dims
        if result[pos] is not None and result[pos] in result[:pos]:
            result[pos] = fresh_dim(result[pos])
    out = []
    for pos in range(ndim):
        if result[pos] is None:  # size 1 everywhere: the first tensor's axis, shared by all
            owner = next(t for t in tensors if t.ndim >= ndim - pos)
            result[pos] = owner.dims[pos - (ndim - owner.ndim)]
    for t in tensors:
        shape = broadcast_sizes(t)
        squeeze = [t.dims[i] for i, n in enumerate(shape) if n == 1 and result_size[ndim - t.ndim + i] != 1]
        targets = [result[ndim - t.ndim + i] if n != 1 or result_size[ndim - t.ndim + i] == 1 else d
                   for i, (n, d) in enumerate(zip(shape, t.dims))]
        if any(target != d and target in t.dims for d, target in zip(t.dims, targets)):
            t = retag(t, targets)  # axes of equal size in the other order (x + y.transpose(-1, -2))
        for i, target in enumerate(targets):
            t = unify(t, i, target)
        if squeeze:
            keep = [d for d in t.dims if d not in squeeze]
            t = make({"class": "squeeze", "from": t, "axis": squeeze}, keep, dtype=t.dtype,
                     name=ctx().layer_name_for() + ".squeeze")
        out.append(t)
    return out, list(result)


# -- eval layers -----------------------------------------------------------------------------------

def eval_layer(code: str, sources: Tensor | Sequence[Tensor], dims: Sequence[Dim], dtype: _dtype.dtype, *,
               raw_dims: Sequence[Dim] | None = None, eval_locals: dict[str, Any] | None = None,
               name: str | None = None, **options: Any) -> Tensor:
    """A RETURNN ``eval`` layer computing TF code ``code``: the one way to build one, for what RETURNN
    has no layer for. Its result has ``dims`` (torch order) and ``dtype``.

    The code reads the ``sources`` (a list, or one tensor) as ``source(i)``: source ``i`` converted to
    the output's layout (RETURNN lines the sources up by dim), or as ``source(i, auto_convert=False)``:
    its raw tensor, whose axes `make` fixes to the order of its dims at build time (naming them in
    ``eval_locals``, see `_named_axes`), so the code may address them by position (`raw_axes`).

    ``raw_dims``: the output's raw axes, in the order the code's result has them (``out_type``'s
    ``dim_tags``; converted sources come in that layout); unset, RETURNN derives the output from the
    sources. ``eval_locals``: further names the code uses (a dim looked up when the layer is built,
    as in `scans.along`). ``options``: other keys of the layer (``allow_broadcast_all_sources=True``
    where no source has all the output's dims)."""
    out_type = {"dtype": dtype.name} if raw_dims is None else {"dim_tags": list(raw_dims), "dtype": dtype.name}
    layer = {"class": "eval", "from": sources if isinstance(sources, Tensor) else list(sources), "eval": code}
    if eval_locals:
        layer["eval_locals"] = eval_locals
    return make({**layer, "out_type": out_type, **options}, dims, dtype=dtype, name=name)


def raw_eval(x: Tensor, expr: str, raw_dims: Sequence[Dim], dims: Sequence[Dim], dtype: _dtype.dtype,
             name: str | None = None) -> Tensor:
    """`eval_layer` of TF code ``expr`` of ``x``, the raw tensor of ``x`` (its axes in RETURNN's
    order, see `raw_axes`), whose result has the raw axes ``raw_dims`` (``dims`` in torch order)."""
    return eval_layer(f"(lambda x: {expr})(source(0, auto_convert=False))", [x], dims, dtype, raw_dims=raw_dims,
                      name=name)


def raw_axes(x: Tensor, axes: Sequence[int]) -> list[int]:
    """Torch axes ``axes`` of ``x`` as axes of its raw tensor (its layer's axis order)."""
    raw = list(x.layer.output.dims)
    return [raw.index(x.dims[a]) for a in axes]


def scalar_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else repr(int(value))
    raise UnsupportedOpError(f"a {type(value).__name__} where pt2r needs a Python number is not supported")


def result_dtype(*operands: Any) -> _dtype.dtype:
    tensors = [o.dtype for o in operands if isinstance(o, Tensor)]
    dtype = _dtype.result_type(*tensors)
    if any(isinstance(o, float) for o in operands) and not dtype.is_floating_point:
        return _dtype.float32
    return dtype


# -- dtype promotion (torch's c10 ResultTypeState) -------------------------------------------------

_INTS = (_dtype.uint8, _dtype.int8, _dtype.int16, _dtype.int32, _dtype.int64)


def dtype_category(dt: _dtype.dtype) -> int:
    return 0 if dt is _dtype.bool else 1 if dt in _INTS else 3 if dt.is_complex else 2


def promote_types(a: _dtype.dtype, b: _dtype.dtype) -> _dtype.dtype:
    """``torch.promote_types``."""
    if a is b or b is _dtype.bool:
        return a
    if a is _dtype.bool:
        return b
    ca, cb = dtype_category(a), dtype_category(b)
    if ca != cb:
        return a if ca > cb else b
    if ca == 2 and {a, b} == {_dtype.float16, _dtype.bfloat16}:
        return _dtype.float32
    if ca == 1 and _dtype.uint8 in (a, b):  # unsigned with signed: a signed type holding both
        other = b if a is _dtype.uint8 else a
        return _dtype.int16 if other is _dtype.int8 else other
    return a if a.itemsize >= b.itemsize else b


def scalar_dtype(value: Any) -> _dtype.dtype:
    if isinstance(value, bool):
        return _dtype.bool
    if isinstance(value, int):
        return _dtype.int64
    if isinstance(value, float):
        return _dtype.float32  # torch's default dtype
    if isinstance(value, complex):
        return _dtype.complex64
    raise TypeError(f"expected a tensor or a Python number, got {type(value).__name__}")


def _combine_tiers(higher: _dtype.dtype | None, lower: _dtype.dtype | None) -> _dtype.dtype | None:
    """A lower tier (0-dim tensors, then Python scalars) only counts if of a higher category."""
    if higher is None or lower is None:
        return higher or lower
    if dtype_category(higher) >= 2 and dtype_category(higher) >= dtype_category(lower):
        return higher
    if higher is _dtype.bool or dtype_category(lower) > dtype_category(higher):
        return promote_types(higher, lower)
    return higher


def promote(*operands: Any) -> _dtype.dtype:
    """The dtype torch computes ``operands`` in (``None`` operands are skipped)."""
    tiers: list[_dtype.dtype | None] = [None, None, None]  # dimensioned, 0-dim, Python scalars
    for o in operands:
        if o is None:
            continue
        tier, dt = (0 if o.ndim else 1, o.dtype) if isinstance(o, Tensor) else (2, scalar_dtype(o))
        tiers[tier] = dt if tiers[tier] is None else promote_types(tiers[tier], dt)
    result = _combine_tiers(tiers[0], _combine_tiers(tiers[1], tiers[2]))
    if result is None:
        raise TypeError("no operand to promote")
    return result


def float_dtype(dt: _dtype.dtype) -> _dtype.dtype:
    """The dtype of a float-valued op (``exp``, true division) on ``dt``."""
    return dt if dt.is_floating_point or dt.is_complex else _dtype.float32


# -- elementwise operands --------------------------------------------------------------------------
# Tensors, dynamic sizes and Python numbers as operands of one layer, cast to the promoted dtype
# and broadcast as torch does (also where views merged the batch with other axes).

def literal(value: Any, dt: _dtype.dtype) -> str:
    """A Python scalar as a TF constant of ``dt``, converted as torch converts it (ints truncate)."""
    if dt.is_complex:
        value = complex(value)
        return f"tf.constant(complex({value.real!r}, {value.imag!r}), dtype={dt.name!r})"
    if isinstance(value, complex):
        raise ModelError(f"a complex number ({value!r}) where torch computes in {dt}")
    if dt is _dtype.bool:
        text = repr(bool(value))
    elif not dt.is_floating_point:
        text = repr(int(value))
    else:
        value = float(value)
        text = repr(value) if math.isfinite(value) else f"float({str(value)!r})"
    return f"tf.constant({text}, dtype={dt.name!r})"


def _root_dims(dim: Dim) -> list[Dim]:
    """The dynamic dims that ``dim`` is computed from (itself, if it is one)."""
    op = dim.get_same_base().derived_from_op
    if op is None:
        return [] if dim.dimension is not None or dim.is_batch_dim() else [dim]
    return [root for d in op.inputs for root in _root_dims(d)]


def size_scalar(size: SizeValue) -> Tensor:
    """A 0-dim layer holding a dynamic size at run time: the padded size (the max over the batch).

    Built once per dim and replay (``length`` of the input's batch / sequence lengths)."""
    context = ctx()
    cache = context.memo("elementwise.sizes")  # dim -> size layer
    if size.dim not in cache:
        name = context.layer_name_for() + ".size"
        defined = context.memo(DIM_SOURCES)
        sources = list(dict.fromkeys(defined[d] for d in _root_dims(size.dim) if defined.get(d) is not None))
        layer = context.add_layer({"class": "length", "from": _resolve(sources) if sources else "data",
                                   "axis": size.dim, "dtype": "int32"}, name=name)
        length = Tensor(list(layer.output.dims), _dtype.int32, layer=layer)
        if length.dims:  # per sequence
            length = make({"class": "reduce", "from": length, "mode": "max", "axis": list(length.dims)}, [],
                          dtype=_dtype.int32, name=name)
        length.size_of = size.dim
        cache[size.dim] = length
    return cache[size.dim]


def operand(value: Any, dtype: _dtype.dtype) -> Tensor:
    """``value`` (a tensor, dynamic size or Python number) as a tensor of ``dtype``: a number is a
    ``constant`` layer, another dtype a ``cast`` layer."""
    if isinstance(value, SizeValue):
        value = size_scalar(value)
    if dtype.is_complex and dtype is not _dtype.complex64:
        raise UnsupportedOpError(f"{dtype} tensors are not supported (only complex64)")
    if not isinstance(value, Tensor):
        number = bool(value) if dtype is _dtype.bool else float(value) if dtype.is_floating_point else \
            complex(value) if dtype.is_complex else int(value)
        return make({"class": "constant", "value": number, "dtype": dtype.name}, [], dtype=dtype,
                    name=ctx().layer_name_for() + ".const")
    return cast_layer(value, dtype)


def cast(input: Tensor, dtype: _dtype.dtype, *, copy: bool = False) -> Tensor:
    """``input`` as ``dtype``; the tensor itself when it already is (torch returns ``self`` too)."""
    if dtype is input.dtype and not copy:
        return input
    if input.dtype.is_complex:  # (torch drops the imaginary part, with a warning)
        raise UnsupportedOpError("casts from complex dtypes are not supported (take .real or .abs())")
    if dtype is input.dtype:  # a copy: a tensor of its own (in-place ops on it rebind it alone)
        out = make({"class": "copy", "from": input}, input.dims, dtype=dtype)
    else:
        out = operand(input, dtype)
    return out.sizes_from(input) if (dtype is _dtype.bool) == (input.dtype is _dtype.bool) else out


def activation(x: Tensor, name: str) -> Tensor:
    """RETURNN's ``activation`` layer: function ``name`` (as RETURNN resolves it) of ``x``."""
    return make({"class": "activation", "from": x, "activation": name}, x.dims, dtype=x.dtype)


def split_batch_merges(tensors: Sequence[Tensor]) -> tuple[list[Tensor], int, int] | None:
    """Operands holding different batch dims merged from the same sizes (``a.view(b * h, t)`` and
    ``c.view(b * h, t)``: RETURNN gives each merge a batch dim of its own, and cannot line two of them
    up), split into their parts at that axis (``(b, h, t)``), which broadcasting then identifies; with the
    axis' position from the right and its number of parts. None where no two merged batch dims differ."""
    found = [(t, i) for t in tensors for i, d in enumerate(t.dims) if d.is_batch_dim() and merged_batch(d)]
    if len({id(t.dims[i]) for t, i in found}) < 2:
        return None
    positions = {t.ndim - i for t, i in found}
    layouts = {tuple(dim_value(m) for m in merged_batch(t.dims[i])) for t, i in found}
    if len(positions) != 1 or len(layouts) != 1:
        raise UnsupportedOpError("an elementwise op on tensors whose batch axes are merged with other axes "
                                 "differently is not supported")
    from_right, n = positions.pop(), len(layouts.pop())
    parts = []
    for t in tensors:
        axis = t.ndim - from_right
        if axis < 0:
            parts.append(t)
        elif t.dims[axis].is_batch_dim() and merged_batch(t.dims[axis]):
            parts.append(split_axis(t, axis, merged_batch(t.dims[axis])))
        elif t.dims[axis].dimension == 1:  # broadcast over the merged axis: over each part
            for _ in range(n - 1):
                t = insert(t, axis, new_dim(1, "unmerged"))
            parts.append(t)
        else:
            raise UnsupportedOpError("an elementwise op on a tensor whose batch axis is merged with other axes and "
                                     "one whose axis there is not is not supported")
    return parts, from_right, n


def broadcasting(args: Sequence[Any], build: Callable[[list[Any], list], Tensor]) -> Tensor:
    """``build(args, dims)`` with the tensors among ``args`` broadcast as torch does (their merged
    batch axes split first, see `split_batch_merges`) and ``dims`` the result's, in torch order."""
    split = split_batch_merges([a for a in args if isinstance(a, Tensor)])
    if split is not None:  # computed on the merged axes' parts, merged again
        parts, from_right, n = split
        it = iter(parts)
        out = broadcasting([next(it) if isinstance(a, Tensor) else a for a in args], build)
        start = out.ndim - from_right - (n - 1)
        return merge_axes(out, start, start + n)
    tensors, dims = broadcast(*[a for a in args if isinstance(a, Tensor)])
    adjusted = iter(tensors)
    return build([next(adjusted) if isinstance(a, Tensor) else a for a in args], dims)


def compute(expr: Callable[..., str], args: Sequence[Any], casts: Sequence[_dtype.dtype | None],
            dtype: _dtype.dtype) -> Tensor:
    """An eval layer ``expr(*terms)`` with torch broadcasting, its result of ``dtype``: for what
    RETURNN has no layer for (`combine` is RETURNN's own layer for the common binary ops).

    ``args`` are tensors, dynamic sizes or Python scalars; term i is arg i cast to ``casts[i]``
    (``None``: a tensor as it is).
    """
    def build(items: list[Any], dims: list) -> Tensor:
        sources: list[Tensor] = []
        terms = []
        for arg, cast in zip(items, casts):
            if isinstance(arg, Tensor):
                term = f"source({len(sources)})"
                sources.append(arg)
                terms.append(term if cast is None or cast is arg.dtype else f"tf.cast({term}, {cast.name!r})")
            else:
                terms.append(literal(arg, cast or scalar_dtype(arg)))
        return eval_layer(expr(*terms), sources, dims, dtype, allow_broadcast_all_sources=True)
    return broadcasting([size_scalar(a) if isinstance(a, SizeValue) else a for a in args], build)


def combine(kind: str, args: Sequence[Any], dtype: _dtype.dtype, *, layer: str = "combine") -> Tensor:
    """RETURNN's ``combine`` layer (or ``compare``: ``layer="compare"``) of kind ``kind`` (a
    ``tf.math`` function name) over ``args`` (tensors, dynamic sizes, numbers), each taken
    as ``dtype``, with torch broadcasting."""
    tensors = [operand(a, dtype) for a in args]
    out = _dtype.bool if layer == "compare" else dtype
    return broadcasting(tensors, lambda items, dims: make(
        {"class": layer, "kind": kind, "from": items, "allow_broadcast_all_sources": True}, dims, dtype=out))


# -- slicing one axis ------------------------------------------------------------------------------
# ``slice`` layers with out dims from dim arithmetic; positions counted from the padded end, or
# computed from dynamic sizes at run time, by TF indexing in an ``eval`` layer (`eval_index`).

def eval_index(x: Tensor, axis: int, item: Any, out_dim: Dim | None, sizes: Sequence[Tensor] = ()) -> Tensor:
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


def note_fixed_position(d: Dim, index: Any) -> None:
    """Note an int position on dynamic axis ``d`` at its last recorded frame: the mark of a Python loop
    over its length (``for i in range(x.size(1)): out[:, i] = ...``), which runs as often as recorded
    (Python hands such a count to ``range`` as a plain int, out of pt2r's sight)."""
    if d.dimension is None and not d.is_batch_dim() and not isinstance(index, SizeValue):
        n = dim_value(d)
        if n > 1 and int(index) == n - 1:
            ctx().note_dynamic_branch(f"position {n - 1} of {d.description} is its last frame only as recorded "
                                      f"(length {n}): a loop over its length runs as often as recorded")


def from_end(d: Dim, value: Any) -> Any:
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


def _freeing(x: Tensor, out_dim: Dim) -> Tensor:
    """``x``, where an axis has dim ``out_dim`` already, with a dim of its own there: a slice is about to
    give another axis that dim (Conformer's ``scores[..., :t]`` of (t, 2t - 1); a causal mask cut from a
    buffer on both axes, ``bias[:, :, :t, :t]``)."""
    return unify(x, x.dims.index(out_dim), fresh_dim(out_dim)) if out_dim in x.dims else x


def _slice_to_length(x: Tensor, axis: int, item: slice, step: int) -> Tensor:
    """``x[:, start:n]`` on dynamic axis ``d`` with ``n`` the length of another dim ``e`` (``x[:, :t2]``,
    ``min(t, t2)`` in SEW): the result's axis is ``e`` (or ``e - start``, strided), so the net stays dynamic,
    cut at ``e``'s padded length at run time by an ``eval`` layer. Where the dims' arithmetic shows ``e``
    always has ``d``'s size (`dims.same_size`), nothing is cut. Else the net relies on ``e`` being no longer
    than ``d`` (as it was recorded; torch would stop at ``d``'s end), which the report notes."""
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
    if not no_shorter(d, stop.dim):
        ctx().note_dynamic_branch(f"slice {item} of {d.description} to the length of {stop.dim.description} "
                                  f"assumes that is no longer (at most {n} as recorded)")
    out_dim = stop.dim.sub_left(start) if start else stop.dim
    if step != 1:
        out_dim = out_dim.ceildiv_right(step)
    x = _freeing(x, out_dim)
    ctx().dim_values.setdefault(out_dim, len(range(start, m, step)))
    return eval_index(x, axis, f"{start}:tf.cast(source(1, auto_convert=False), tf.int32):{step}", out_dim,
                       [size_scalar(stop)])


def _slice_at_sizes(x: Tensor, axis: int, item: slice) -> Tensor:
    """``x[:, c + 1 - t : c + t]`` on static axis ``axis``, bounds computed from dynamic sizes (a
    relative position table cut to a length, as Conformers do): the result's axis is the dim of
    ``stop - start`` (``2 t - 1``), the bounds computed at run time from the padded sizes."""
    n = x.dims[axis].dimension
    start, stop = 0 if item.start is None else item.start, n if item.stop is None else item.stop
    if not 0 <= int(start) < int(stop) <= n:
        raise UnsupportedOpError(f"slice {item} of an axis of size {n} (out of its bounds, or negative, as recorded) "
                                 f"is not supported")
    length = stop - start  # size arithmetic (`pt2r.torch._size`): a size where RETURNN has a dim for it
    if not isinstance(length, SizeValue):
        raise UnsupportedOpError(f"slice {item}: its length is no size RETURNN can express")
    out_dim = length.dim
    x = _freeing(x, out_dim)
    ctx().dim_values.setdefault(out_dim, int(stop) - int(start))
    sizes, code = run_time_positions([start, stop])
    scalars = [f"tf.cast(source({1 + i}, auto_convert=False), tf.int32)" for i in range(len(sizes))]
    return eval_index(x, axis, f"{code(start, scalars)}:{code(stop, scalars)}", out_dim, sizes)


def run_time_positions(values: Sequence[Any]) -> tuple[list[Tensor], Callable[[Any, Sequence[str]], str]]:
    """For positions computed from dynamic sizes (`SizeValue`, `SizeExpr`, ints): a layer of the padded
    size of each dim they are made of (`size_scalar`), and the TF code of one of them given those
    layers' codes (``code(value, scalars)``)."""
    atoms = list(dict.fromkeys(a for v in values for a in form_of(v)[0]))

    def code(value: Any, scalars: Sequence[str]) -> str:
        terms, const = form_of(value)
        return " + ".join([str(const)] + [f"{c} * {scalars[atoms.index(a)]}" for a, c in terms.items()])
    return [size_scalar(SizeValue(dim_value(a), a)) for a in atoms], code


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
        out_dim = new_dim(length, "slice")
        return make({"class": "slice", "from": x, "axis": d, "slice_start": start, "slice_end": stop,
                     "slice_step": step, "out_dim": out_dim}, [*x.dims[:axis], out_dim, *x.dims[axis + 1:]],
                    dtype=x.dtype)
    if isinstance(item.stop, SizeValue) and _other_length(d, item.stop):
        return _slice_to_length(x, axis, item, step)
    if isinstance(item.start, SizeValue) and from_end(d, item.start) is None:
        raise UnsupportedOpError("slices with no elements are not supported")
    start, stop = from_end(d, item.start), from_end(d, item.stop)
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
        return eval_index(x, axis, slice(start, stop, step), new_dim(length, "slice"))
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


# -- indexing with integer tensors (torch's advanced indexing) -------------------------------------
# Torch replaces the indexed axes by the index tensors' broadcast shape. RETURNN's ``gather`` takes
# one index tensor over one axis, so the net computes this with ``tf.gather_nd``
# (``tf.tensor_scatter_nd_update`` to assign) in one ``eval`` layer; negative indices count from
# the end, as in torch.

def is_advanced(index: Any) -> bool:
    """Whether ``index`` holds an integer tensor (torch's advanced indexing)."""
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(item, Tensor) and item.dtype in _INTS for item in items)


def _split_index(x: Tensor, index: Any) -> tuple[int, list[Tensor | int]]:
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
        if not (isinstance(item, Tensor) and item.dtype in _INTS or isinstance(item, numbers.Integral)
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
        self.first, indices = _split_index(x, index)
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


def advanced_getitem(x: Tensor, index: Any) -> Tensor:
    """``x[index]`` with integer index tensors. With them on adjacent axes ``p..q`` after whole slices, the
    result has the axes ``x[:p] + S + x[q+1:]``, S their broadcast shape (`_Gather`)."""
    g = _Gather(x, index)
    dims = list(x.dims[:g.first]) + g.index_dims + list(x.dims[g.first + len(g.indexed):])
    raw_dims = g.index_dims + g.rest
    static = [d.dimension for d in raw_dims]  # (the broadcast loses the static sizes RETURNN checks)
    code = f"tf.ensure_shape(tf.gather_nd({g.moved()}, {g.stacked()}), {static})"
    return eval_layer(code, g.sources(), dims, x.dtype, raw_dims=raw_dims)


def advanced_setitem(x: Tensor, index: Any, value: Any) -> Tensor:
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


# -- reductions ------------------------------------------------------------------------------------
# RETURNN's ``reduce`` layer, padding frames included (``use_time_mask=False``), as torch reduces
# the padded batch; keepdim adds size-1 dims of our own.

def keepdim_dims(x: Tensor, axes: Sequence[int]) -> list[Dim]:
    """``x``'s dims, the reduced ``axes`` replaced by size-1 dims of our own (torch's keepdim)."""
    return [Dim(1, name=f"{d.description}_keepdim") if i in axes else d for i, d in enumerate(x.dims)]


def reduce_layer(x: Tensor, mode: str, axes: Sequence[int], keepdim: bool = False,
                 name: str | None = None) -> Tensor:
    """RETURNN ``reduce`` over torch axes ``axes``, padding frames included; the last layer is
    named ``name`` (default: the call's name). ``arg*`` modes give dense int64 indices
    (RETURNN's are sparse int32)."""
    if not axes:  # a 0-d tensor: nothing to reduce
        return Tensor(x.dims, x.dtype, layer=x.layer)
    arg = mode.startswith("arg")
    merged = next(((a, parts) for a in axes if x.dims[a].is_batch_dim() and (parts := merged_batch(x.dims[a]))),
                  None)
    if merged and not (arg or keepdim):  # over the batch merged with other axes: over those axes (RETURNN
        a, parts = merged               # would keep the merged batch on the result, and broadcast it later)
        axes = [b if b < a else b + len(parts) - 1 for b in axes if b != a] + [a + i for i in range(len(parts))]
        return reduce_layer(split_axis(x, a, parts), mode, axes, keepdim, name)
    reduced = [x.dims[a] for a in axes]
    kept = [d for d in x.dims if d not in reduced]
    y = make({"class": "reduce", "from": x, "mode": mode, "axes": reduced, "use_time_mask": False}, kept,
             dtype=None if arg else x.dtype, name=aux_name(mode, name) if arg or keepdim else name)
    if arg:
        y = make({"class": "reinterpret_data", "from": y, "set_sparse": False}, kept, dtype=y.dtype,
                 name=aux_name("dense", name))
        y = cast_layer(y, _dtype.int64, name=aux_name("int64", name) if keepdim else name)
    if keepdim:
        dims = keepdim_dims(x, axes)
        for n, a in enumerate(axes):
            y = expand_dims(y, dims[a], dims, name=aux_name(f"keepdim{n}", name) if n < len(axes) - 1 else name)
    return y


def dim_axes(x: Tensor, dim: Any) -> list[int]:
    """Torch's ``dim`` argument as sorted axes; None or empty means all axes."""
    if dim is None:
        dims: list[Any] = []
    elif isinstance(dim, int):
        dims = [dim]
    elif isinstance(dim, (tuple, list)):
        dims = list(dim)
    else:
        raise UnsupportedOpError(f"reducing over dim={dim!r} is not supported")
    if x.ndim == 0:
        if any(int(d) not in (0, -1) for d in dims):
            raise ModelError(f"dim {dims} out of range for a 0-d tensor")
        return []
    if not dims:
        return list(range(x.ndim))
    if any(not -x.ndim <= int(d) < x.ndim for d in dims):
        raise ModelError(f"dim {dims} out of range for a {x.ndim}-d tensor")
    return sorted({int(d) % x.ndim for d in dims})


def norm_layers(x: Tensor, p: Any, axes: Sequence[int], keepdim: bool = False, name: str | None = None) -> Tensor:
    """Torch's vector norm of order ``p`` of ``x`` over torch axes ``axes`` (padding frames included),
    from RETURNN layers: ``activation`` (abs, square, sqrt), ``combine`` (pow) and ``reduce``."""
    p = float(p)
    if not axes:  # a 0-d tensor: |x| (any p but 0), or whether it is nonzero
        axes = []
    if p == 0:
        nonzero = make({"class": "compare", "kind": "not_equal", "from": [x, operand(0.0, x.dtype)],
                        "allow_broadcast_all_sources": True}, x.dims, dtype=_dtype.bool, name=aux_name("nonzero"))
        counts = cast_layer(nonzero, x.dtype, name=aux_name("count"))
        return reduce_layer(counts, "sum", axes, keepdim, name=name) if axes else counts
    if p == 2:
        squares = activation(x, "square")
        total = reduce_layer(squares, "sum", axes, keepdim, name=aux_name("sum")) if axes else squares
        return make({"class": "activation", "from": total, "activation": "sqrt"}, total.dims, dtype=x.dtype,
                     name=name)
    size = activation(x, "abs")
    if math.isinf(p):
        if not axes:
            return size
        return reduce_layer(size, "max" if p > 0 else "min", axes, keepdim, name=name)
    if p == 1:
        return reduce_layer(size, "sum", axes, keepdim, name=name) if axes else size
    powers = combine("pow", [size, p], x.dtype)
    total = reduce_layer(powers, "sum", axes, keepdim, name=aux_name("sum")) if axes else powers
    root = operand(1.0 / p, x.dtype)
    return make({"class": "combine", "kind": "pow", "from": [total, root], "allow_broadcast_all_sources": True},
                total.dims, dtype=x.dtype, name=name)


# -- contractions (einsum) -------------------------------------------------------------------------
# Einsum-like labels per operand, contracted pairwise by RETURNN's ``dot`` layer.

Labels = list[str]


def _squeeze_labels(x: Tensor, labels: Labels, drop: Sequence[str]) -> tuple[Tensor, Labels]:
    if not drop:
        return x, labels
    keep = [i for i, l in enumerate(labels) if l not in drop]
    dims = [x.dims[i] for i, l in enumerate(labels) if l in drop]
    x = make({"class": "squeeze", "from": x, "axis": dims}, [x.dims[i] for i in keep], dtype=x.dtype,
             name=aux_name("squeeze"))
    return x, [labels[i] for i in keep]


def _sum_out(x: Tensor, labels: Labels, drop: Sequence[str], name: str | None) -> tuple[Tensor, Labels]:
    """Sum over the axes labelled ``drop`` (padding frames included)."""
    if not drop:
        return x, labels
    axes = [i for i, l in enumerate(labels) if l in drop]
    return reduce_layer(x, "sum", axes, name=name), [l for l in labels if l not in drop]


def _contract2(a: Tensor, la: Labels, b: Tensor, lb: Labels, keep: set[str],
               name: str | None) -> tuple[Tensor, Labels]:
    """``a`` and ``b`` contracted over their common labels not in ``keep``, by a ``dot`` layer named
    ``name``; returns the result and its labels."""
    if a._layer is None and b._layer is not None:  # the operand in the net keeps its dims (e.g. time)
        a, la, b, lb = b, lb, a, la
    size_a, size_b = dict(zip(la, sizes(a))), dict(zip(lb, sizes(b)))
    for label in set(la) & set(lb):  # size-1 broadcasting: the size-1 side drops its axis
        if size_a[label] != size_b[label] and 1 not in (size_a[label], size_b[label]):
            raise ModelError(f"sizes {size_a[label]} and {size_b[label]} of a contracted or shared axis differ")
    dim_of_a, dim_of_b = dict(zip(la, a.dims)), dict(zip(lb, b.dims))

    def broadcasts(label: str, size: dict, dims: dict, other_size: dict, other_dims: dict) -> bool:
        """A size-1 axis against a larger one, or a static one against the batch or a dynamic axis (of
        size 1 in this recording only: ``(1, h, d, t) @ (b, h, t, d)`` with a batch of one)."""
        other = other_dims[label]
        return size[label] == 1 and (other_size[label] != 1 or dims[label].dimension == 1 and (
            other.dimension is None or other.is_batch_dim()))

    a, la = _squeeze_labels(a, la, [l for l in la if l in size_b and broadcasts(l, size_a, dim_of_a, size_b, dim_of_b)])
    b, lb = _squeeze_labels(b, lb, [l for l in lb if l in size_a and broadcasts(l, size_b, dim_of_b, size_a, dim_of_a)])
    a, la = _sum_out(a, la, [l for l in la if l not in lb and l not in keep], aux_name("sum"))
    b, lb = _sum_out(b, lb, [l for l in lb if l not in la and l not in keep], aux_name("sum"))
    dtype = result_dtype(a, b)
    a, b = cast_layer(a, dtype, aux_name("cast")), cast_layer(b, dtype, aux_name("cast"))
    if b is a:
        b.layer  # noqa: B018  (one tensor on both sides: in the net first, so retagging b leaves a alone)
    dim_a = dict(zip(la, a.dims))
    b = retag(b, [dim_a[l] if l in dim_a else (fresh_dim(d) if d in a.dims else d) for l, d in zip(lb, b.dims)])
    contracted = [l for l in la if l in lb and l not in keep]
    reduce = [dim_a[l] for l in contracted]
    labels = [l for l in la if l not in contracted] + [l for l in lb if l not in la]
    dims = [dim_a[l] if l in dim_a else b.dims[lb.index(l)] for l in labels]
    var1 = [dim_a[l] for l in la if l not in lb]
    var2 = [d for l, d in zip(lb, b.dims) if l not in la]
    if not reduce:  # an outer or elementwise product: contract a size-1 axis added to both
        one = Dim(1, name="outer")
        a, b = expand_dims(a, one, name=aux_name("outer")), expand_dims(b, one, name=aux_name("outer"))
        reduce = [one]
    out = make({"class": "dot", "from": [a, b], "reduce": reduce, "var1": var1, "var2": var2,
                "add_var2_if_empty": False, "use_mask": False}, dims, dtype=dtype, name=name)
    return out, labels


def _diagonal(x: Tensor, labels: Labels) -> tuple[Tensor, Labels]:
    """``x`` with every label it has more than once taken once: the diagonal of those axes (einsum
    ``bii->bi``). Two axes at a time: ``x`` times an identity mask (``range_in_axis`` of each axis,
    compared), summed over the second axis by a ``dot`` layer keeping the first."""
    labels = list(labels)
    while len(set(labels)) != len(labels):
        label = next(l for l in labels if labels.count(l) > 1)
        p = labels.index(label)
        q = labels.index(label, p + 1)
        size_p, size_q = sizes(x)[p], sizes(x)[q]
        if size_p != size_q:
            raise ModelError(f"einsum(): subscript {label} is repeated for an operand but the sizes don't match, "
                             f"{size_p} != {size_q}")
        dim_p, dim_q = x.dims[p], x.dims[q]
        positions = [make({"class": "range_in_axis", "from": x, "axis": d}, [d], name=aux_name("diagonal_positions"))
                     for d in (dim_p, dim_q)]
        eye = make({"class": "compare", "from": positions, "kind": "equal", "allow_broadcast_all_sources": True},
                   [dim_p, dim_q], dtype=_dtype.bool, name=aux_name("diagonal_mask"))
        eye = cast_layer(eye, x.dtype, aux_name("cast"))
        other = f"{label}#{q}"  # the second axis, summed over (no einsum label has a '#')
        labels[q] = other
        x, labels = _contract2(x, labels, eye, [label, other], set(labels) - {other}, aux_name("diagonal"))
    return x, labels


def _batch_merges_to_split(operands: Sequence[Tensor], labels: Sequence[Labels]) -> dict[str, int]:
    """Labels whose axes are batch dims merged from the same sizes but made by different merges
    (DeBERTa's ``view(-1, t, d)`` of each of queries, keys and values): RETURNN gives each merge a
    batch dim of its own and cannot pair two of them, so they are contracted split into their parts.
    Label -> number of parts."""
    merges: dict[str, dict[int, Dim]] = {}
    for x, ls in zip(operands, labels):
        for label, d in zip(ls, x.dims):
            if d.is_batch_dim() and merged_batch(d):
                merges.setdefault(label, {})[id(d)] = d
    split = {}
    for label, dims in merges.items():
        if len(dims) < 2:
            continue
        layouts = {tuple(dim_value(m) for m in merged_batch(d)) for d in dims.values()}
        if len(layouts) != 1:
            raise UnsupportedOpError("a product of tensors whose batch axes are merged with other axes differently "
                                     "is not supported")
        split[label] = len(layouts.pop())
    return split


def _split_merged_labels(operands: Sequence[Tensor], labels: Sequence[Labels], out: Labels,
                         merges: dict[str, int]) -> tuple[list[Tensor], list[Labels], Labels]:
    """The operands with their axes labelled in ``merges`` split into the merged parts, labelled
    ``<label>.0``, ``<label>.1``, ...; and the output labels so split."""
    def parts(ls: Labels) -> Labels:
        return [p for l in ls for p in ([f"{l}.{j}" for j in range(merges[l])] if l in merges else [l])]

    new_operands = []
    for x, ls in zip(operands, labels):
        for label in merges:
            if label not in ls:
                continue
            axis = ls.index(label) + sum(merges[l] - 1 for l in ls[:ls.index(label)] if l in merges)
            merged = merged_batch(x.dims[axis])
            if merged is None:
                raise UnsupportedOpError("a product of a tensor whose batch axis is merged with other axes and one "
                                         "whose axis there is not is not supported")
            x = split_axis(x, axis, merged)
        new_operands.append(x)
    return new_operands, [parts(ls) for ls in labels], parts(out)


def contract(operands: Sequence[Tensor], labels: Sequence[Labels], out: Labels, name: str | None = None) -> Tensor:
    """Einsum of ``operands`` (each with one label per axis) to the axes labelled ``out``; the
    result's layer is named ``name`` (default: the call's name). A label repeated on one operand
    takes that operand's diagonal."""
    for x, ls in zip(operands, labels):
        if len(ls) != x.ndim:
            raise ModelError(f"{len(ls)} indices for a {x.ndim}-d operand")
    merges = _batch_merges_to_split(operands, labels)
    if merges:  # contracted over the merged axes' parts, merged again
        operands, labels, out_parts = _split_merged_labels(operands, labels, out, merges)
        result = contract(operands, labels, out_parts, name=aux_name("unmerged") if name is None else name)
        for label, n in merges.items():
            start = out_parts.index(f"{label}.0")
            result = merge_axes(result, start, start + n)
            out_parts[start:start + n] = [label]
        return result
    operands, labels = zip(*[_diagonal(x, ls) for x, ls in zip(operands, labels)])
    last = len(operands) - 1
    result, current = _sum_out(operands[0], list(labels[0]),
                               [l for l in labels[0] if l not in out and not any(l in o for o in labels[1:])],
                               name if last == 0 else aux_name("sum"))
    for k in range(1, len(operands)):
        keep = set(out).union(*labels[k + 1:])
        result, current = _contract2(result, current, operands[k], list(labels[k]), keep,
                                     name if k == last else aux_name(f"dot{k}"))
    dims = [result.dims[current.index(l)] for l in out]
    return Tensor(dims, result.dtype, layer=result.layer)  # only the axis order differs


# -- new tensors -----------------------------------------------------------------------------------
# Their sizes (a dynamic size stays its dim), and values the net draws itself.

def as_size(value: Any) -> Any:
    """A 0-dim tensor holding a dynamic size (``lengths.max()``) as that size; anything else as it is."""
    return value.as_size() if isinstance(value, Tensor) else value


def size_arg(size: tuple) -> list[int]:
    """``zeros(2, t)`` and ``zeros((2, t))`` alike."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    size = tuple(as_size(n) for n in size)
    for n in size:
        if not isinstance(n, int):
            raise UnsupportedOpError(f"a size of type {type(n).__name__} is not supported (only ints and x.shape "
                                     "sizes)")
    return list(size)


def dims_of_sizes(sizes: Sequence[int]) -> list:
    """RETURNN dims for sizes: a dynamic size is its dim, a static one a new static dim."""
    static = static_dims([int(n) for n in sizes], ctx().layer_name_for())
    return [n.dim if isinstance(n, SizeValue) else d for n, d in zip(sizes, static)]


def size_dims(size: tuple) -> list:
    """The dims of a torch size argument (``zeros(2, t)``, ``zeros((2, t))``): a dynamic size stays its dim."""
    return dims_of_sizes(size_arg(size))


def drawn(out: Tensor, low: float | None = None, high: float | None = None) -> Tensor:
    """``out``, the op's result, registered as drawn by the net (`Backend.drawn`: random, or undefined
    memory), its values within [low, high] where given."""
    ctx().drawn(out, low, high)
    return out


# -- conv and pool arguments -----------------------------------------------------------------------

def ntuple(value: Any, n: int, what: str) -> tuple[int, ...]:
    """A conv's or pool's option (an int, or one per spatial axis) as ``n`` ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != n:
            raise ModelError(f"expected {n} values for {what} of a {n}-d conv or pool, got {value}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def check_channels_first(name: str, input: Tensor, n: int) -> None:  # noqa: A002
    """A conv's or pool's input is (batch, channels, ``n`` spatial axes)."""
    if input.ndim != n + 2:
        spatial = {1: "time", 2: "height, width"}.get(n, f"{n} spatial axes")
        raise UnsupportedOpError(f"{name} is supported for (batch, channels, {spatial}) input, not for "
                                 f"{input.ndim}-d input")
