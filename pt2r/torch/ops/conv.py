"""Convolutions: Conv1d/2d, ConvTranspose1d/2d and their functional forms.

Weights stay in torch's axis order as tensors, but a weight from the trace
enters the net as a variable with its raw axes in TF's filter order
(`build.enter_as`; the checkpoint holds it so), so no transpose runs per
forward. What TF's kernels lack is done on the filter, in one ``eval`` layer
(`_expand_filter`): groups of a transposed conv become a block-diagonal
filter, dilation (of a transposed conv, or with stride) a filter with zeros
between its taps.

Convs are RETURNN's ``conv`` layers (channels last, as RETURNN lays them
out). They cost more than calling ``tf.nn.conv2d`` directly would: RETURNN
pads with a padded copy of the input, adds the bias as an op of its own, and
TF wraps a dilated conv in space-to-batch reshapes (about 20% of the full
MB-MelGAN's forward time at 800 frames). A 1-d transposed conv whose taps
are a multiple of its stride is a plain ``conv`` layer with ``stride * out``
channels (`_conv_transpose_polyphase`), several times faster than TF's
transposed conv; other transposed convs are RETURNN's ``transposed_conv``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import check_channels_first, ctx, enter_as, eval_layer, make, ntuple, unify
from pt2r.torch.ops.registry import module, op
from pt2r.torch.values import static_dims

def _conv_bias(bias: Tensor | None, out_dim: Dim) -> Tensor | None:
    return unify(bias, 0, out_dim) if bias is not None else None


def _one_or_list(values: tuple[int, ...]) -> int | list[int]:
    return values[0] if len(set(values)) == 1 else list(values)


def _expand_filter(weight: Tensor, groups: int, dilation: tuple[int, ...], dims: list[Dim]) -> Tensor:
    """A filter without groups or dilation that computes the same, as an eval layer with ``dims``
    in TF's raw order: (taps.., in, out) for a conv, (taps.., out, in) for a transposed conv.

    ``weight`` is torch's: (out, in/groups, taps..) for a conv, (in, out/groups, taps..) for a
    transposed conv; call its first two axes (A, B): TF's order is (taps.., B, A) for both.
    Groups: a block-diagonal filter over (A, B), zero where the channels' groups differ.
    Dilation: ``d - 1`` zero taps between taps.
    """
    w_dims, dtype = weight.dims, weight.dtype.name
    raw = list(weight.layer.output.dims)
    n = len(w_dims) - 2
    perm = [raw.index(d) for d in w_dims]
    expr = "source(0, auto_convert=False)"  # RETURNN's axis order: made torch's
    expr = expr if perm == sorted(perm) else f"tf.transpose({expr}, {perm})"
    a, b = w_dims[0].dimension, w_dims[1].dimension
    taps = [d.dimension for d in w_dims[2:]]
    if groups != 1:
        # (A, B, k..) -> (g, A/g, B, k..) x eye(g, h) -> (g, A/g, h, B, k..) -> (A, h*B, k..)
        k = "klm"[:n]
        expr = (f"tf.reshape(tf.einsum('gab{k},gh->gahb{k}', tf.reshape({expr}, {[groups, a // groups, b] + taps}), "
                f"tf.eye({groups}, dtype={dtype!r})), {[a, groups * b] + taps})")
        b *= groups
    for i, d in enumerate(dilation):
        if d == 1:
            continue
        # taps axis of size k -> (k, d), zeros in [:, 1:] -> k*d, cut to d*(k-1)+1
        axis, shape = 2 + i, [a, b] + taps
        zeros = f"tf.zeros({shape}, dtype={dtype!r})"
        merged = shape[:axis] + [taps[i] * d] + shape[axis + 1:]
        taps[i] = d * (taps[i] - 1) + 1
        expr = (f"tf.slice(tf.reshape(tf.stack([{expr}] + [{zeros}] * {d - 1}, axis={axis + 1}), {merged}), "
                f"{[0] * len(shape)}, {[a, b] + taps})")
    expr = f"tf.transpose({expr}, {list(range(2, 2 + n)) + [1, 0]})"
    return eval_layer(expr, [weight], dims, weight.dtype, raw_dims=dims, name=ctx().layer_name_for() + ".filter")


def _conv(name: str, n: int, input: Tensor, weight: Tensor, bias: Tensor | None, stride: Any,  # noqa: A002
          padding: Any, dilation: Any, groups: int) -> Tensor:
    check_channels_first(name, input, n)
    from returnn.tf.layers.basic import ConvLayer
    batch, in_dim, *spatial = input.dims
    out_dim, _, *k_dims = weight.dims
    stride, dilation = ntuple(stride, n, "stride"), ntuple(dilation, n, "dilation")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ModelError(f"padding={padding!r} is not supported")
        if padding == "same" and set(stride) != {1}:
            raise ModelError("padding='same' needs stride 1")
        # torch and TF both pad d*(k-1) in total, the odd one on the right
        pad: Any = padding if padding == "same" else 0
        pads: Any = (pad,) * n
    else:
        pads = ntuple(padding, n, "padding")
        pad = _one_or_list(pads)
    if (max(stride) > 1 or groups > 1) and max(dilation) > 1:
        # TF's kernels lack stride with dilation (RETURNN's fallback needs channels-first, the depthwise
        # conv has none), and RETURNN's grouped conv loses static axes when dilated: the dilation goes
        # into the filter, as zero taps
        k_dims = [Dim(dl * (k.dimension - 1) + 1, name=f"{k.description}:dilated") for k, dl in zip(k_dims, dilation)]
        # RETURNN pairs a grouped filter's input axis with the dim in_dim // groups
        weight = _expand_filter(weight, 1, dilation, [*k_dims, in_dim // groups, out_dim])
        dilation = (1,) * n
    else:
        weight = unify(weight, 1, in_dim // groups)
        weight = enter_as(weight, [*k_dims, weight.dims[1], out_dim])  # TF's filter order: no transpose per run
    out_spatial = [ConvLayer.calc_out_dim(in_dim=s, filter_size=k.dimension, stride=st, padding=p,
                                          dilation_rate=dl)
                   for s, k, st, p, dl in zip(spatial, k_dims, stride, pads, dilation)]
    return make({
        "class": "conv", "from": input, "in_dim": in_dim, "out_dim": out_dim, "in_spatial_dims": spatial,
        "out_spatial_dims": out_spatial, "filter_size": k_dims, "filter": weight, "padding": pad,
        "strides": _one_or_list(stride), "dilation_rate": _one_or_list(dilation), "groups": groups,
        "with_bias": bias is not None, "bias": _conv_bias(bias, out_dim),
    }, [batch, out_dim, *out_spatial], dtype=input.dtype)


def _conv_transpose(name: str, n: int, input: Tensor, weight: Tensor, bias: Tensor | None,  # noqa: A002
                    stride: Any, padding: Any, output_padding: Any, groups: int, dilation: Any) -> Tensor:
    check_channels_first(name, input, n)
    if isinstance(padding, str):
        raise UnsupportedOpError(f"{name} with padding={padding!r} is not supported")
    batch, in_dim, *spatial = input.dims
    weight = unify(weight, 0, in_dim)
    stride, padding = ntuple(stride, n, "stride"), ntuple(padding, n, "padding")
    output_padding, dilation = ntuple(output_padding, n, "output_padding"), ntuple(dilation, n, "dilation")
    taps = [dl * (k.dimension - 1) + 1 for dl, k in zip(dilation, weight.dims[2:])]
    out_spatial = []
    for size, k, st, p, op_ in zip(spatial, taps, stride, padding, output_padding):
        # torch: out = (T - 1) * stride - 2 * padding + (k - 1) + output_padding + 1
        out = size * st if st != 1 else size
        extra = k - st - 2 * p + op_
        out_spatial.append(out + extra if extra > 0 else out - (-extra) if extra else out)
    if n == 1 and groups == 1 and dilation == (1,) and taps[0] % stride[0] == 0 and weight._layer is None \
            and weight.value is not None and padding[0] >= output_padding[0]:
        return _conv_transpose_polyphase(input, weight, bias, stride[0], padding[0], output_padding[0],
                                         out_spatial[0])
    if groups == 1 and set(dilation) == {1}:
        _, out_dim, *k_dims = weight.dims
        filter_perm = [*k_dims, out_dim, in_dim]
        weight = enter_as(weight, filter_perm)  # TF's filter order: no transpose per run
        if list(weight.layer.output.dims) == filter_perm:
            filter_perm = None
    else:
        out_dim = weight.dims[1] if groups == 1 else Dim(weight.dims[1].dimension * groups,
                                                         name=f"{weight.dims[1].description}:out")
        k_dims = [Dim(k, name=f"{d.description}:tap") for k, d in zip(taps, weight.dims[2:])]
        weight = _expand_filter(weight, groups, dilation, [*k_dims, out_dim, in_dim])
        filter_perm = None
    return make({
        "class": "transposed_conv", "from": input, "in_dim": in_dim, "out_dim": out_dim,
        "in_spatial_dims": spatial, "out_spatial_dims": out_spatial, "filter_size": taps, "strides": list(stride),
        "padding": "valid", "remove_padding": list(padding), "output_padding": list(output_padding),
        "filter": weight, **({"filter_perm": filter_perm} if filter_perm else {}),
        "with_bias": bias is not None, "bias": _conv_bias(bias, out_dim),
    }, [batch, out_dim, *out_spatial], dtype=input.dtype)


def _phase_filter(weight: Tensor, stride: int) -> Tensor:
    """The filter of `_conv_transpose_polyphase` for a transposed conv's weight (a value from the
    trace): a variable named as the weight, made once per weight and value (a module called again
    reuses it)."""
    context = ctx()
    cache = context.memo("conv.phase_filters")
    key = (id(weight), weight.blob, stride)
    if key in cache and cache[key][0] is weight:
        return cache[key][1]
    in_dim, out_dim, k_dim = weight.dims
    cin, cout, m = in_dim.dimension, out_dim.dimension, k_dim.dimension // stride
    w = np.asarray(weight.value).reshape(cin, cout, m, stride)[:, :, ::-1]  # (in, out, i, r)
    dims = [Dim(m, name=f"{k_dim.description}:phase_taps"), in_dim,
            Dim(stride * cout, name=f"{out_dim.description}:phases")]
    filt = Tensor(dims, weight.dtype, layer=context.add_variable(
        np.ascontiguousarray(np.transpose(w, [2, 0, 3, 1]).reshape(m, cin, stride * cout)), dims,
        weight.dtype.name, weight.name or context.layer_name_for() + ".filter", trainable=weight.trainable,
        origin=weight, transform={"kind": "polyphase", "stride": stride}))
    if weight.blob is not None:
        cache[key] = (weight, filt)
    return filt


def _conv_transpose_polyphase(input: Tensor, weight: Tensor, bias: Tensor | None, stride: int,  # noqa: A002
                              padding: int, output_padding: int, out_time: Dim) -> Tensor:
    """A 1-d transposed conv (no groups, no dilation, taps ``k = m * stride``) as a plain ``conv``
    layer, which TF runs several times faster than its transposed conv (``Conv2DBackpropInput``).

    Output frame ``t * stride + r`` (before cropping) is ``sum_j x[t - j] . w[:, :, j * stride + r]``
    for ``j < m``: a conv of the input, zero-padded by ``m - 1`` on both sides, with ``m`` taps and
    ``stride * out`` output channels (phase ``r`` major), whose output frames, each split into
    ``stride`` frames (``split_dims``, ``merge_dims``), are the full transposed conv; then the
    ``padding`` frames are cut from both ends, less ``output_padding`` on the right (``slice``),
    and the bias is added. The filter is torch's weight rearranged once, at build time (the
    checkpoint holds it so): ``F[i, in, r * out + o] = w[in, o, (m - 1 - i) * stride + r]``.
    """
    from returnn.tf.layers.basic import ConvLayer

    batch, in_dim, time = input.dims
    _, out_dim, k_dim = weight.dims
    k = k_dim.dimension
    m = k // stride
    filt = unify(_phase_filter(weight, stride), 1, in_dim)
    taps_dim, _, phases_dim = filt.dims
    frames = ConvLayer.calc_out_dim(in_dim=time, filter_size=m, stride=1, padding=m - 1, dilation_rate=1)
    y = make({"class": "conv", "from": input, "in_dim": in_dim, "out_dim": phases_dim, "in_spatial_dims": [time],
              "out_spatial_dims": [frames], "filter_size": [taps_dim], "filter": filt, "padding": m - 1,
              "strides": 1, "with_bias": False}, [batch, phases_dim, frames], dtype=input.dtype)
    phase = Dim(stride, name=f"{phases_dim.description}:phase")
    name = ctx().layer_name_for()
    y = make({"class": "split_dims", "from": y, "axis": phases_dim, "dims": [phase, out_dim]},
             [batch, phase, out_dim, frames], dtype=input.dtype, name=f"{name}.phases")
    merged = frames * phase
    y = make({"class": "merge_dims", "from": y, "axes": [frames, phase], "out_dim": merged, "keep_order": True},
             [batch, out_dim, merged], dtype=input.dtype, name=f"{name}.interleave")
    crop_right = m * stride - k + padding - output_padding  # frames past the output on the right
    y = make({"class": "slice", "from": y, "axis": merged, "slice_start": padding,
              "slice_end": -crop_right if crop_right else None, "out_dim": out_time},
             [batch, out_dim, out_time], dtype=input.dtype, name=f"{name}.crop")
    if bias is None:
        return y
    return make({"class": "combine", "kind": "add", "from": [y, _conv_bias(bias, out_dim)]},
                [batch, out_dim, out_time], dtype=input.dtype, name=f"{name}.add_bias")


@op("torch.nn.functional.conv1d", aliases=("torch.conv1d",))
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
           dilation: Any = 1, groups: int = 1) -> Tensor:
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@op("torch.nn.functional.conv2d", aliases=("torch.conv2d",))
def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,  # noqa: A002
           dilation: Any = 1, groups: int = 1) -> Tensor:
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@op("torch.nn.functional.conv_transpose1d", aliases=("torch.conv_transpose1d",))
def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


@op("torch.nn.functional.conv_transpose2d", aliases=("torch.conv_transpose2d",))
def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,  # noqa: A002
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def _param(*shape: int) -> Parameter:
    return Parameter(Tensor(static_dims(shape, "param"), _dtype.float32))


class _ConvNd(Module):
    n = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any, padding: Any,
                 dilation: Any, groups: int, bias: bool, padding_mode: str, *, transposed: bool,
                 output_padding: Any = 0):
        super().__init__()
        n = self.n
        if padding_mode not in ("zeros", "reflect", "replicate") or (transposed and padding_mode != "zeros"):
            raise UnsupportedOpError(f"padding_mode={padding_mode!r} is not supported")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = ntuple(kernel_size, n, "kernel_size"), ntuple(stride, n, "stride")
        self.padding = padding if isinstance(padding, str) else ntuple(padding, n, "padding")
        self.dilation = ntuple(dilation, n, "dilation")
        self.output_padding = ntuple(output_padding, n, "output_padding")
        self.padding_mode, self.transposed = padding_mode, transposed
        if transposed:
            self.weight = _param(in_channels, out_channels // groups, *self.kernel_size)
        else:
            self.weight = _param(out_channels, in_channels // groups, *self.kernel_size)
        self.bias = _param(out_channels) if bias else None
        if not bias:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """Parameters come from the trace."""

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")

    def _conv_forward(self, input: Tensor, conv: Any) -> Tensor:  # noqa: A002
        """torch's: with a padding mode other than zeros, ``F.pad`` first, then the conv without padding."""
        if self.padding_mode == "zeros":
            return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        from pt2r.torch.ops.padding import pad
        pads: list[int] = []
        for pair in reversed(self._padding_pairs()):  # F.pad lists the last axis first
            pads += pair
        return conv(pad(input, pads, self.padding_mode), self.weight, self.bias, self.stride, 0, self.dilation,
                    self.groups)

    def _padding_pairs(self) -> list[tuple[int, int]]:
        if self.padding == "valid":
            return [(0, 0)] * self.n
        if self.padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            return [(t // 2, t - t // 2) for t in totals]
        return [(p, p) for p in self.padding]


class _Conv(_ConvNd):
    axis_roles = {"weight": ("out_channels", "in_channels", "kernel_size", "kernel_size.1"), "bias": ("out_channels",)}

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, transposed=False)


class _ConvTranspose(_ConvNd):
    axis_roles = {"weight": ("in_channels", "out_channels", "kernel_size", "kernel_size.1"), "bias": ("out_channels",)}

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 output_padding: Any = 0, groups: int = 1, bias: bool = True, dilation: Any = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, transposed=True, output_padding=output_padding)

    def _transposed_forward(self, input: Tensor, output_size: Any, conv: Any) -> Tensor:  # noqa: A002
        if output_size is not None:
            raise UnsupportedOpError(f"{type(self).__name__} with output_size is not supported (use output_padding)")
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.output_padding, self.groups,
                    self.dilation)


@module("torch.nn.Conv1d")
class Conv1d(_Conv):
    n = 1

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._conv_forward(input, conv1d)


@module("torch.nn.Conv2d")
class Conv2d(_Conv):
    n = 2

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self._conv_forward(input, conv2d)


@module("torch.nn.ConvTranspose1d")
class ConvTranspose1d(_ConvTranspose):
    n = 1

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return self._transposed_forward(input, output_size, conv_transpose1d)


@module("torch.nn.ConvTranspose2d")
class ConvTranspose2d(_ConvTranspose):
    n = 2

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:  # noqa: A002
        return self._transposed_forward(input, output_size, conv_transpose2d)
