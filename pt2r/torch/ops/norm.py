"""Norms and regularizers: LayerNorm, RMSNorm, GroupNorm, BatchNorm, InstanceNorm, Dropout, and their
functional forms.

Statistics are computed with RETURNN's ``norm`` layer, which reduces with
plain ``tf.reduce_mean`` (no sequence masking): over a dynamic axis the
padding frames count, as they do for torch on the padded batch. The affine
parameters are kept out of the ``norm`` layer (``scale``/``bias`` off) and
applied by ``combine`` layers, so they stay the trace's variables.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import activation, combine, ctx, eval_layer, make, unify
from pt2r.torch.ops.registry import module, op
from pt2r.torch.values import rebind_in_place, static_dims


def _param(*shape: int) -> Parameter:
    return Parameter(Tensor(static_dims(shape, "param"), _dtype.float32))


def _buffer(shape: Sequence[int], dtype: _dtype.dtype = _dtype.float32) -> Tensor:
    """A buffer whose value comes from the trace at each call (running stats change between calls)."""
    return Tensor(static_dims(shape, "buffer"), dtype)


def _normalize(x: Tensor, axes: Sequence[Dim], eps: float) -> Tensor:
    """(x - mean) / sqrt(var + eps), mean and biased var over ``axes``, padding frames included."""
    return make({"class": "norm", "from": x, "axes": list(axes), "scale": False, "bias": False,
                 "epsilon": float(eps)}, x.dims, dtype=x.dtype)


def _affine(x: Tensor, weight: Tensor | None, bias: Tensor | None, axes: Sequence[int]) -> Tensor:
    """``x * weight + bias`` (``combine`` layers), the parameters' axes being ``x``'s axes ``axes`` (in order)."""
    for param, kind in ((weight, "multiply"), (bias, "add")):
        if param is None:
            continue
        if param.ndim != len(axes):
            raise UnsupportedOpError(f"a {param.ndim}-d affine parameter for {len(axes)} normalized axes is not "
                                     "supported")
        for i, axis in enumerate(axes):
            param = unify(param, i, x.dims[axis])
        x = _per_axis(kind, x, param)
    return x


def _per_axis(kind: str, x: Tensor, param: Tensor) -> Tensor:
    """``combine`` of ``x`` with ``param`` (whose dims are some of ``x``'s), lined up by dim, not
    by torch broadcasting (a per-channel parameter meets axis 1 of ``x``)."""
    return make({"class": "combine", "kind": kind, "from": [x, param], "allow_broadcast_all_sources": True},
                x.dims, dtype=x.dtype)


def _static(x: Tensor, axes: Sequence[int], what: str) -> None:
    for axis in axes:
        d = x.dims[axis]
        if d.dimension is None or d.is_batch_dim():
            raise UnsupportedOpError(f"{what} over the dynamic axis {axis} ({d}) is not supported")


# -- layer norm -----------------------------------------------------------------


def _shape(normalized_shape: Any) -> tuple[int, ...]:
    """A ``normalized_shape`` argument (an int or a sequence of them) as a tuple."""
    return (int(normalized_shape),) if isinstance(normalized_shape, int) else tuple(map(int, normalized_shape))


def _last_axes(input: Tensor, normalized_shape: Any, what: str) -> list[int]:  # noqa: A002
    """The axes ``normalized_shape`` names, the input's last ones; static ones only."""
    shape = list(_shape(normalized_shape))
    axes = list(range(input.ndim - len(shape), input.ndim))
    if not shape or axes[0] < 0 or [int(input.shape[a]) for a in axes] != shape:
        raise ModelError(f"{what}: normalized_shape {shape} does not end the input shape {list(input.shape)}")
    _static(input, axes, what)
    return axes


@op("torch.nn.functional.layer_norm", "torch.layer_norm")
def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5, cudnn_enable: bool = True) -> Tensor:
    """Also ``torch.layer_norm`` (same arguments, plus ``cudnn_enable``)."""
    axes = _last_axes(input, normalized_shape, "layer_norm")
    return _affine(_normalize(input, [input.dims[a] for a in axes], eps), weight, bias, axes)


@module("torch.nn.LayerNorm")
class LayerNorm(Module):
    axis_roles = {name: ("normalized_shape", "normalized_shape.1") for name in ("weight", "bias")}

    def __init__(self, normalized_shape: Any, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device: Any = None, dtype: Any = None):
        super().__init__()
        shape = _shape(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = _param(*shape) if elementwise_affine else None
        self.bias = _param(*shape) if elementwise_affine and bias else None
        for name in ("weight", "bias"):
            if getattr(self, name) is None:
                self.register_parameter(name, None)

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


@op("torch.nn.functional.rms_norm", "torch.rms_norm")
def rms_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None,  # noqa: A002
             eps: float | None = None) -> Tensor:
    """``x * rsqrt(mean(x ** 2) + eps) * weight`` over the last axes (``normalized_shape``); ``eps``
    by default the dtype's machine epsilon, as torch takes it."""
    axes = _last_axes(input, normalized_shape, "rms_norm")
    if eps is None:
        eps = float(np.finfo(np.dtype(input.dtype.name)).eps)
    normalized = [input.dims[a] for a in axes]
    mean_square = make({"class": "reduce", "mode": "mean", "from": activation(input, "square"), "axes": normalized},
                       [d for d in input.dims if d not in normalized], dtype=input.dtype)
    inv_rms = activation(combine("add", [mean_square, float(eps)], input.dtype), "rsqrt")
    return _affine(_per_axis("multiply", input, inv_rms), weight, None, axes)


