"""Pooling and resampling: max/avg pools, adaptive pools, ``F.interpolate`` / ``nn.Upsample``.

Each is one ``eval`` layer calling TF's kernels on the padded batch, as torch
computes: a window or an interpolation near the end of a short sequence reads
its padding frames as they are. Output sizes are torch's formulas as dim
arithmetic on the input dims.

- Max/avg pools (`_pool`) pad explicitly (max with -inf, avg with zeros) and run
  ``tf.nn.max_pool`` / ``avg_pool`` with VALID windows. ``ceil_mode`` is
  ``floor`` mode with ``e`` more padding on the right (`_ceil_extra`), which
  keeps the output size a floor division RETURNN knows. Where torch's avg divisor
  varies (padding not counted, windows running past the end in ceil mode) the
  average is divided by the average of a mask of the counted positions.
- Adaptive pools (`_adaptive`) over a static axis reduce torch's windows
  ``[floor(i*L/o), ceil((i+1)*L/o))``; over a dynamic axis only to size 1, a
  reduction over the whole padded axis.
- ``interpolate`` (`_resample`) gathers along each axis at torch's source
  indices, computed in the same float arithmetic as torch's CPU kernels
  (``UpSample.h``), so "nearest" rounds where torch rounds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch._size import SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.dims import canonical
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.build import check_channels_first, eval_layer, ntuple, raw_eval
from pt2r.torch.ops.registry import module, op


def _raw(x: Tensor, i: int, order: list[Dim]) -> str:
    """In an eval layer: source ``i`` (tensor ``x``) with its raw axes in ``order``."""
    dims = list(x.layer.output.dims)
    perm = [dims.index(d) for d in order]
    term = f"source({i}, auto_convert=False)"
    return term if perm == sorted(perm) else f"tf.transpose({term}, {perm})"


def _add(d: Dim, n: int) -> Dim:
    return d + n if n > 0 else d - (-n) if n else d


def _pool_dim(d: Dim, pad: int, span: int, stride: int) -> Dim:
    """torch's ``(size + pad - span) // stride + 1`` (``pad`` on both sides together) for dim ``d``."""
    if stride == 1:
        return _add(d, pad - span + 1)
    return _add(d, pad - span) // stride + 1


def _ceil_extra(span: int, pad: int, stride: int) -> int:
    """The right padding that makes floor mode count the windows of ``ceil_mode``.

    Torch: ``out = ceil((L + 2p - span) / s) + 1``, less one if the last window starts past the
    left padding and the input (``(out - 1) * s >= L + p``). With ``r = (span - 2p - L) mod s`` the
    last window is dropped iff ``r >= span - p``; both together are
    ``(L + 2p - span + min(span - p, s) - 1) // s + 1``."""
    return min(span - pad, stride) - 1


