"""Op test models for spectral ops: torch.fft, torch.stft, window functions and complex results.

Each function is a tiny model ``f(wrapped_import, x)``; x is raw audio (batch, time) unless the
name says ``feat_`` ((batch, time, 5) features) or ``tm_`` (time-major raw audio (time, batch)). Time
is dynamic; the tests also run with sequences of different lengths, so transforms over time and the
STFT's padding and framing must use the padded batch as torch does. Complex results are returned as
``view_as_real`` (or real, imag) where the test should compare both parts.
"""

from opcases import BATCH_MAJOR, Inputs, case, refused, torch_of

#: raw audio: (batch, time) and (time, batch), time dynamic
RAW_AUDIO = Inputs("raw_audio", (2, 40), {"shape": (None,), "feature_dim_axis": None, "dtype": "float32"},
                   lengths=[40, 27])
TIME_MAJOR_AUDIO = Inputs("time_major", (40, 2), {"shape": (None,), "batch_dim_axis": 1, "time_dim_axis": 0,
                                                  "feature_dim_axis": None, "dtype": "float32"}, lengths=[40, 27])
#: (batch, time, 5)
FEATURES = Inputs("features", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])


# -- torch.fft ---------------------------------------------------------------------------------

@case(["torch.fft.rfft", "torch.view_as_real"], on=(RAW_AUDIO, RAW_AUDIO.lens), other_lengths=[[50, 23, 31]])
def rfft_time(w, x):
    """Over the dynamic time axis: the frequency axis is time // 2 + 1."""
    torch = torch_of(w)
    return torch.view_as_real(torch.fft.rfft(x))


@case(["Tensor.imag", "Tensor.real", "torch.fft.rfft"], on=(RAW_AUDIO, RAW_AUDIO.lens))
def rfft_abs_power(w, x):
    torch = torch_of(w)
    spec = torch.fft.rfft(x, dim=1)
    return spec.abs(), torch.abs(spec).pow(2), spec.real ** 2 + spec.imag ** 2


@case(["torch.fft.rfft", "torch.view_as_real"], on=(RAW_AUDIO, RAW_AUDIO.lens))
def rfft_n_ortho(w, x):
    """n crops (n below the length) or zero-pads (above); norm="ortho" and "forward" scale."""
    torch = torch_of(w)
    short = torch.fft.rfft(x, n=8, norm="ortho")
    long = torch.fft.rfft(x, n=64, dim=-1, norm="forward")
    return torch.view_as_real(short), torch.view_as_real(long)


@case(["torch.fft.irfft", "torch.fft.rfft"], on=(RAW_AUDIO, RAW_AUDIO.lens), other_lengths=[[50, 23, 31]])
def irfft_roundtrip(w, x):
    torch = torch_of(w)
    spec = torch.fft.rfft(x)
    return torch.fft.irfft(spec, n=x.shape[-1]) - x, torch.fft.irfft(spec, norm="ortho")


@case(["torch.fft.fft", "torch.fft.irfft"], on=(RAW_AUDIO, RAW_AUDIO.lens), other_lengths=[[50, 23, 31]])
def irfft_general(w, x):
    """irfft of a spectrum that is not one of a real signal (its DC and top bins have imaginary parts)."""
    torch = torch_of(w)
    spec = torch.fft.fft(x, n=16)
    return torch.fft.irfft(spec), torch.fft.irfft(spec, n=10, norm="forward")


@case([
    "Tensor.imag",
    "Tensor.real",
    "torch.fft.fft",
    "torch.fft.ifft",
    "torch.imag",
    "torch.real",
    "torch.view_as_real",
], on=(RAW_AUDIO, RAW_AUDIO.lens))
def fft_ifft(w, x):
    torch = torch_of(w)
    spec = torch.fft.fft(x, norm="backward")
    back = torch.fft.ifft(spec)
    padded = torch.fft.ifft(x, n=9, norm="ortho")  # of a real input: torch's result is a conjugate view
    return torch.view_as_real(spec), torch.real(back), torch.imag(back), padded.real, padded.imag


