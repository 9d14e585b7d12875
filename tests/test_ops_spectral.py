"""Spectral ops: the tests that fit no op case (the cases: tests/specs/ops/spectral.py, run by
test_ops.py)."""

from roundtrip import assert_converts, op_module, op_spec


def test_stft_uses_returnn_layers(tmp_path):
    """The Hann window of n_fft is RETURNN's stft layer; another window its window layer, no stft."""
    audio = op_module("spectral").RAW_AUDIO
    (tmp_path / "hann").mkdir()
    (tmp_path / "short").mkdir()
    hann = assert_converts(op_spec("spectral", "stft_hann"), tmp_path / "hann", audio.array(), audio.input_spec)
    classes = {layer["class"] for layer in hann.net_dict.values()}
    assert "stft" in classes and "window" not in classes
    short = assert_converts(op_spec("spectral", "stft_hann_short"), tmp_path / "short", audio.array(),
                            audio.input_spec)
    classes = {layer["class"] for layer in short.net_dict.values()}
    assert "window" in classes and "stft" not in classes