def _pool(name: str, n: int, input: Tensor, kernel_size: Any, stride: Any, padding: Any,  # noqa: A002
          dilation: Any, ceil_mode: bool, *, avg: bool, count_include_pad: bool = True,
          divisor_override: int | None = None) -> Tensor:
    check_channels_first(name, input, n)
    if not input.dtype.is_floating_point:
        raise UnsupportedOpError(f"{name} of {input.dtype.name} input is not supported")
    k = ntuple(kernel_size, n, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else ntuple(stride, n, "stride")
    p, dl = ntuple(padding, n, "padding"), ntuple(dilation, n, "dilation")
    spans = [d * (kk - 1) + 1 for d, kk in zip(dl, k)]
    extra = [_ceil_extra(sp, pp, st) if ceil_mode else 0 for sp, pp, st in zip(spans, p, s)]
    batch, channels, *spatial = input.dims
    out_spatial = [_pool_dim(d, 2 * pp + e, sp, st) for d, pp, e, sp, st in zip(spatial, p, extra, spans, s)]
    pads = [[0, 0], *([pp, pp + e] for pp, e in zip(p, extra)), [0, 0]]
    fill = "0.0" if avg else "float('-inf')"
    padded = f"tf.pad(x, {pads}, constant_values={fill})" if any(map(any, pads)) else "x"
    if avg:
        expr = f"tf.nn.avg_pool({padded}, {list(k)}, {list(s)}, 'VALID')"
        if divisor_override:
            expr = f"{expr} * {math.prod(k) / divisor_override!r}"
        elif any(extra) or (any(p) and not count_include_pad):
            # torch divides by the positions of the window in the input (and in the padding, with
            # count_include_pad), not those past it in ceil mode: the mean of a mask of those
            ones = "tf.ones_like(x[:1, ..., :1])"
            mask = (f"tf.pad(tf.pad({ones}, {[[0, 0], *([pp, pp] for pp in p), [0, 0]]}, constant_values=1.0), "
                    f"{[[0, 0], *([0, e] for e in extra), [0, 0]]})" if count_include_pad else
                    f"tf.pad({ones}, {pads})")
            expr = f"{expr} / tf.nn.avg_pool({mask}, {list(k)}, {list(s)}, 'VALID')"
    elif set(dl) == {1}:  # max_pool2d pads by itself, as -inf (a 1-d pool is a 2-d one of height 1)
        x, k, s, pads = ("tf.expand_dims(x, 1)", [1, *k], [1, *s], [[0, 0], *pads]) if n == 1 else ("x", k, s, pads)
        expr = f"tf.nn.max_pool2d({x}, {list(k)}, {list(s)}, {pads if any(map(any, pads)) else repr('VALID')})"
        expr = f"tf.squeeze({expr}, 1)" if n == 1 else expr
    else:
        # TF's max_pool has no dilation (tf.nn.pool's loses the static shape and wants stride 1): a max
        # is separable, so a dilated axis is the max of its k taps as strided slices
        x = padded
        for i, (kk, st, d) in enumerate(zip(k, s, dl)):
            if d > 1:
                taps = [f"x[:, {':, ' * i}{j * d}:{-(kk - 1 - j) * d or ''}:{st}]" for j in range(kk)]
                x = f"(lambda x: tf.reduce_max(tf.stack([{', '.join(taps)}]), 0))({x})"
        k, s = [1 if d > 1 else kk for kk, d in zip(k, dl)], [1 if d > 1 else st for st, d in zip(s, dl)]
        expr = f"tf.nn.max_pool({x}, {k}, {s}, 'VALID')" if max(k + s) > 1 else x
    expr = f"(lambda x: {expr})({_raw(input, 0, [batch, *spatial, channels])})"
    return eval_layer(expr, [input], [batch, channels, *out_spatial], input.dtype,
                      raw_dims=[batch, *out_spatial, channels])


def _no_indices(name: str, return_indices: bool) -> None:
    if return_indices:
        raise UnsupportedOpError(f"{name} with return_indices=True is not supported")


@op("torch.nn.functional.max_pool1d", "torch.max_pool1d")
def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    _no_indices("max_pool1d", return_indices)
    return _pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, avg=False)


@op("torch.nn.functional.max_pool2d", "torch.max_pool2d")
def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,  # noqa: A002
               ceil_mode: bool = False, return_indices: bool = False) -> Tensor:
    _no_indices("max_pool2d", return_indices)
    return _pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, avg=False)


@op("torch.nn.functional.avg_pool1d", aliases=("torch.avg_pool1d",))
def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    return _pool("avg_pool1d", 1, input, kernel_size, stride, padding, 1, ceil_mode, avg=True,
                 count_include_pad=count_include_pad)


@op("torch.nn.functional.avg_pool2d")
def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    return _pool("avg_pool2d", 2, input, kernel_size, stride, padding, 1, ceil_mode, avg=True,
                 count_include_pad=count_include_pad, divisor_override=divisor_override)


# -- adaptive pools ----------------------------------------------------------------