@case(["torch.fft.fft", "torch.fft.rfft", "torch.view_as_real"], on=(FEATURES.lens,), other_lengths=[[9, 3, 6]])
def feat_rfft_features(w, x):
    """Over the static feature axis (a dim in the middle after a transpose)."""
    torch = torch_of(w)
    spec = torch.fft.rfft(x.transpose(1, 2), dim=1)
    return spec.abs(), torch.view_as_real(torch.fft.fft(x, dim=-1, norm="ortho"))


@case(["torch.fft.fft", "torch.view_as_real"], on=(FEATURES.lens,), other_lengths=[[9, 3, 6]])
def feat_dct_fft(w, x):
    """DCT-II (orthonormal) over the feature axis by the torch-dct recipe: reorder, FFT, twiddle."""
    torch = torch_of(w)
    import math
    n = x.shape[-1]
    v = torch.cat([x[..., ::2], x[..., 1::2].flip([-1])], dim=-1)
    vc = torch.view_as_real(torch.fft.fft(v, dim=-1))
    k = -torch.arange(n, dtype=x.dtype) * math.pi / (2 * n)
    out = vc[..., 0] * torch.cos(k) - vc[..., 1] * torch.sin(k)
    scale = torch.full((n,), 1 / math.sqrt(n / 2) / 2)
    scale[0] = 1 / math.sqrt(n) / 2
    return 2 * out * scale


@case(["Tensor.matmul"], on=(FEATURES.lens,))
def feat_dct_matmul(w, x):
    """DCT-II as a matmul with a constant matrix (torchaudio's create_dct)."""
    torch = torch_of(w)
    import math
    n = torch.arange(5, dtype=torch.float32)
    k = torch.arange(5, dtype=torch.float32).unsqueeze(1)
    dct = torch.cos(math.pi / 5 * (n + 0.5) * k).t()
    return x @ dct


# -- windows and stft ---------------------------------------------------------------------------

@case(["torch.stft", "torch.view_as_real"], on=(RAW_AUDIO, RAW_AUDIO.lens), other_lengths=[[50, 23, 31]])
def stft_hann(w, x):
    """The periodic Hann window of n_fft: RETURNN's stft layer."""
    torch = torch_of(w)
    spec = torch.stft(x, n_fft=16, hop_length=4, window=torch.hann_window(16), return_complex=True)
    return torch.view_as_real(spec), spec.abs()


@case(["torch.stft"], on=(RAW_AUDIO, RAW_AUDIO.lens))
def stft_power_log(w, x):
    """A power spectrogram front-end: |STFT|^2, log, frames first."""
    torch = torch_of(w)
    spec = torch.stft(x, 16, 5, window=torch.hann_window(16), return_complex=True)
    return torch.log(spec.abs().pow(2) + 1e-6).transpose(1, 2)


@case(["torch.stft", "torch.view_as_real"], on=(RAW_AUDIO, RAW_AUDIO.lens), other_lengths=[[50, 23, 31]])
def stft_win_length_hamming(w, x):
    """win_length < n_fft: the Hamming window sits centred in the frame."""
    torch = torch_of(w)
    window = torch.hamming_window(12, periodic=False)
    spec = torch.stft(x, n_fft=16, hop_length=4, win_length=12, window=window, return_complex=True)
    return torch.view_as_real(spec)


@case(["torch.stft", "torch.view_as_real"], on=(RAW_AUDIO, RAW_AUDIO.lens))
def stft_hann_short(w, x):
    """A Hann window shorter than n_fft (not tf.signal's window), normalized."""
    torch = torch_of(w)
    spec = torch.stft(x, 16, hop_length=3, win_length=10, window=torch.hann_window(10), normalized=True,
                      return_complex=True)
    return torch.view_as_real(spec)


@case(["torch.stft", "torch.view_as_real"], on=(RAW_AUDIO, RAW_AUDIO.lens))
def stft_no_window_constant_pad(w, x):
    """No window (rectangular: over the frame, or over win_length centred in it), constant padding, the
    default hop (n_fft // 4)."""
    torch = torch_of(w)
    whole = torch.stft(x, 12, pad_mode="constant", return_complex=True)
    part = torch.stft(x, 12, 3, win_length=7, pad_mode="constant", return_complex=True)
    return torch.view_as_real(whole), torch.view_as_real(part)