@module("torch.nn.RMSNorm")
class RMSNorm(Module):
    axis_roles = {"weight": ("normalized_shape", "normalized_shape.1")}

    def __init__(self, normalized_shape: Any, eps: float | None = None, elementwise_affine: bool = True,
                 device: Any = None, dtype: Any = None):
        super().__init__()
        shape = _shape(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = _param(*shape) if elementwise_affine else None
        if not elementwise_affine:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return rms_norm(input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


# -- group norm -----------------------------------------------------------------


@op("torch.nn.functional.group_norm", "torch.group_norm")
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,  # noqa: A002
               bias: Tensor | None = None, eps: float = 1e-5, cudnn_enabled: bool = True) -> Tensor:
    """Over (channels of a group, every spatial axis) per group; input (N, C, *). Also ``torch.group_norm``."""
    if input.ndim < 2:
        raise ModelError("group_norm of a tensor with less than 2 axes is not supported")
    channels = input.dims[1]
    _static(input, [1], "group_norm channels")
    groups, c = int(num_groups), channels.dimension
    if c % groups:
        raise ModelError(f"group_norm: {c} channels do not split into {groups} groups")
    spatial = list(input.dims[2:])
    if groups == 1:
        normed = _normalize(input, [channels] + spatial, eps)
    elif groups == c:  # each channel its own group (wav2vec 2.0's first conv): no split needed, and TF's
        # reduction over the time axis alone is faster than over it and a size-1 group axis
        normed = _normalize(input, spatial, eps)
    else:
        group_dim, per_group = Dim(groups, name="groups"), Dim(c // groups, name="group_channels")
        split_dims = list(input.dims[:1]) + [group_dim, per_group] + spatial
        split = make({"class": "split_dims", "from": input, "axis": channels, "dims": [group_dim, per_group]},
                     split_dims, dtype=input.dtype)
        normed = _normalize(split, [per_group] + spatial, eps)
        normed = make({"class": "merge_dims", "from": normed, "axes": [group_dim, per_group], "out_dim": channels,
                       "keep_order": True}, input.dims, dtype=input.dtype)
    return _affine(normed, weight, bias, [1])


@module("torch.nn.GroupNorm")
class GroupNorm(Module):
    axis_roles = {"weight": ("num_channels",), "bias": ("num_channels",)}

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True,
                 device: Any = None, dtype: Any = None):
        super().__init__()
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = _param(num_channels) if affine else None
        self.bias = _param(num_channels) if affine else None
        if not affine:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return group_norm(input, self.num_groups, self.weight, self.bias, self.eps)


# -- batch norm -----------------------------------------------------------------


@op("torch.nn.functional.batch_norm")
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,  # noqa: A002
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Per channel (axis 1), then affine. Eval mode: ``(x - running_mean) / sqrt(running_var + eps)``.
    Training mode: the batch statistics, mean and biased variance over every other axis (a ``norm`` layer;
    padding frames count, as torch computes on the padded batch); torch's in-place update of the running
    stats is not part of the output, and not converted."""
    if input.ndim < 2:
        raise ModelError("batch_norm of a tensor with less than 2 axes is not supported")
    _static(input, [1], "batch_norm channels")
    channels = input.dims[1]
    if training:
        normed = _normalize(input, [d for d in input.dims if d != channels], eps)
        return _affine(normed, weight, bias, [1])
    if running_mean is None or running_var is None:
        raise ModelError("batch_norm: running_mean and running_var must be defined in evaluation mode")
    mean, var = unify(running_mean, 0, channels), unify(running_var, 0, channels)
    inv_std = activation(combine("add", [var, float(eps)], var.dtype), "rsqrt")
    normed = _per_axis("multiply", _per_axis("subtract", input, mean), inv_std)
    return _affine(normed, weight, bias, [1])


@op("torch.batch_norm")
def torch_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,  # noqa: A002
                     running_mean: Tensor | None, running_var: Tensor | None, training: bool, momentum: float,
                     eps: float, cudnn_enabled: bool = True) -> Tensor:
    """``torch.batch_norm``: F.batch_norm with the parameters first."""
    return batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


class _BatchNorm(Module):
    """BatchNorm (see `batch_norm`); each registered subclass names the input ranks it accepts."""

    axis_roles = {name: ("num_features",) for name in ("weight", "bias", "running_mean", "running_var")}
    dims: tuple[int, ...] = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device: Any = None, dtype: Any = None):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = _param(num_features) if affine else None
        self.bias = _param(num_features) if affine else None
        if not affine:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _buffer([num_features]))
            self.register_buffer("running_var", _buffer([num_features]))
            self.register_buffer("num_batches_tracked", _buffer([], _dtype.int64))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)

    def reset_parameters(self) -> None:
        """Parameters and buffers come from the trace."""

    reset_running_stats = reset_parameters

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim not in self.dims:
            raise ModelError(f"{type(self).__name__} expects {' or '.join(map(str, self.dims))}-d input, "
                             f"got {input.ndim}-d")
        # torch's choice: batch statistics in training, and in eval without running stats
        batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        running = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if running else None, self.running_var if running else None,
                          self.weight, self.bias, batch_stats, 0.0, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


@module("torch.nn.BatchNorm1d")
class BatchNorm1d(_BatchNorm):
    dims = (2, 3)


@module("torch.nn.BatchNorm2d")
class BatchNorm2d(_BatchNorm):
    dims = (4,)


# -- instance norm --------------------------------------------------------------


@op("torch.nn.functional.instance_norm")
def instance_norm(input: Tensor, running_mean: Tensor | None = None,  # noqa: A002
                  running_var: Tensor | None = None, weight: Tensor | None = None, bias: Tensor | None = None,
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Per sample and channel over the spatial axes (input (N, C, *); padding frames count, as torch
    computes on the padded batch), then affine; without the input's statistics, the running ones (as
    batch_norm in eval mode)."""
    if input.ndim < 3:
        raise UnsupportedOpError("instance_norm of unbatched input is not supported")
    _static(input, [1], "instance_norm channels")
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    return _affine(_normalize(input, list(input.dims[2:]), eps), weight, bias, [1])


class _InstanceNorm(_BatchNorm):
    """InstanceNorm (see `instance_norm`): BatchNorm's parameters and buffers, without them by default."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False, device: Any = None, dtype: Any = None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if input.ndim not in self.dims:
            raise UnsupportedOpError(f"{type(self).__name__} on {input.ndim}-d input is not supported (only batched "
                                     f"{self.dims[0]}-d input)")
        return instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                             self.training or not self.track_running_stats, 0.0, self.eps)


@module("torch.nn.InstanceNorm1d")
class InstanceNorm1d(_InstanceNorm):
    dims = (3,)


@module("torch.nn.InstanceNorm2d")
class InstanceNorm2d(_InstanceNorm):
    dims = (4,)


# -- dropout --------------------------------------------------------------------


@op(*[f"torch.nn.functional.{n}" for n in ("dropout", "dropout1d", "dropout2d", "dropout3d")])
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """``F.dropout``'s semantics: identity unless training. In training the mask is random: it is
    read off the recorded output (torch computes ``input * mask / (1 - p)``) and applied to the
    input in the net, so the net stays connected to its input (tied to the recorded shape).
    """
    if not training or p == 0:
        return input
    recorded = ctx().recorded_output()
    if not isinstance(recorded, Tensor) or recorded.value is None:
        raise UnsupportedOpError("dropout whose recorded output is not a tensor is not supported")
    scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
    mask = np.where(recorded.value != 0, scale, 0.0).astype(input.dtype.name)
    mask_tensor = Tensor(static_dims(mask.shape, "dropout_mask"), input.dtype, value=mask,
                         name=ctx().layer_name_for() + ".mask")
    raw = list(input.layer.output.dims)
    perm = [input.dims.index(d) for d in raw]  # the mask (torch order) into the input layer's axis order
    return eval_layer(f"source(0) * tf.transpose(source(1, auto_convert=False), {perm})", [input, mask_tensor],
                      input.dims, input.dtype, raw_dims=raw)


class _DropoutNd(Module):
    """The dropout modules (each registered subclass names its calls).
    Leaf modules: nothing inside is recorded, so their forward handles the random case itself."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ModelError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        # Dropout1d/2d/3d zero whole channels: the mask read off the output is elementwise all the same.
        output = dropout(input, self.p, self.training)
        if self.inplace:
            rebind_in_place(input, output)
        return output

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


@module("torch.nn.Dropout")
class Dropout(_DropoutNd):
    pass


@module("torch.nn.Dropout1d")
class Dropout1d(_DropoutNd):
    pass


@module("torch.nn.Dropout2d")
class Dropout2d(_DropoutNd):
    pass


@module("torch.nn.Dropout3d")
class Dropout3d(_DropoutNd):
    pass


class _AlphaDropoutBase(_DropoutNd):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if self.training and self.p > 0:
            raise UnsupportedOpError(f"{type(self).__name__} in training mode is not supported")
        return input


@module("torch.nn.AlphaDropout")
class AlphaDropout(_AlphaDropoutBase):
    pass


@module("torch.nn.FeatureAlphaDropout")
class FeatureAlphaDropout(_AlphaDropoutBase):
    pass