def _adaptive(name: str, n: int, input: Tensor, output_size: Any, reduce: str) -> Tensor:  # noqa: A002
    if input.ndim not in (n + 1, n + 2):
        raise ModelError(f"{name} of {input.ndim}-d input is not supported")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * n
    dims, raw = list(input.dims), list(input.layer.output.dims)
    expr = "x"
    for i, size in zip(range(input.ndim - n, input.ndim), sizes):
        d = dims[i]
        if size is None or size == d.dimension:
            continue
        a, size = raw.index(d), int(size)
        if d.dimension is None:
            if size != 1:
                raise UnsupportedOpError(f"{name} to size {size} along the dynamic axis {d.description} is not "
                                         "supported (only to size 1)")
            expr = f"tf.reduce_{reduce}({expr}, axis={a}, keepdims=True)"
        else:
            length, rank = d.dimension, len(raw)
            windows = [(j * length // size, -(-(j + 1) * length // size)) for j in range(size)]

            def window(start: int, end: int) -> str:
                begin, extent = [0] * rank, [-1] * rank
                begin[a], extent[a] = start, end - start
                return f"tf.reduce_{reduce}(tf.slice(x, {begin}, {extent}), axis={a}, keepdims=True)"
            expr = f"(lambda x: tf.concat([{', '.join(window(*w) for w in windows)}], axis={a}))({expr})"
        dims[i] = raw[a] = Dim(size, name=f"{d.description}:{name}")
    return raw_eval(input, expr, raw, dims, input.dtype)


@op("torch.nn.functional.adaptive_avg_pool1d", aliases=("torch.adaptive_avg_pool1d",))
def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    return _adaptive("adaptive_avg_pool1d", 1, input, output_size, "mean")


@op("torch.nn.functional.adaptive_avg_pool2d")
def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    return _adaptive("adaptive_avg_pool2d", 2, input, output_size, "mean")


@op("torch.nn.functional.adaptive_max_pool1d")
def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Tensor:  # noqa: A002
    _no_indices("adaptive_max_pool1d", return_indices)
    return _adaptive("adaptive_max_pool1d", 1, input, output_size, "max")


@op("torch.nn.functional.adaptive_max_pool2d")
def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Tensor:  # noqa: A002
    _no_indices("adaptive_max_pool2d", return_indices)
    return _adaptive("adaptive_max_pool2d", 2, input, output_size, "max")


# -- interpolate ---------------------------------------------------------------------

_MODES = {1: ("nearest", "nearest-exact", "linear", "area"), 2: ("nearest", "nearest-exact", "bilinear", "area")}


def _dynamic_factor(d: Dim, in_size: int, size: Any, scale_factor: Any) -> int:
    """The integer factor ``s`` of an interpolation along the dynamic axis ``d`` (output ``d * s``)."""
    if size is not None:
        s = int(size) // in_size
        if isinstance(size, SizeValue) and s * in_size == int(size) and (size.dim == d or size.dim == canonical(d * s)):
            return s
        raise UnsupportedOpError(f"interpolate to size {int(size)} along the dynamic axis {d.description} is not "
                                 "supported: the net would only fit the recorded length (give scale_factor, or a size "
                                 "computed from x.shape, such as x.shape[-1] * 2)")
    if float(scale_factor) != int(scale_factor) or scale_factor < 1:
        raise UnsupportedOpError(f"interpolate by scale_factor {scale_factor} along the dynamic axis {d.description} "
                                 "is not supported (only integer factors)")
    return int(scale_factor)


def _resample(expr: str, a: int, rank: int, mode: str, out: str, scale: str, align_corners: bool,
              float_dtype: str) -> str:
    """``expr`` (a raw tensor) resampled along raw axis ``a`` to size ``out`` as torch's CPU kernels
    do, ``n`` being the input size and ``scale`` torch's ratio (`UpSample.h`):

    - nearest: ``min(floorf(dst * scale), n - 1)``, in float32;
    - nearest-exact: ``min(floorf((dst + 0.5) * scale), n - 1)``, the product in float64;
    - linear: source ``dst * scale`` (align_corners) or ``max((dst + 0.5) * scale - 0.5, 0)``, in the
      input's float type (float64 for float64), between ``i0 = min(floor(src), n - 1)`` and
      ``min(i0 + 1, n - 1)`` with weight ``clip(src - i0, 0, 1)``.
    """
    dst = f"tf.range({out})"
    if mode == "nearest":
        index = f"tf.floor(tf.cast({dst}, 'float32') * {scale})"
    elif mode == "nearest-exact":
        index = f"tf.floor(tf.cast((tf.cast({dst}, 'float64') + 0.5) * {scale}, 'float32'))"
    else:
        src = f"tf.cast({dst}, {float_dtype!r})"
        src = f"{src} * {scale}" if align_corners else f"tf.maximum(({src} + 0.5) * {scale} - 0.5, 0.0)"
        shape = [-1 if i == a else 1 for i in range(rank)]
        weight = f"tf.clip_by_value(src - tf.cast(i0, {float_dtype!r}), 0.0, 1.0)"
        weight = f"tf.reshape(tf.cast({weight}, x.dtype), {shape})"
        blend = (f"(lambda w: tf.gather(x, i0, axis={a}) * (1 - w) + tf.gather(x, tf.minimum(i0 + 1, n - 1), "
                 f"axis={a}) * w)({weight})")
        body = f"(lambda src: (lambda i0: {blend})(tf.minimum(tf.cast(tf.floor(src), 'int32'), n - 1)))({src})"
        return f"(lambda x: (lambda n: {body})(tf.shape(x)[{a}]))({expr})"
    index = f"tf.minimum(tf.cast({index}, 'int32'), n - 1)"
    return f"(lambda x: (lambda n: tf.gather(x, {index}, axis={a}))(tf.shape(x)[{a}]))({expr})"


@op("torch.nn.functional.interpolate")
def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",  # noqa: A002
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    n = input.ndim - 2
    if mode not in _MODES.get(n, ()):
        raise UnsupportedOpError(f"interpolate with mode={mode!r} on {input.ndim}-d input is not supported")
    if antialias:
        raise UnsupportedOpError("interpolate with antialias=True is not supported")
    if (size is None) == (scale_factor is None):
        raise ModelError("interpolate needs either size or scale_factor")
    sizes = size if size is None or isinstance(size, (tuple, list)) else (size,) * n
    factors = scale_factor if scale_factor is None or isinstance(scale_factor, (tuple, list)) else (scale_factor,) * n
    given = factors is not None and not recompute_scale_factor  # torch's kernel gets the factor: scale 1 / factor
    ftype = np.float64 if input.dtype.name == "float64" else np.float32  # torch's opmath type
    plan = []  # per resampled torch axis: (axis, its output dim, output size in TF, scale)
    for i in range(2, input.ndim):
        d, j = input.dims[i], i - 2
        if d.dimension is None:
            s = _dynamic_factor(d, int(input.shape[i]), sizes and sizes[j], factors and factors[j])
            if s == 1:
                continue
            ratio: Any = ftype(1.0 / float(factors[j])) if given else ftype(1) / ftype(s)  # = n / (n * s)
            if align_corners:
                ratio = f"tf.cast(n - 1, {ftype.__name__!r}) / tf.cast(n * {s} - 1, {ftype.__name__!r})"
            plan.append((i, canonical(d * s), f"n * {s}", ratio))
        else:
            length = d.dimension
            m = int(sizes[j]) if sizes else int(math.floor(length * float(factors[j])))
            if m == length and mode in ("linear", "bilinear", "area"):
                continue  # torch copies (its nearest still maps by the scale)
            ratio = ftype(1.0 / float(factors[j])) if given else ftype(length) / ftype(m)
            if align_corners:
                ratio = ftype(length - 1) / ftype(m - 1) if m > 1 else ftype(0)
            plan.append((i, d if m == length else Dim(m, name=f"{d.description}:interpolate"), str(m), ratio))
    if mode == "area":  # torch's: an adaptive average pool
        out_sizes = {i: out_dim.dimension for i, out_dim, _, _ in plan}
        if None in out_sizes.values():
            raise UnsupportedOpError("interpolate with mode='area' along a dynamic axis is not supported")
        return _adaptive("interpolate", n, input, [out_sizes.get(i) for i in range(2, input.ndim)], "mean")
    dims, raw = list(input.dims), list(input.layer.output.dims)
    expr = "x"
    if any(dims[i] == raw[-1] for i, *_ in plan):  # TF gathers slowly along the innermost axis: channels there
        order = [d for d in raw if d != dims[1]] + [dims[1]]
        expr, raw = f"tf.transpose(x, {[raw.index(d) for d in order]})", order
    for i, out_dim, out, ratio in plan:
        if not isinstance(ratio, str):  # torch's nearest kernels take the scale as float32
            ratio = repr(float(ratio if mode in ("linear", "bilinear") else np.float32(ratio)))
        a = raw.index(dims[i])
        expr = _resample(expr, a, len(raw), mode, out, ratio, bool(align_corners), ftype.__name__)
        dims[i] = raw[a] = out_dim
    return raw_eval(input, expr, raw, dims, input.dtype)


# -- modules -----------------------------------------------------------------------


@op("torch.nn.functional.upsample")
def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",  # noqa: A002
             align_corners: bool | None = None) -> Tensor:
    """torch's deprecated form of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners)


@op("torch.nn.functional.upsample_nearest")
def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    return interpolate(input, size, scale_factor, "nearest")


@op("torch.nn.functional.upsample_bilinear")
def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:  # noqa: A002
    return interpolate(input, size, scale_factor, "bilinear", align_corners=True)


class _MaxPool(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode


@module("torch.nn.MaxPool1d")
class MaxPool1d(_MaxPool):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)


@module("torch.nn.MaxPool2d")
class MaxPool2d(_MaxPool):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)


class _AvgPool(Module):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: int | None = None):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override


@module("torch.nn.AvgPool1d")
class AvgPool1d(_AvgPool):
    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)


@module("torch.nn.AvgPool2d")
class AvgPool2d(_AvgPool):
    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)


class _AdaptivePool(Module):
    pool: Any = None

    def __init__(self, output_size: Any):
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self.pool(input, self.output_size)


class _AdaptiveMaxPool(_AdaptivePool):
    def __init__(self, output_size: Any, return_indices: bool = False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return self.pool(input, self.output_size, self.return_indices)


@module("torch.nn.AdaptiveAvgPool1d")
class AdaptiveAvgPool1d(_AdaptivePool):
    pool = staticmethod(adaptive_avg_pool1d)


@module("torch.nn.AdaptiveAvgPool2d")
class AdaptiveAvgPool2d(_AdaptivePool):
    pool = staticmethod(adaptive_avg_pool2d)


@module("torch.nn.AdaptiveMaxPool1d")
class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    pool = staticmethod(adaptive_max_pool1d)


@module("torch.nn.AdaptiveMaxPool2d")
class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    pool = staticmethod(adaptive_max_pool2d)


@module("torch.nn.Upsample")
class Upsample(Module):
    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None):
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)


@module("torch.nn.UpsamplingNearest2d")
class UpsamplingNearest2d(Upsample):
    def __init__(self, size: Any = None, scale_factor: Any = None):
        super().__init__(size, scale_factor, "nearest")


@module("torch.nn.UpsamplingBilinear2d")
class UpsamplingBilinear2d(Upsample):
    def __init__(self, size: Any = None, scale_factor: Any = None):
        super().__init__(size, scale_factor, "bilinear", align_corners=True)
