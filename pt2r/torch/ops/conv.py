"""Linear and convolution: Conv1d, ConvTranspose1d and their functional forms.

Weights stay in torch's layout; RETURNN's conv layers take them as filter
layers with their dims named (``filter_perm`` for the transposed conv, whose
filter must be in TF's raw order).
"""

from __future__ import annotations

from typing import Any

from returnn.tensor import Dim

from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import make, unify
from pt2r.torch.ops.registry import module, op
from pt2r.torch.values import static_dims


def _single(value: Any) -> int:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise ValueError(f"expected one value for a 1-d conv, got {value}")
        return int(value[0])
    return int(value)


def _conv_bias(bias: Tensor | None, out_dim: Dim) -> Tensor | None:
    return unify(bias, 0, out_dim) if bias is not None else None


@op("torch.nn.functional.conv1d", aliases=("torch.conv1d",))
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    if input.ndim != 3:
        raise ValueError("conv1d is supported for (batch, channels, time) input")
    batch, in_dim, time = input.dims
    out_dim, _, k_dim = weight.dims
    stride, dilation = _single(stride), _single(dilation)
    if groups == 1:
        weight = unify(weight, 1, in_dim)
    if isinstance(padding, str):
        if padding == "same" and stride != 1:
            raise ValueError("padding='same' needs stride 1")
        pad = padding
    else:
        pad = _single(padding)
    from returnn.tf.layers.basic import ConvLayer
    out_time = ConvLayer.calc_out_dim(in_dim=time, filter_size=k_dim.dimension, stride=stride,
                                      padding=pad, dilation_rate=dilation)
    if pad == "same" and (dilation * (k_dim.dimension - 1)) % 2:
        raise ValueError("padding='same' with an even receptive field pads asymmetrically in torch and TF")
    return make({
        "class": "conv", "from": input, "in_dim": in_dim, "out_dim": out_dim, "in_spatial_dims": [time],
        "out_spatial_dims": [out_time], "filter_size": [k_dim], "filter": weight, "padding": pad,
        "strides": stride, "dilation_rate": dilation, "groups": groups,
        "with_bias": bias is not None, "bias": _conv_bias(bias, out_dim),
    }, [batch, out_dim, out_time], dtype=input.dtype)


@op("torch.nn.functional.conv_transpose1d", aliases=("torch.conv_transpose1d",))
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    if input.ndim != 3:
        raise ValueError("conv_transpose1d is supported for (batch, channels, time) input")
    if groups != 1 or _single(dilation) != 1:
        raise ValueError("conv_transpose1d with groups or dilation is not supported")
    batch, in_dim, time = input.dims
    weight = unify(weight, 0, in_dim)
    _, out_dim, k_dim = weight.dims
    stride, padding, output_padding = _single(stride), _single(padding), _single(output_padding)
    k = k_dim.dimension
    # torch: out = (T - 1) * stride - 2 * padding + (k - 1) + output_padding + 1
    out_time = time * stride if stride != 1 else time
    extra = k - stride - 2 * padding + output_padding
    if extra:
        out_time = out_time + extra
    return make({
        "class": "transposed_conv", "from": input, "in_dim": in_dim, "out_dim": out_dim,
        "in_spatial_dims": [time], "out_spatial_dims": [out_time], "filter_size": [k], "strides": [stride],
        "padding": "valid", "remove_padding": padding, "output_padding": output_padding,
        "filter": weight, "filter_perm": [k_dim, out_dim, in_dim],
        "with_bias": bias is not None, "bias": _conv_bias(bias, out_dim),
    }, [batch, out_dim, out_time], dtype=input.dtype)


def _param(*shape: int) -> Parameter:
    return Parameter(Tensor(static_dims(shape, "param"), _dtype.float32))


class _ConvNd(Module):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any,
                 dilation: Any, groups: int, bias: bool, padding_mode: str, *, transposed: bool,
                 output_padding: Any = 0):
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"padding_mode={padding_mode!r} is not supported (use F.pad before the conv)")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = (_single(kernel_size),), (_single(stride),)
        self.padding = padding if isinstance(padding, str) else (_single(padding),)
        self.dilation, self.output_padding = (_single(dilation),), (_single(output_padding),)
        self.padding_mode, self.transposed = padding_mode, transposed
        if transposed:
            self.weight = _param(in_channels, out_channels // groups, self.kernel_size[0])
        else:
            self.weight = _param(out_channels, in_channels // groups, self.kernel_size[0])
        self.bias = _param(out_channels) if bias else None
        if not bias:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")


@module("torch.nn.Conv1d")
class Conv1d(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, transposed=False)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return conv1d(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


@module("torch.nn.ConvTranspose1d")
class ConvTranspose1d(_ConvNd):
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, transposed=True, output_padding=output_padding)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        if output_size is not None:
            raise ValueError("ConvTranspose1d with output_size is not supported")
        return conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding, self.output_padding,
                                self.groups, self.dilation)

