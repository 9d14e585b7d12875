"""Spectral ops: ``torch.fft`` (rfft, irfft, fft, ifft and their n-d and 2-d forms), ``torch.stft`` and
its window functions, ``torch.istft``, the parts of complex results a model takes (``abs``, ``real``,
``imag``, ``view_as_real``), complex tensors built from real parts (``complex``, ``polar``,
``view_as_complex``), and ``F.fold`` / ``F.unfold`` along one axis.

Torch computes these on the padded batch: an FFT over a dynamic axis is over its padded size, and
``stft`` with ``center=True`` reflects at the padded end. So does the net: nothing is masked.

- ``torch.stft`` frames the signal as torch does: ``center`` pads ``n_fft // 2`` on both sides
  (``pad`` layer, ``pad_mode``), frames are ``n_fft`` long, ``hop_length`` apart (``T // hop + 1``
  of them with ``center``), and the window (``win_length`` long) sits centred in the frame. With
  the periodic Hann window of ``n_fft`` (what ``tf.signal.stft`` applies) that is RETURNN's ``stft``
  layer; with any other window, RETURNN's ``window`` layer, the window multiplied in (``combine``)
  and an FFT over the frame axis. ``normalized`` scales the signal by ``n_fft ** -0.5`` first.
- The FFTs are eval layers (RETURNN has no FFT layer over an arbitrary axis): ``tf.signal``'s
  kernel on the input with its axes named, the transformed one last (`along`), scaled for ``norm``.
- ``torch.istft`` inverts it as torch does (iSTFT vocoders: Vocos, iSTFTNet): see `istft`; so does
  ``F.fold`` along one axis, the overlap-add of an iSTFT written by hand (`fold`).
- Complex results: ``abs`` is RETURNN's ``activation`` layer (complex in, float out), ``real``,
  ``imag`` and ``view_as_real`` are eval layers. Complex arithmetic (``+ - * /``, also with Python
  complex scalars: ``mag * (cos(p) + 1j * sin(p))``) is RETURNN's ``combine`` layer, and ``exp``,
  ``log``, ``sqrt``, the trigonometric functions and a few more its ``activation`` layer
  (``elementwise._COMPLEX``); the other elementwise functions of a complex tensor say they are not
  supported.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np
from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._size import SizeValue
from pt2r.torch._tensor import Tensor
from pt2r.torch.dims import canonical
from pt2r.torch.ops.build import combine, compute, ctx, eval_layer, make, merge_axes, new_dim, size_scalar
from pt2r.torch.ops.creation import arange
from pt2r.torch.ops.padding import pad
from pt2r.torch.nn.module import Module
from pt2r.torch.ops.registry import module, op
from pt2r.torch.ops.view import permute, squeeze, unfold_windows
from pt2r.torch.values import value_tensor

_NORMS = (None, "backward", "ortho", "forward")


def _axis(x: Tensor, dim: Any) -> int:
    if not isinstance(dim, int) or not -x.ndim <= dim < max(x.ndim, 1):
        raise ModelError(f"dim {dim!r} is out of range for a {x.ndim}-d tensor")
    return dim % x.ndim


def along(x: Tensor, axis: int | Sequence[int], body: str, out_dims: Dim | Sequence[Dim], dtype: _dtype.dtype,
          extra: Sequence[Tensor] = ()) -> Tensor:
    """An eval layer computing TF code ``body`` of ``v``: ``x`` with its axes named, the one at torch
    axis ``axis`` last (or those ``axis`` lists, consecutive in torch order, last in the listed order);
    the result has them replaced by ``out_dims``, last. For transforms along axes that RETURNN has no layer
    for (an FFT, framing without a batch axis, an overlap-add). ``extra`` are further sources,
    ``source(1)``, ..."""
    axes = [axis] if isinstance(axis, int) else list(axis)
    out_dims = [out_dims] if isinstance(out_dims, Dim) else list(out_dims)
    moved = [x.dims[a] for a in axes]
    others = [d for d in x.layer.output.dims if d not in moved]
    dims = [*x.dims[:min(axes)], *out_dims, *x.dims[max(axes) + 1:]]
    last = "source(0, auto_convert=False, as_data=True).copy_compatible_to_dims_raw(axes0)"
    return eval_layer(f"(lambda v: {body})({last})", [x, *extra], dims, dtype, raw_dims=others + out_dims,
                      eval_locals={"axes0": [*others, *moved]})


def _size(dim: Dim) -> int:
    return ctx().dim_value(dim)


def _note_size(dim: Dim, value: int) -> Dim:
    """``dim`` (canonical), with its size at record time (for ``shape`` queries before the call's check)."""
    dim = canonical(dim)
    if dim.dimension is None:
        ctx().dim_values.setdefault(dim, int(value))
    return dim


def _checked_dtype(x: Tensor, what: str, *, real_only: bool = False) -> None:
    if x.dtype.is_complex:
        if real_only:
            raise ModelError(f"{what} expects a real input tensor, but got {x.dtype}")
        if x.dtype is not _dtype.complex64:
            raise UnsupportedOpError(f"{what} of a {x.dtype} tensor is not supported (only complex64)")
    elif x.dtype.is_floating_point and x.dtype is not _dtype.float32:
        raise UnsupportedOpError(f"{what} of a {x.dtype} tensor is not supported (only float32 and complex64)")


def _fft(kind: str, input: Tensor, n: Any, dim: Any, norm: Any) -> Tensor:  # noqa: A002
    """``torch.fft.<kind>`` along torch axis ``dim``, of length ``n`` (the input cropped or zero-padded to
    it; a dynamic size too, ``irfft(X, n=x.shape[-1])``)."""
    if norm not in _NORMS:
        raise ModelError(f"Invalid normalization mode: {norm!r}")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise ModelError(f"Invalid number of data points ({n!r}) specified")
    _checked_dtype(input, f"torch.fft.{kind}", real_only=kind == "rfft")
    axis = _axis(input, dim)
    size = input.dims[axis]
    if size.is_batch_dim():
        raise UnsupportedOpError(f"torch.fft.{kind} over the batch axis is not supported")
    if kind != "irfft" and isinstance(n, SizeValue) and canonical(n.dim) == canonical(size):
        n = None  # the axis' own length: nothing to crop or pad
    inverse = kind in ("irfft", "ifft")
    extra = []
    if isinstance(n, SizeValue):  # its padded size at run time, a second source
        extra, length, static = [size_scalar(n)], "tf.reshape(tf.cast(source(1), tf.int32), [])", None
        n_dim = n.dim
    elif n is not None:
        length, static, n_dim = str(n), int(n), new_dim(n, "fft")
    elif kind == "irfft":  # torch's default length: 2 * (bins - 1)
        static = 2 * (size.dimension - 1) if size.dimension is not None else None
        if static is not None and static < 1:
            raise ModelError(f"Invalid number of data points ({static}) specified")
        length = str(static) if static is not None else "(2 * (tf.shape(v)[-1] - 1))"
        n_dim = new_dim(static, "fft") if static is not None else _note_size((size - 1) * 2, 2 * (_size(size) - 1))
    else:
        static = size.dimension
        length = str(static) if static is not None else "tf.shape(v)[-1]"
        n_dim = size
    if kind == "rfft":
        out_dim = new_dim(static // 2 + 1, "freq") if static is not None else _note_size(
            n_dim // 2 + 1, _size(n_dim) // 2 + 1)
        body = f"tf.signal.rfft(tf.cast(v, tf.float32){'' if n is None else f', fft_length=[{length}]'})"
    elif kind == "irfft":
        out_dim = n_dim
        body = f"tf.signal.irfft(tf.cast(v, tf.complex64), fft_length=[{length}])"
    else:
        out_dim = size if n is None or n_dim == size or (static is not None and static == size.dimension) else n_dim
        signal = "tf.cast(v, tf.complex64)"
        if out_dim is not size:  # torch crops to n or zero-pads at the end
            signal = (f"(lambda c, m: tf.pad(c[..., :m], [[0, 0]] * (c.shape.rank - 1) + "
                      f"[[0, tf.maximum(m - tf.shape(c)[-1], 0)]]))({signal}, {length})")
            if static is not None:
                signal = f"tf.ensure_shape({signal}, v.shape[:-1].concatenate([{static}]))"
        body = f"tf.signal.{kind}({signal})"
    # tf.signal's inverses divide by the length (torch's "backward"); torch's other norms rescale
    scale = {("f", "ortho"): -0.5, ("f", "forward"): -1.0, ("i", "ortho"): 0.5, ("i", "forward"): 1.0}.get(
        ("i" if inverse else "f", norm))
    if scale is not None:
        factor = (repr(float(static) ** scale) if static is not None
                  else f"tf.pow(tf.cast({length}, tf.float32), {scale})")
        body = f"({body} * tf.cast({factor}, {'tf.float32' if kind == 'irfft' else 'tf.complex64'}))"
    dtype = _dtype.float32 if kind == "irfft" else _dtype.complex64
    return along(input, axis, body, out_dim, dtype, extra)  # RETURNN has no FFT layer: tf.signal's kernel


@op("torch.fft.rfft")
def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    return _fft("rfft", input, n, dim, norm)


@op("torch.fft.irfft")
def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    return _fft("irfft", input, n, dim, norm)


@op("torch.fft.fft")
def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    return _fft("fft", input, n, dim, norm)


@op("torch.fft.ifft")
def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None) -> Tensor:  # noqa: A002
    return _fft("ifft", input, n, dim, norm)


def _axes_and_lengths(input: Tensor, s: Any, dim: Any, default: Any, what: str) -> list[tuple[int, Any]]:  # noqa: A002
    """(torch axis, length or None) per transformed axis of an n-dimensional FFT: ``dim`` (``default``
    when None: every axis, or the last ``len(s)`` ones) with the lengths ``s``."""
    if dim is None:
        dim = default if default is not None else range(input.ndim - (len(s) if s is not None else input.ndim),
                                                           input.ndim)
    axes = [_axis(input, d) for d in ([dim] if isinstance(dim, int) else dim)]
    if len(set(axes)) < len(axes):
        raise ModelError(f"{what} dims must be unique")
    if s is not None and len(s) != len(axes):
        raise ModelError("When given, dim and shape arguments must have the same length")
    lengths = [None if s is None or s[i] == -1 else s[i] for i in range(len(axes))]
    return list(zip(axes, lengths))


def _fftn(kind: str, input: Tensor, s: Any, dim: Any, norm: Any, default: Any = None) -> Tensor:  # noqa: A002
    """``torch.fft.<kind>n``: the one-dimensional transform along each axis in turn (the real-input one
    first along the last axis, the real-output one last), each with ``norm`` (which makes the n-d norm)."""
    steps = _axes_and_lengths(input, s, dim, default, f"torch.fft.{kind}n")
    ones = {"fft": "fft", "ifft": "ifft", "rfft": "fft", "irfft": "ifft"}[kind]
    if kind == "rfft":
        steps = [(steps[-1][0], steps[-1][1], "rfft"), *((a, n, ones) for a, n in steps[:-1])]
    else:
        steps = [*((a, n, ones) for a, n in steps[:-1]), (steps[-1][0], steps[-1][1], kind)]
    for axis, n, one in steps:
        input = _fft(one, input, n, axis, norm)
    return input


def _fftn_op(kind: str, default: Any) -> Callable[..., Tensor]:
    def transform(input: Tensor, s: Any = None, dim: Any = default, norm: str | None = None) -> Tensor:  # noqa: A002
        return _fftn(kind, input, s, dim, norm, default)
    return transform


for _kind in ("fft", "ifft", "rfft", "irfft"):  # torch.fft.fftn, ..., and the 2-d ones (over the last two axes)
    op(f"torch.fft.{_kind}n")(_fftn_op(_kind, None))
    op(f"torch.fft.{_kind}2")(_fftn_op(_kind, (-2, -1)))


# -- windows ----------------------------------------------------------------------------


def _cosine_window(window_length: Any, periodic: bool, alpha: float, beta: float, dtype: Any) -> Tensor:
    """``alpha - beta * cos(2 pi n / N)`` for ``n < window_length``, with ``N`` the length (periodic) or
    the length - 1 (symmetric); a window of length 1 is ``[1.]``, as in torch."""
    dtype = dtype or _dtype.float32
    if not dtype.is_floating_point:
        raise ModelError(f"window functions expect a floating point dtype, got {dtype}")
    if isinstance(window_length, SizeValue):  # over a dynamic axis: its padded size at run time
        positions = arange(window_length, dtype=dtype)  # RETURNN has no window layer: an eval of the formula
        period = "" if periodic else " - 1"
        return compute(lambda p, length: (
            f"tf.where({length} > 1, {alpha!r} - {beta!r} * tf.cos({2 * math.pi!r} * {p} / "
            f"tf.cast({length}{period}, {p}.dtype)), tf.ones_like({p}))"),
            [positions, window_length], [dtype, _dtype.int64], dtype)
    if not isinstance(window_length, int) or window_length < 0:
        raise ModelError(f"window_length must be a non-negative int, got {window_length!r}")
    # a constant window: the replay takes the recorded one (this runs for calls it does not fold)
    n = np.arange(window_length, dtype=np.float64)
    period = window_length if periodic else window_length - 1
    values = np.ones(window_length) if window_length <= 1 else alpha - beta * np.cos(2 * np.pi * n / period)
    return value_tensor(values.astype(dtype.name), dtype.name, ctx().layer_name_for())


@op("torch.hann_window")
def hann_window(window_length: Any, periodic: bool = True, *, dtype: Any = None, **kwargs: Any) -> Tensor:
    return _cosine_window(window_length, periodic, 0.5, 0.5, dtype)


@op("torch.hamming_window")
def hamming_window(window_length: Any, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype: Any = None, **kwargs: Any) -> Tensor:
    return _cosine_window(window_length, periodic, float(alpha), float(beta), dtype)


# -- stft --------------------------------------------------------------------------------

_STFT_PADS = ("constant", "reflect", "replicate")


def _is_tf_hann(window: Tensor | None, n_fft: int) -> bool:
    """``window`` is a constant periodic Hann window of ``n_fft``: the one ``tf.signal.stft`` applies."""
    if window is None or window.value is None or window.trainable or window.ndim != 1 or window.shape[0] != n_fft:
        return False
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    return bool(np.allclose(np.asarray(window.value, dtype=np.float64), hann, rtol=0.0, atol=1e-6))


def _frame_window(window: Tensor | None, n_fft: int, win_length: int, what: str = "stft") -> Tensor | None:
    """The window over a whole frame: ``window`` (ones if None) centred in ``n_fft``, zeros around it;
    None for a rectangular window over the whole frame."""
    left = (n_fft - win_length) // 2
    if window is None:
        if win_length == n_fft:
            return None
        values = np.zeros(n_fft, np.float32)
        values[left:left + win_length] = 1.0
        return value_tensor(values, "float32", ctx().layer_name_for() + ".window")
    if window.ndim != 1 or int(window.shape[0]) != win_length:
        raise ModelError(f"{what} expected a 1D window tensor of size equal to win_length={win_length}, but got "
                         f"window with size {list(window.shape)}")
    if window.dtype is not _dtype.float32:
        raise UnsupportedOpError(f"{what} with a {window.dtype} window is not supported (only float32)")
    if win_length == n_fft:
        return window
    return pad(window, [left, n_fft - win_length - left])


def _frame_sizes(what: str, n_fft: Any, hop_length: Any, win_length: Any) -> tuple[int, int]:
    """``stft``'s and ``istft``'s hop and window length (torch's defaults), checked."""
    for name, value in (("n_fft", n_fft), ("hop_length", hop_length), ("win_length", win_length)):
        if isinstance(value, (SizeValue, Tensor)):
            raise UnsupportedOpError(f"{what} with {name} taken from a dynamic size is not supported")
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win_length = n_fft if win_length is None else int(win_length)
    if n_fft <= 0 or hop <= 0 or not 0 < win_length <= n_fft:
        raise ModelError(f"{what} expected 0 < n_fft, 0 < hop_length and 0 < win_length <= n_fft, but got "
                         f"n_fft={n_fft}, hop_length={hop}, win_length={win_length}")
    return hop, win_length


@op("torch.stft", "Tensor.stft")
def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,  # noqa: A002
         window: Tensor | None = None, center: bool = True, pad_mode: str = "reflect", normalized: bool = False,
         onesided: bool | None = None, return_complex: bool | None = None,
         align_to_window: bool | None = None) -> Tensor:
    from returnn.tf.layers.basic import ConvLayer

    if input.ndim not in (1, 2):
        raise ModelError(f"stft expected a 1D or 2D tensor, but got {input.ndim}D")
    if input.dims[-1].is_batch_dim():
        raise UnsupportedOpError("stft over the batch axis is not supported")
    if input.dtype.is_complex or (window is not None and window.dtype.is_complex):
        raise UnsupportedOpError("stft of a complex signal or with a complex window is not supported")
    if not input.dtype.is_floating_point:
        raise ModelError(f"stft expected a floating point input, got {input.dtype}")
    if input.dtype is not _dtype.float32:
        raise UnsupportedOpError(f"stft of a {input.dtype} signal is not supported (only float32)")
    if return_complex is None:
        raise ModelError("stft requires the return_complex parameter be given for real inputs")
    if align_to_window is not None and center:
        raise ModelError("stft align_to_window should only be set when center = false")
    if align_to_window:
        raise UnsupportedOpError("stft with align_to_window=True is not supported")
    hop, win_length = _frame_sizes("stft", n_fft, hop_length, win_length)
    onesided = True if onesided is None else bool(onesided)
    x = input
    if normalized:  # torch scales the frames' transform by n_fft ** -0.5: the same as scaling the signal
        x = combine("multiply", [x, float(n_fft) ** -0.5], _dtype.float32)
    if center:
        if pad_mode not in _STFT_PADS:
            raise UnsupportedOpError(f"stft with pad_mode={pad_mode!r} is not supported")
        x = pad(x, [n_fft // 2, n_fft // 2], pad_mode)
    *batch, time = x.dims
    length = _size(input.dims[-1]) + (n_fft // 2 * 2 if center else 0)  # at record time
    if length < n_fft:
        raise ModelError(f"stft expected 0 < n_fft <= {length} (the padded signal length), got {n_fft}")
    time = _note_size(time, length)
    frames = ConvLayer.calc_out_dim(in_dim=time, filter_size=n_fft, stride=hop, padding="valid", dilation_rate=1)
    frames = _note_size(frames, (length - n_fft) // hop + 1)
    freq = new_dim(n_fft // 2 + 1 if onesided else n_fft, "freq")
    if onesided and batch and batch[0].is_batch_dim() and win_length == n_fft and _is_tf_hann(window, n_fft):
        out = make({"class": "stft", "from": x, "frame_shift": hop, "frame_size": n_fft, "fft_size": n_fft,
                    "in_spatial_dims": [time], "out_spatial_dims": [frames], "out_dim": freq},
                   [*batch, freq, frames], dtype=_dtype.complex64)
    else:
        frame = new_dim(n_fft, "frame")
        if any(d.is_batch_dim() for d in batch):
            framed = make({"class": "window", "from": x, "axis": time, "window_dim": frame, "out_spatial_dim": frames,
                           "padding": "valid", "stride": hop}, [*batch, frames, frame], dtype=_dtype.float32)
        else:  # RETURNN's window layer needs a batch axis
            framed = along(x, x.ndim - 1, f"tf.signal.frame(v, {n_fft}, {hop})", [frames, frame], _dtype.float32)
        weights = _frame_window(window, n_fft, win_length)
        if weights is not None:
            framed = combine("multiply", [framed, weights], _dtype.float32)
        # RETURNN's stft layer applies its own window only: tf.signal's FFT of the windowed frames
        body = "tf.signal.rfft(v)" if onesided else "tf.signal.fft(tf.cast(v, tf.complex64))"
        spectrum = along(framed, framed.ndim - 1, body, freq, _dtype.complex64)
        out = Tensor([*batch, freq, frames], _dtype.complex64, layer=spectrum.layer)
    return out if return_complex else view_as_real(out)


# -- complex results ------------------------------------------------------------------------


def _complex(x: Tensor, what: str) -> None:
    if not x.dtype.is_complex:
        raise ModelError(f"{what} is only supported for complex tensors")
    _checked_dtype(x, what)


@op("torch.view_as_real")
def view_as_real(input: Tensor) -> Tensor:  # noqa: A002
    _complex(input, "view_as_real")
    two = new_dim(2, "complex")
    # RETURNN has no layer for a complex tensor's parts; source(0) comes with a size-1 axis where ``two`` is
    return eval_layer("tf.concat([tf.math.real(source(0)), tf.math.imag(source(0))], axis=-1)", [input],
                      [*input.dims, two], _dtype.float32, raw_dims=[*input.layer.output.dims, two])


def _part(name: str) -> Callable[[Tensor], Tensor]:
    def part(input: Tensor) -> Tensor:  # noqa: A002
        if not input.dtype.is_complex:
            if name == "imag":
                raise ModelError("imag is not implemented for tensors with non-complex dtypes.")
            return input  # torch: the tensor itself
        _checked_dtype(input, name)
        # RETURNN's activation layer would keep the complex dtype: an eval layer of the float part
        return eval_layer(f"tf.math.{name}(source(0))", [input], input.dims, _dtype.float32)
    part.__name__ = name
    return part


for _name in ("real", "imag"):
    op(f"Tensor.{_name}", f"torch.{_name}")(_part(_name))


@op("torch.istft", "Tensor.istft")
def istft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,  # noqa: A002
          window: Tensor | None = None, center: bool = True, normalized: bool = False, onesided: bool | None = None,
          length: Any = None, return_complex: bool = False) -> Tensor:
    """The inverse of `stft` as torch computes it: each frame's inverse FFT, windowed, overlapped and added
    ``hop_length`` apart (``tf.signal.overlap_and_add``), divided by the overlapped squared window, cut by
    ``n_fft // 2`` at both ends with ``center``, or to ``length`` (zeros beyond the frames). Over a dynamic
    frames axis the signal is ``(frames - 1) * hop_length`` long (``length``: its dim, e.g. ``x.shape[-1]``).
    RETURNN has no inverse STFT layer: one eval layer over the named frequency and frames axes."""
    if input.ndim not in (2, 3) or not input.dtype.is_complex:
        raise ModelError(f"istft expected a 2D or 3D complex tensor (freq, frames), got {input.ndim}D {input.dtype}")
    _checked_dtype(input, "istft")
    if return_complex:
        raise UnsupportedOpError("istft with return_complex=True is not supported")
    hop, win_length = _frame_sizes("istft", n_fft, hop_length, win_length)
    freq, frames = input.dims[-2:]
    bins = _size(freq) if freq.dimension is None else freq.dimension
    onesided = bins != n_fft if onesided is None else bool(onesided)
    if bins != (n_fft // 2 + 1 if onesided else n_fft):
        raise ModelError(f"istft expected the frequency axis to have {n_fft // 2 + 1 if onesided else n_fft} bins "
                         f"for n_fft={n_fft}, got {bins}")
    if any(d.is_batch_dim() for d in (freq, frames)):
        raise UnsupportedOpError("istft over the batch axis is not supported")
    weights = _frame_window(window, n_fft, win_length, "istft")
    n = _size(frames) if frames.dimension is None else frames.dimension
    full = n_fft + hop * (n - 1)  # the overlapped frames' length (at record time)
    start = n_fft // 2 if center else 0
    extra = [weights] if weights is not None else []
    if length is None:
        stop, out = (full - start, _note_size((frames - 1) * hop, full - 2 * start) if center else
                     _note_size((frames - 1) * hop + n_fft, full))
        if frames.dimension is not None:
            out = new_dim(full - 2 * start if center else full, "signal")
        cut = f"y[..., {start}:{stop - full or None}] / envelope[{start}:{stop - full or None}]"
    else:
        if isinstance(length, SizeValue):
            out, size = length.dim, "tf.cast(tf.reshape(source({}), []), tf.int32)".format(len(extra) + 1)
            extra.append(size_scalar(length))
        else:
            out, size = new_dim(int(length), "signal"), str(int(length))
        cut = (f"(lambda m: tf.pad((y / tf.where(envelope > 1e-11, envelope, 1.0))[..., {start}:{start} + m], "
               f"[[0, 0]] * (y.shape.rank - 1) + [[0, tf.maximum({start} + m - tf.shape(y)[-1], 0)]]))({size})")
    spectrum = "tf.signal.irfft(v, fft_length=[%d])" % n_fft if onesided else "tf.math.real(tf.signal.ifft(v))"
    scale = f" * {math.sqrt(n_fft)!r}" if normalized else ""
    w = "source(1, auto_convert=False)" if weights is not None else f"tf.ones([{n_fft}])"
    body = (f"(lambda f, w: (lambda y, envelope: {cut})(tf.signal.overlap_and_add(f * w, {hop}), "
            f"tf.signal.overlap_and_add(tf.tile((w * w)[None], [tf.shape(f)[-2], 1]), {hop})))"
            f"({spectrum}{scale}, {w})")
    return along(input, [input.ndim - 1, input.ndim - 2], body, out, _dtype.float32, extra)  # (frames, freq)


@op("torch.complex")
def complex_(real: Tensor, imag: Tensor, *, out: Any = None) -> Tensor:
    """``real + 1j * imag``, broadcast (float32 parts)."""
    for part in (real, imag):
        if part.dtype is not _dtype.float32:
            raise UnsupportedOpError(f"torch.complex of {part.dtype} parts is not supported (only float32)")
    return compute(lambda a, b: f"tf.complex({a}, {b})", [real, imag], [None, None], _dtype.complex64)


@op("torch.polar")
def polar(abs: Tensor, angle: Tensor, *, out: Any = None) -> Tensor:  # noqa: A002
    """``abs * (cos(angle) + 1j * sin(angle))``, broadcast (float32 parts)."""
    for part in (abs, angle):
        if part.dtype is not _dtype.float32:
            raise UnsupportedOpError(f"torch.polar of {part.dtype} parts is not supported (only float32)")
    return compute(lambda r, a: f"tf.complex({r} * tf.cos({a}), {r} * tf.sin({a}))", [abs, angle], [None, None],
                   _dtype.complex64)


@op("torch.view_as_complex")
def view_as_complex(input: Tensor) -> Tensor:  # noqa: A002
    """The last axis (of size 2) as the real and imaginary parts."""
    if input.ndim == 0 or input.dims[-1].dimension != 2:
        raise ModelError("Tensor must have a last dimension of size 2")
    if input.dtype is not _dtype.float32:
        raise UnsupportedOpError(f"view_as_complex of a {input.dtype} tensor is not supported (only float32)")
    return along(input, input.ndim - 1, "tf.complex(v[..., 0], v[..., 1])", [], _dtype.complex64)


def _pair(value: Any, what: str, op_name: str = "fold") -> tuple[Any, Any]:
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ModelError(f"{op_name} expected {what} to be a single int or a pair, got {value!r}")
    return pair


@op("torch.nn.functional.fold")
def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
         stride: Any = 1) -> Tensor:
    """Sliding blocks summed into a tensor, along one spatial axis: ``output_size`` (1, n) with blocks
    (1, k) (or (n, 1) with (k, 1)), ``stride`` apart, no padding or dilation. That is an overlap-add
    (``tf.signal.overlap_and_add``), as iSTFT code written by hand uses it (Vocos' ``padding="same"``).
    A dynamic ``n`` (``(t - 1) * hop + k``) gives the result its dim."""
    (h, w), (kh, kw), (sh, sw) = (_pair(v, name) for v, name in (
        (output_size, "output_size"), (kernel_size, "kernel_size"), (stride, "stride")))
    if _pair(dilation, "dilation") != (1, 1) or _pair(padding, "padding") != (0, 0):
        raise UnsupportedOpError("fold with dilation or padding is not supported")
    if (h, kh, sh) == (1, 1, 1):
        length, k, step, along_w = w, int(kw), int(sw), True
    elif (w, kw, sw) == (1, 1, 1):
        length, k, step, along_w = h, int(kh), int(sh), False
    else:
        raise UnsupportedOpError("fold is supported along one spatial axis only (output_size (1, n) with "
                                 "kernel_size (1, k), or (n, 1) with (k, 1))")
    if input.ndim not in (2, 3) or input.dims[-1].is_batch_dim() or input.dims[-2].is_batch_dim():
        raise ModelError(f"fold expected a 2D or 3D (batch, channels * block, blocks) input, got {input.ndim}D")
    rows = input.dims[-2]
    rows_n = int(input.shape[-2])
    if rows.dimension is None or rows_n % k:
        raise ModelError(f"fold expected size of input's dimension -2 ({rows_n}) to be divisible by the product of "
                         f"kernel_size ({k})")
    blocks = int(input.shape[-1])
    if blocks != (int(length) - k) // step + 1:
        raise ModelError(f"fold: {blocks} blocks do not fill output_size {int(length)} with kernel_size {k} and "
                         f"stride {step}")
    out = length.dim if isinstance(length, SizeValue) else new_dim(int(length), "fold")
    channels, one = new_dim(rows_n // k, "channels"), new_dim(1, "one")
    added = "[..., None, :]" if along_w else "[..., None]"
    body = (f"tf.signal.overlap_and_add(tf.transpose(tf.reshape(v, tf.concat([tf.shape(v)[:-2], "
            f"[{rows_n // k}, {k}, tf.shape(v)[-1]]], 0)), tf.concat([tf.range(tf.rank(v) - 2), "
            f"tf.rank(v) - 2 + tf.constant([0, 2, 1])], 0)), {step}){added}")
    spatial = [one, out] if along_w else [out, one]
    return along(input, [input.ndim - 2, input.ndim - 1], body, [channels, *spatial], input.dtype)


@op("torch.nn.functional.unfold")
def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,  # noqa: A002
           stride: Any = 1) -> Tensor:
    """Sliding blocks, flattened into the channels, along one spatial axis of a (batch, channels, h, w)
    input whose other spatial axis has size 1 and a block of 1: ConvBERT's span-based dynamic
    convolution. That is torch's own composition: pad, windows (``Tensor.unfold``, RETURNN's ``window``
    layer), the window merged into the channels behind each channel."""
    (kh, kw), (ph, pw), (sh, sw) = (_pair(v, name, "unfold") for v, name in (
        (kernel_size, "kernel_size"), (padding, "padding"), (stride, "stride")))
    if _pair(dilation, "dilation", "unfold") != (1, 1):
        raise UnsupportedOpError("unfold with dilation is not supported")
    if input.ndim != 4 or input.dims[1].is_batch_dim():
        raise UnsupportedOpError("unfold is supported on a (batch, channels, h, w) input only")
    h, w = int(input.shape[2]), int(input.shape[3])
    if (kw, pw, sw) == (1, 0, 1) and w == 1 and input.dims[3].dimension == 1:
        axis, k, pad_by, step = 2, int(kh), int(ph), int(sh)
    elif (kh, ph, sh) == (1, 0, 1) and h == 1 and input.dims[2].dimension == 1:
        axis, k, pad_by, step = 3, int(kw), int(pw), int(sw)
    else:
        raise UnsupportedOpError("unfold is supported along one spatial axis only (the other of size 1, with a "
                                 "block of 1 and no padding)")
    x = squeeze(input, 5 - axis)  # (batch, channels, n)
    if pad_by:
        x = pad(x, (pad_by, pad_by))
    blocks = permute(unfold_windows(x, 2, k, step), (0, 1, 3, 2))  # (batch, channels, k, blocks)
    return merge_axes(blocks, 1, 3)


@module("torch.nn.Unfold")
class Unfold(Module):
    def __init__(self, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1):
        super().__init__()
        self.kernel_size, self.dilation, self.padding, self.stride = kernel_size, dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)


@module("torch.nn.Fold")
class Fold(Module):
    def __init__(self, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)
