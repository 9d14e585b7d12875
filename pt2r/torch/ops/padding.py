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
from pt2r.torch.ops.build import make
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
    layer = {"class": "pad", "from": input, "axes": axes, "padding": paddings, "out_dims": [dims[input.dims.index(a)]
             for a in axes], "mode": _MODES[mode], "handle_dynamic_dims": False}
    if mode == "constant":
        if not math.isfinite(float(value or 0.0)):
            raise UnsupportedOpError("padding with a non-finite constant is not supported")
        layer["value"] = float(value or 0.0)
    return make(layer, dims, dtype=input.dtype)


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
