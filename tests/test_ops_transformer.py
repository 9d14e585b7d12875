"""Transformer encoders (nn.TransformerEncoderLayer, nn.TransformerEncoder, generate_square_subsequent_mask):
one line per case, recorded on PyTorch and replayed on RETURNN."""

import numpy as np
import pytest
import torch

from pt2r.errors import UnsupportedOpError
from pt2r.record import DEFAULT_SEED, reset_seeds
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, convert, op_spec, randn

#: (batch, time, 5); every case attends over time, so each also runs on a batch of different lengths
CASES = ["layer_post_norm_relu", "layer_pre_norm_gelu", "layer_functional_gelu_no_bias", "layer_causal_mask",
         "layer_key_padding_mask", "encoder_two_layers_norm", "encoder_key_padding_mask",
         "encoder_key_padding_mask_no_nested", "encoder_padding_at_the_end"]
#: (time, batch, 5)
TIME_MAJOR_CASES = ["tm_layer_post_norm", "tm_layer_pre_norm_relu_causal", "tm_layer_masks",
                    "tm_encoder_pre_norm_causal"]
DIFFERENT_LENGTHS = {"seq_lens": [7, 4]}


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("transformer", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", CASES)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("transformer", func), tmp_path, randn(2, 7, 5), {**BATCH_MAJOR, **DIFFERENT_LENGTHS})


@pytest.mark.parametrize("func", TIME_MAJOR_CASES)
def test_time_major(func, tmp_path):
    assert_converts(op_spec("transformer", func), tmp_path, randn(7, 2, 5), TIME_MAJOR)


@pytest.mark.parametrize("func", TIME_MAJOR_CASES)
def test_time_major_different_lengths(func, tmp_path):
    assert_converts(op_spec("transformer", func), tmp_path, randn(7, 2, 5), {**TIME_MAJOR, **DIFFERENT_LENGTHS})


def _left_aligned_padding(x, lengths):
    """``x`` whose padding mask (feature 0 > 1) is True exactly from each row's length on: left-aligned."""
    x = x.copy()
    x[..., 0] = np.minimum(x[..., 0], 0.5)
    for row, n in enumerate(lengths):
        x[row, n:, 0] = 2.0
    return x


@pytest.mark.parametrize("func, left_aligned", [("layer_causal_mask", False), ("layer_key_padding_mask", False),
                                                ("encoder_two_layers_norm", False),
                                                ("encoder_key_padding_mask", False),
                                                ("encoder_key_padding_mask", True)])
def test_exported_net_runs_on_other_lengths(func, left_aligned, tmp_path):
    """Time stays dynamic: the exported net, run on another batch size and lengths than recorded, computes
    what PyTorch (plain, in eval without gradients) computes there, padding frames included. With a
    left-aligned padding mask, TransformerEncoder takes torch's nested-tensor path (zeros at padded positions
    before the final norm), which the recording could not show."""
    result = assert_converts(op_spec("transformer", func), tmp_path, randn(2, 7, 5),
                             {**BATCH_MAJOR, **DIFFERENT_LENGTHS})
    x = randn(3, 11, 5, seed=1)
    if left_aligned:
        x = _left_aligned_padding(x, [11, 6, 9])
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {1: [11, 6, 9]})
    reset_seeds(DEFAULT_SEED)  # the parameters the record phase created
    with torch.no_grad():
        expected = load_spec(op_spec("transformer", func)).func(None, torch.from_numpy(x)).numpy()
    assert outputs["output"].shape == expected.shape
    np.testing.assert_allclose(outputs["output"], expected, rtol=1e-5, atol=1e-5)


REFUSED = [("layer_other_activation", UnsupportedOpError, "activation .* is not supported"),
           ("layer_training_dropout", UnsupportedOpError, "dropout=0.1 in training mode .random. is not supported"),
           ("encoder_nested_no_mask_check", UnsupportedOpError, "mask_check=False .* not supported"),
           ("full_transformer", UnsupportedOpError,
            "torch.nn.Transformer .the encoder-decoder module. is not supported")]


@pytest.mark.parametrize("func, error, what", REFUSED)
def test_refused(func, error, what, tmp_path):
    with pytest.raises(error, match=what):
        convert(op_spec("transformer", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)
