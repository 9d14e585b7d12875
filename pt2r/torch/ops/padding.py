"""Padding: F.pad and the ReflectionPad1d / ReplicationPad1d / ConstantPad1d modules.

Torch pads the tensor as it is, padding frames included; so does the
RETURNN pad layer with ``handle_dynamic_dims=False``, which keeps the
exported net computing what PyTorch computes on a padded batch.

A reflect pad is an ``eval`` layer concatenating the reversed border slices
with the input (`_reflect`): the same values as the pad layer's ``tf.pad``
in mode ``REFLECT`` (TF's MirrorPad kernel), at a fraction of its run time.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch._tensor import Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import ctx, make
from pt2r.torch.ops.registry import module, op

_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "replication"}


@op("torch.nn.functional.pad")
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ModelError(f"invalid pad {pad} for a {input.ndim}-d tensor")
    if mode not in _MODES:
        raise UnsupportedOpError(f"pad mode {mode!r} is not supported")
    if any(p < 0 for p in pad):
        raise UnsupportedOpError("negative padding (cropping) is not supported")
    axes, paddings, dims = [], [], list(input.dims)
    for i in range(len(pad) // 2):
        axis = input.ndim - 1 - i
        left, right = int(pad[2 * i]), int(pad[2 * i + 1])
        if left == right == 0:
            continue
        axes.append(input.dims[axis])
        paddings.append((left, right))
        dims[axis] = input.dims[axis] + (left + right)
    if not axes:
        return input
    if mode == "reflect":
        return _reflect(input, axes, paddings, dims)
    layer = {"class": "pad", "from": input, "axes": axes, "padding": paddings, "out_dims": [dims[input.dims.index(a)]
             for a in axes], "mode": _MODES[mode], "handle_dynamic_dims": False}
    if mode == "constant":
        if not math.isfinite(float(value or 0.0)):
            raise UnsupportedOpError("padding with a non-finite constant is not supported")
        layer["value"] = float(value or 0.0)
    out = make(layer, dims, dtype=input.dtype)
    if mode == "constant" and not value:
        pairs = [(0, 0)] * input.ndim
        for axis, pair in zip(axes, paddings):
            pairs[input.dims.index(axis)] = pair
        ctx().memo(_ZERO_PADDED)[out.layer] = (input.snapshot(), pairs)
    return out


#: replay memo: pad layer -> (its input, (left, right) per torch axis), for zero pads a conv can do itself
_ZERO_PADDED = "padding.zero_padded"


def zero_padded(x: Tensor) -> tuple[Tensor, list[tuple[int, int]]] | None:
    """``(input, (left, right) per axis)`` when ``x`` is ``input`` padded with zeros by `pad`, else None.

    A conv after ``F.pad`` (PQMF does so) can then pad by itself (``tf.nn.conv2d`` takes explicit
    padding) and skip the padded copy; the pad layer stays in the net, checked against the trace,
    but the exported net's output no longer depends on it."""
    return ctx().memo(_ZERO_PADDED).get(x.layer) if x._layer is not None else None


def _reflect(input: Tensor, axes: list[Dim], paddings: list[tuple[int, int]], dims: list[Dim]) -> Tensor:  # noqa: A002
    """Reflect padding as slices, reversed, concatenated with the input, along each axis in turn, on the
    input's raw axes. ``tf.slice`` (not ``x[a:b]``, which clips) fails as MirrorPad and torch do when a
    pad is not shorter than the axis."""
    raw = list(input.layer.output.dims)
    expr = "source(0, auto_convert=False)"
    for axis, (left, right) in zip(axes, paddings):
        a = raw.index(axis)
        n = len(raw)

        def part(begin: str, size: int) -> str:
            begins = ", ".join(begin if i == a else "0" for i in range(n))
            sizes = ", ".join(str(size) if i == a else "-1" for i in range(n))
            return f"tf.reverse(tf.slice(x, [{begins}], [{sizes}]), [{a}])"
        parts = ([part("1", left)] if left else []) + ["x"] + \
            ([part(f"tf.shape(x)[{a}] - {right + 1}", right)] if right else [])
        expr = f"(lambda x: tf.concat([{', '.join(parts)}], axis={a}))({expr})"
        raw[a] = dims[input.dims.index(axis)]
    return make({"class": "eval", "from": [input], "eval": expr,
                 "out_type": {"dim_tags": raw, "dtype": input.dtype.name}}, dims, dtype=input.dtype)


class _Pad1d(Module):
    mode = "constant"

    def __init__(self, padding: Any, value: float = 0.0):
        super().__init__()
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (int(padding), int(padding))
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pad(input, self.padding, self.mode, self.value)


@module("torch.nn.ReflectionPad1d")
class ReflectionPad1d(_Pad1d):
    mode = "reflect"


@module("torch.nn.ReplicationPad1d")
class ReplicationPad1d(_Pad1d):
    mode = "replicate"


@module("torch.nn.ConstantPad1d")
class ConstantPad1d(_Pad1d):
    def __init__(self, padding: Any, value: float):
        super().__init__(padding, value)