@case(["Tensor.real", "Tensor.stft", "torch.view_as_real"], on=(RAW_AUDIO, RAW_AUDIO.lens), other_lengths=[[50, 23, 31]])
def stft_not_centered_twosided(w, x):
    torch = torch_of(w)
    spec = x.stft(8, hop_length=2, window=torch.hann_window(8), center=False, onesided=False, return_complex=True)
    return torch.view_as_real(spec), spec.real


@case(["torch.stft"], on=(RAW_AUDIO, RAW_AUDIO.lens))
def stft_return_real(w, x):
    """return_complex=False (deprecated): the (real, imaginary) pairs as the last axis."""
    torch = torch_of(w)
    return torch.stft(x, 8, hop_length=4, window=torch.hann_window(8), return_complex=False)


@case(["torch.stft"], on=(RAW_AUDIO, RAW_AUDIO.lens))
def stft_buffer_window(w, x):
    """The window a module buffer (as front-ends keep it), used by two calls (RETURNN's stft layer, then a
    two-sided transform with the window multiplied in), and a trainable window (a parameter)."""
    torch = torch_of(w)

    class Frontend(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("window", torch.hann_window(16))
            self.learned = torch.nn.Parameter(torch.hann_window(16))

        def forward(self, x):
            a = torch.stft(x, 16, 4, window=self.window, return_complex=True).abs()
            b = torch.stft(x * 2, 16, 8, window=self.window, onesided=False, return_complex=True).abs()
            c = torch.stft(x, 16, 4, window=self.learned, return_complex=True).abs()
            return a, b, c

    return Frontend()(x)


@case(["torch.stft"], on=(RAW_AUDIO, RAW_AUDIO.lens))
def stft_single_signal(w, x):
    """A 1-D signal (the batch summed up): (freq, frames)."""
    torch = torch_of(w)
    return torch.stft(x.sum(0), 8, 2, window=torch.hann_window(8), return_complex=True).abs()


@case(["torch.hamming_window", "torch.hann_window"], on=(RAW_AUDIO, RAW_AUDIO.lens), other_lengths=[[50, 23, 31]])
def hann_dynamic_length(w, x):
    """A window as long as the (padded) input: built in the net."""
    torch = torch_of(w)
    return x * torch.hann_window(x.shape[1]), x * torch.hamming_window(x.shape[1], periodic=False)


@case(["Tensor.t", "torch.stft"], on=(TIME_MAJOR_AUDIO.lens,), other_lengths=[[50, 23, 31]])
def tm_stft(w, x):
    """Time-major raw audio: transposed to (batch, time) first."""
    torch = torch_of(w)
    return torch.stft(x.t(), 16, 4, window=torch.hann_window(16), return_complex=True).abs()


@case(["torch.stft", "torch.view_as_real"], on=(TIME_MAJOR_AUDIO.lens,))
def tm_stft_hamming(w, x):
    """Time-major, a window shorter than n_fft, replicate padding: RETURNN's window layer on time-major data."""
    torch = torch_of(w)
    spec = torch.stft(x.t(), 16, 4, win_length=11, window=torch.hamming_window(11), pad_mode="replicate",
                      return_complex=True)
    return torch.view_as_real(spec)


@case(["torch.fft.rfft", "torch.view_as_real"], on=(TIME_MAJOR_AUDIO.lens,))
def tm_rfft_time(w, x):
    torch = torch_of(w)
    return torch.view_as_real(torch.fft.rfft(x, dim=0))


# -- refused ------------------------------------------------------------------------------------

@refused("pad_mode='circular'", on=RAW_AUDIO)
def stft_circular(w, x):
    torch = torch_of(w)
    return torch.stft(x, 8, window=torch.hann_window(8), pad_mode="circular", return_complex=True)


@refused("align_to_window", on=RAW_AUDIO)
def stft_align_to_window(w, x):
    torch = torch_of(w)
    return torch.stft(x, 8, 2, win_length=6, center=False, align_to_window=True, return_complex=True)


@refused("torch.float64", on=RAW_AUDIO)
def rfft_float64(w, x):
    torch = torch_of(w)
    return torch.fft.rfft(x.double()).abs()


@case(["Tensor.pow", "torch.fft.rfft", "torch.view_as_real"], on=(RAW_AUDIO.lens,))
def complex_pow(w, x):
    torch = torch_of(w)
    return torch.view_as_real(torch.fft.rfft(x).pow(2) / 4)


# -- back to signals: complex spectra built from parts, istft ---------------------------------------

@case(["Tensor.istft", "torch.istft", "torch.stft"], on=(RAW_AUDIO, RAW_AUDIO.lens), other_lengths=[[50, 23, 31]])
def istft_roundtrip(w, x):
    """stft then istft with the same Hann window: the signal again, (frames - 1) * hop long."""
    torch = torch_of(w)
    window = torch.hann_window(16)
    spec = torch.stft(x, 16, 4, window=window, return_complex=True)
    return spec.istft(16, 4, window=window) + torch.istft(spec * 2, 16, 4, window=window)


@case(["torch.istft", "torch.stft"], on=(RAW_AUDIO, RAW_AUDIO.lens), other_lengths=[[50, 23, 31]])
def istft_length_and_short_window(w, x):
    """A window shorter than n_fft (centred in the frame), normalized, cut or padded to the input's length."""
    torch = torch_of(w)
    window = torch.hamming_window(12)
    spec = torch.stft(x, 16, 4, 12, window=window, normalized=True, return_complex=True)
    return torch.istft(spec, 16, 4, 12, window=window, normalized=True, length=x.shape[-1])


@case(["torch.istft", "torch.stft"], on=(RAW_AUDIO.lens,))
def istft_two_sided(w, x):
    torch = torch_of(w)
    window = torch.hann_window(16)
    spec = torch.stft(x, 16, 4, window=window, onesided=False, return_complex=True)
    return torch.istft(spec, 16, 4, window=window, onesided=False)


@case(["torch.istft"], on=(FEATURES, FEATURES.lens), other_lengths=[[9, 3, 6]])
def feat_vocos_head(w, x):
    """Vocos' ISTFT head: log-magnitudes and phases from a projection of the features, the complex
    spectrum ``mag * (cos(p) + 1j * sin(p))`` (a complex scalar), its istft over the frames (time)."""
    torch = torch_of(w)
    n_fft, hop = 8, 2
    out = torch.nn.Linear(5, n_fft + 2)(x).transpose(1, 2)
    mag, p = out.chunk(2, dim=1)
    mag = torch.clip(torch.exp(mag), max=1e2)
    spec = mag * (torch.cos(p) + 1j * torch.sin(p))
    return torch.istft(spec, n_fft, hop, window=torch.hann_window(n_fft), center=True)


@case(["torch.complex", "torch.polar", "torch.view_as_complex", "torch.istft"], on=(FEATURES.lens,),
      other_lengths=[[9, 3, 6]])
def feat_complex_parts(w, x):
    """iSTFTNet's spectrum ``mag * exp(1j * phase)``, the same by torch.polar and torch.complex, and parts
    stacked last as view_as_complex; rectangular window (none given), not centred."""
    torch = torch_of(w)
    out = torch.nn.Linear(5, 10)(x).transpose(1, 2)
    mag, phase = torch.exp(out[:, :5]), torch.sin(out[:, 5:])
    a = mag * torch.exp(phase * 1j)
    b = torch.polar(mag, phase) + torch.complex(mag * torch.cos(phase), mag * torch.sin(phase))
    c = torch.view_as_complex(torch.stack([mag, phase], -1).contiguous())
    return torch.istft(a + b - c / 2, 8, 4, center=False, window=torch.hann_window(8) + 0.5)


@refused("istft with return_complex=True", on=RAW_AUDIO)
def istft_return_complex(w, x):
    torch = torch_of(w)
    spec = torch.stft(x, 16, 4, onesided=False, return_complex=True)
    return torch.istft(spec, 16, 4, onesided=False, return_complex=True).real


@refused("atan of a complex tensor", on=RAW_AUDIO)
def complex_atan(w, x):
    torch = torch_of(w)
    return torch.view_as_real(torch.atan(x * 1j))


@case(["torch.nn.functional.fold", "torch.fft.irfft"], on=(FEATURES, FEATURES.lens), other_lengths=[[9, 3, 6]])
def feat_vocos_same_padding(w, x):
    """Vocos' ISTFT with ``padding="same"``: the frames' inverse FFT, windowed, overlapped and added by
    F.fold into ``(t - 1) * hop + win`` samples, the window envelope by F.fold too, both cut by the padding."""
    torch = torch_of(w)
    n_fft, hop = 8, 2
    pad = (n_fft - hop) // 2
    out = torch.nn.Linear(5, n_fft + 2)(x).transpose(1, 2)
    spec = torch.exp(out[:, :5]) * torch.exp(1j * out[:, 5:])
    window = torch.hann_window(n_fft)
    frames = torch.fft.irfft(spec, n_fft, dim=1, norm="backward") * window[None, :, None]
    t = spec.shape[-1]
    size = (t - 1) * hop + n_fft
    y = torch.nn.functional.fold(frames, output_size=(1, size), kernel_size=(1, n_fft), stride=(1, hop))
    y = y[:, 0, 0, pad:-pad]
    window_sq = window.square().expand(1, t, -1).transpose(1, 2)
    envelope = torch.nn.functional.fold(window_sq, output_size=(1, size), kernel_size=(1, n_fft),
                                        stride=(1, hop)).squeeze()[pad:-pad]
    return y / envelope


@refused("fold is supported along one spatial axis only", on=FEATURES)
def feat_fold_2d(w, x):
    torch = torch_of(w)
    blocks = torch.nn.Linear(5, 4)(x).transpose(1, 2)[:, :, :4]
    return torch.nn.functional.fold(blocks, output_size=(3, 3), kernel_size=(2, 2))


@case([
    "torch.fft.fft2",
    "torch.fft.fftn",
    "torch.fft.ifft2",
    "torch.fft.ifftn",
    "torch.fft.irfft2",
    "torch.fft.irfftn",
    "torch.fft.rfft2",
    "torch.fft.rfftn",
], on=(FEATURES, FEATURES.lens), other_lengths=[[9, 3, 6]])
def fft_over_several_axes(w, x):
    """FNet's token mixing ``fftn(x, dim=(1, 2)).real`` (over time and features), the 2-d transforms and
    their inverses, with lengths (a dynamic one from ``x.shape``) and norms."""
    torch = torch_of(w)
    fnet = torch.fft.fftn(x, dim=(1, 2)).real
    spec = torch.fft.rfft2(x, norm="ortho")
    back = torch.fft.irfft2(spec, s=(x.shape[1], 5), norm="ortho")
    inverse = torch.fft.ifftn(torch.fft.fft2(x, s=(4, 6)), dim=(-2, -1))
    real_n = torch.fft.irfftn(torch.fft.rfftn(x, s=(3, 8), dim=(1, 2)), s=(3, 8), dim=(1, 2), norm="forward")
    return fnet, back - x, inverse.real, inverse.imag, real_n, torch.fft.ifft2(fnet, norm="forward").imag


@refused("over the batch axis is not supported", on=FEATURES)
def fftn_over_the_batch(w, x):
    return torch_of(w).fft.fftn(x).real


@case(["torch.nn.Fold", "torch.nn.Unfold", "torch.nn.functional.unfold"], on=(FEATURES, FEATURES.lens),
      other_lengths=[[9, 3, 6]])
def unfold_along_one_axis(w, x):
    """Sliding blocks along time, flattened into the channels (ConvBERT's span-based convolution:
    ``unfold`` of (batch, channels, time, 1) with blocks (k, 1), padded to keep the length); strided
    blocks along the last axis, and folded back by ``nn.Fold``."""
    torch = torch_of(w)
    channels_first = x.transpose(1, 2)
    spans = torch.nn.functional.unfold(channels_first.unsqueeze(-1), kernel_size=[3, 1], padding=[1, 0])
    mixed = spans.transpose(1, 2).reshape(x.shape[0], -1, 5, 3).softmax(-1).sum(-1)
    blocks = torch.nn.Unfold(kernel_size=(1, 2), stride=(1, 2))(channels_first[:, :, None, :6])
    return mixed * x, torch.nn.Fold((1, 6), (1, 2), stride=(1, 2))(blocks)[:, :, 0] - channels_first[:, :, :6]


@refused("unfold is supported along one spatial axis only", on=FEATURES)
def unfold_two_axes(w, x):
    return torch_of(w).nn.functional.unfold(x[:, None], kernel_size=2)
