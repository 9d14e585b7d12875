"""Padding: F.pad and the ReflectionPad1d / ReplicationPad1d / ConstantPad1d modules.

Torch pads the tensor as it is, padding frames included; so does the
RETURNN pad layer with ``handle_dynamic_dims=False``, which keeps the
exported net computing what PyTorch computes on a padded batch.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch._tensor import Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import make, slice_axis
from pt2r.torch.ops.registry import module, op

_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "replication"}


@op("torch.nn.functional.pad")
def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ModelError(f"invalid pad {pad} for a {input.ndim}-d tensor")
    pad = [_amount(p) for p in pad]
    if mode not in _MODES:
        raise UnsupportedOpError(f"pad mode {mode!r} is not supported")
    if any(p < 0 for p in pad):  # crops those sides first (RWKV's time shift, ``ZeroPad2d((0, 0, 1, -1))``)
        input = _cropped(input, pad)
        pad = [max(p, 0) for p in pad]
    axes, paddings = [], []
    for i in range(len(pad) // 2):
        left, right = int(pad[2 * i]), int(pad[2 * i + 1])
        if left == right == 0:
            continue
        axes.append(input.dims[input.ndim - 1 - i])
        paddings.append((left, right))
    if not axes:
        return input
    if mode == "constant" and not math.isfinite(float(value or 0.0)):
        raise UnsupportedOpError("padding with a non-finite constant is not supported")
    if mode == "replicate":  # RETURNN's pad layer replicates along one axis at a time
        for axis, padding in zip(axes, paddings):
            input = _pad_layer(input, [axis], [padding], mode, value)
        return input
    return _pad_layer(input, axes, paddings, mode, value)


def _amount(p: Any) -> Any:
    """A padding amount: an int, a dynamic size, or a 0-d constant tensor (torch takes its value)."""
    if not isinstance(p, Tensor):
        return p
    if p.ndim == 0 and p._layer is None and getattr(p, "value", None) is not None:
        return int(p.value)
    raise UnsupportedOpError("padding by amounts computed in the net (tensors, e.g. from the length) is not "
                             "supported (only ints and sizes from x.shape)")


def _cropped(x: Tensor, pad: Sequence[Any]) -> Tensor:
    """``x`` cut where ``pad`` is negative: -p frames off that side of the axis."""
    for i in range(len(pad) // 2):
        left, right = min(int(pad[2 * i]), 0), min(int(pad[2 * i + 1]), 0)
        if left or right:
            x = slice_axis(x, x.ndim - 1 - i, slice(-left or None, right or None))
    return x


def _pad_layer(x: Tensor, axes: list[Any], paddings: list[tuple[int, int]], mode: str, value: float | None) -> Tensor:
    """RETURNN's ``pad`` layer: ``axes`` (dims of ``x``) padded by ``paddings`` (left, right)."""
    dims = list(x.dims)
    for axis, (left, right) in zip(axes, paddings):
        dims[x.dims.index(axis)] = axis + (left + right)
    layer = {"class": "pad", "from": x, "axes": axes, "padding": paddings,
             "out_dims": [dims[x.dims.index(a)] for a in axes], "mode": _MODES[mode], "handle_dynamic_dims": False}
    if mode == "constant":
        layer["value"] = float(value or 0.0)
    return make(layer, dims, dtype=x.dtype)


class _Pad(Module):
    """The padding modules: ``padding`` an int (every side of the last ``axes`` axes) or torch's tuple."""

    mode = "constant"
    axes = 1

    def __init__(self, padding: Any, value: float = 0.0):
        super().__init__()
        self.padding = tuple(padding) if isinstance(padding, (tuple, list)) else (int(padding),) * (2 * self.axes)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return pad(input, self.padding, self.mode, self.value)


@module("torch.nn.ReflectionPad1d")
class ReflectionPad1d(_Pad):
    mode = "reflect"


@module("torch.nn.ReflectionPad2d")
class ReflectionPad2d(_Pad):
    mode, axes = "reflect", 2


@module("torch.nn.ReplicationPad1d")
class ReplicationPad1d(_Pad):
    mode = "replicate"


@module("torch.nn.ReplicationPad2d")
class ReplicationPad2d(_Pad):
    mode, axes = "replicate", 2


@module("torch.nn.ConstantPad1d")
class ConstantPad1d(_Pad):
    def __init__(self, padding: Any, value: float):
        super().__init__(padding, value)


@module("torch.nn.ConstantPad2d")
class ConstantPad2d(_Pad):
    axes = 2

    def __init__(self, padding: Any, value: float):
        super().__init__(padding, value)


@module("torch.nn.ZeroPad1d")
class ZeroPad1d(_Pad):
    def __init__(self, padding: Any):
        super().__init__(padding)


@module("torch.nn.ZeroPad2d")
class ZeroPad2d(_Pad):
    axes = 2

    def __init__(self, padding: Any):
        super().__init__(padding)
