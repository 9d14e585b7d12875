"""Spectral ops (torch.fft, torch.stft, windows, complex results): one line per op, recorded on PyTorch and
replayed on RETURNN, on raw audio with a dynamic time axis."""

import pytest

from pt2r.errors import UnsupportedOpError
from roundtrip import assert_converts, convert, op_spec, randn

RAW_AUDIO = {"shape": (None,), "feature_dim_axis": None, "dtype": "float32"}
TIME_MAJOR_AUDIO = {"shape": (None,), "batch_dim_axis": 1, "time_dim_axis": 0, "feature_dim_axis": None,
                    "dtype": "float32"}
FEATURES = {"shape": [None, 5], "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 2, "dtype": "float32"}
DIFFERENT_LENGTHS = {"seq_lens": [40, 27]}

RAW_CASES = [
    "rfft_time", "rfft_abs_power", "rfft_n_ortho", "irfft_roundtrip", "irfft_general", "fft_ifft",
    "stft_hann", "stft_power_log", "stft_win_length_hamming", "stft_hann_short", "stft_no_window_constant_pad",
    "stft_not_centered_twosided", "stft_return_real", "stft_buffer_window", "stft_single_signal",
    "hann_dynamic_length",
]
FEATURE_CASES = ["feat_rfft_features", "feat_dct_fft", "feat_dct_matmul"]


@pytest.mark.parametrize("func", RAW_CASES)
def test_raw_audio(func, tmp_path):
    assert_converts(op_spec("spectral", func), tmp_path, randn(2, 40), RAW_AUDIO)


@pytest.mark.parametrize("func", RAW_CASES)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("spectral", func), tmp_path, randn(2, 40, seed=1), {**RAW_AUDIO, **DIFFERENT_LENGTHS})


@pytest.mark.parametrize("func", ["tm_stft", "tm_stft_hamming", "tm_rfft_time"])
def test_time_major_different_lengths(func, tmp_path):
    assert_converts(op_spec("spectral", func), tmp_path, randn(40, 2), {**TIME_MAJOR_AUDIO, **DIFFERENT_LENGTHS})


@pytest.mark.parametrize("func", FEATURE_CASES)
def test_features(func, tmp_path):
    assert_converts(op_spec("spectral", func), tmp_path, randn(2, 7, 5), {**FEATURES, "seq_lens": [7, 4]})


def test_stft_uses_returnn_layers(tmp_path):
    """The Hann window of n_fft is RETURNN's stft layer; another window its window layer, no stft."""
    (tmp_path / "hann").mkdir()
    (tmp_path / "short").mkdir()
    hann = assert_converts(op_spec("spectral", "stft_hann"), tmp_path / "hann", randn(2, 40), RAW_AUDIO)
    classes = {layer["class"] for layer in hann.net_dict.values()}
    assert "stft" in classes and "window" not in classes
    short = assert_converts(op_spec("spectral", "stft_hann_short"), tmp_path / "short", randn(2, 40), RAW_AUDIO)
    classes = {layer["class"] for layer in short.net_dict.values()}
    assert "window" in classes and "stft" not in classes


REFUSED = [("stft_circular", "pad_mode='circular'"), ("stft_align_to_window", "align_to_window"),
           ("rfft_float64", "torch.float64"), ("complex_pow", "complex")]


@pytest.mark.parametrize("func, what", REFUSED)
def test_refused(func, what, tmp_path):
    with pytest.raises(UnsupportedOpError, match=what):
        convert(op_spec("spectral", func), tmp_path, randn(2, 40), RAW_AUDIO)
