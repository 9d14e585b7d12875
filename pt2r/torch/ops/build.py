"""Helpers for op builders: making layers, unifying dims, torch broadcasting.

Torch identifies axes by position, RETURNN by dim tag. Where torch lines two
axes up (``x + y``, a conv's input channels and its weight's), the builder
must make them the same RETURNN dim: `unify` does that, for free while a
tensor is not yet in the net, else by a ``reinterpret_data`` layer.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Tensor
from pt2r.torch.dims import canonical, canonical_in


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


def fresh_dim(dim: Dim) -> Dim:
    """A new dim of ``dim``'s size, for a second axis of that size in one tensor (``x @ x.T`` over
    time, a time-by-time mask): a dynamic one takes ``dim``'s lengths in ``reinterpret_data``."""
    if dim.is_batch_dim():
        raise UnsupportedOpError("a result with two batch axes is not supported")
    fresh = Dim(dim.dimension, name=f"{dim.description}_2")
    if dim.dimension is None:  # its size at record time, for ``shape`` queries before the call ends
        ctx().dim_values[fresh] = ctx().dim_value(dim)
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
    return make({"class": "reinterpret_data", "from": x, "set_dim_tags": {old: dim}}, dims, dtype=x.dtype,
                name=aux_name("retag"))


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


def sizes(x: Tensor) -> list[int]:
    return [int(n) for n in x.shape]


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
        for i, n in enumerate(shape):
            if n != 1 or result_size[ndim - t.ndim + i] == 1:
                t = unify(t, i, result[ndim - t.ndim + i])
        if squeeze:
            keep = [d for d in t.dims if d not in squeeze]
            t = make({"class": "squeeze", "from": t, "axis": squeeze}, keep, dtype=t.dtype,
                     name=ctx().layer_name_for() + ".squeeze")
        out.append(t)
    return out, list(result)


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
