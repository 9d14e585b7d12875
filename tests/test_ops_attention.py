"""Attention (nn.MultiheadAttention, F.scaled_dot_product_attention, F.multi_head_attention_forward): one
line per case, recorded on PyTorch and replayed on RETURNN."""

import numpy as np
import pytest
import torch

from pt2r.errors import UnsupportedOpError
from pt2r.record import DEFAULT_SEED, reset_seeds
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, convert, op_spec, randn

#: (batch, time, 5); every case attends over time, so each also runs on a batch of different lengths
CASES = [
    "mha_self", "mha_one_head_no_bias", "mha_cross", "mha_kdim_vdim", "mha_weights_per_head", "mha_no_weights",
    "mha_key_padding_mask", "mha_float_key_padding_mask", "mha_causal", "mha_cross_mask_and_padding", "mha_mask_3d",
    "mha_float_mask_3d_one_head", "mha_eval_fast_path",
    "sdpa", "sdpa_heads", "sdpa_cross", "sdpa_causal", "sdpa_bool_mask", "sdpa_float_mask",
    "mhaf_packed", "mhaf_separate_weights", "mhaf_cross_kdim_vdim", "mhaf_masks_without_weights", "mhaf_causal",
    "mhaf_dropout_outside_training", "wavlm_gated_position_bias",
]
#: (time, batch, 5)
TIME_MAJOR_CASES = ["tm_mha_self", "tm_mha_cross", "tm_mha_masks", "tm_mhaf_packed"]
#: a batch of one: batch axes recorded with size 1 still line up with the batch, not broadcast
BATCH_OF_ONE = ["mhaf_separate_weights", "wavlm_gated_position_bias"]
DIFFERENT_LENGTHS = {"seq_lens": [7, 4]}


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("attention", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", CASES)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("attention", func), tmp_path, randn(2, 7, 5), {**BATCH_MAJOR, **DIFFERENT_LENGTHS})


@pytest.mark.parametrize("func", TIME_MAJOR_CASES)
def test_time_major(func, tmp_path):
    assert_converts(op_spec("attention", func), tmp_path, randn(7, 2, 5), TIME_MAJOR)


@pytest.mark.parametrize("func", TIME_MAJOR_CASES)
def test_time_major_different_lengths(func, tmp_path):
    assert_converts(op_spec("attention", func), tmp_path, randn(7, 2, 5), {**TIME_MAJOR, **DIFFERENT_LENGTHS})


@pytest.mark.parametrize("func", BATCH_OF_ONE)
def test_batch_of_one(func, tmp_path):
    assert_converts(op_spec("attention", func), tmp_path, randn(1, 7, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", ["mha_self", "mha_cross_mask_and_padding", "sdpa_causal", "mhaf_separate_weights",
                                  "wavlm_gated_position_bias"])
def test_exported_net_runs_on_other_lengths(func, tmp_path):
    """Query and key lengths stay dynamic: the exported net, run on another batch size and lengths than
    recorded, computes what PyTorch computes there (padding frames included)."""
    result = assert_converts(op_spec("attention", func), tmp_path, randn(2, 7, 5), {**BATCH_MAJOR, **DIFFERENT_LENGTHS})
    x = randn(3, 11, 5, seed=1)
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {1: [11, 6, 9]})
    reset_seeds(DEFAULT_SEED)  # the parameters the record phase created
    expected = load_spec(op_spec("attention", func)).func(None, torch.from_numpy(x)).detach().numpy()
    assert outputs["output"].shape == expected.shape
    np.testing.assert_allclose(outputs["output"], expected, rtol=1e-5, atol=1e-5)


REFUSED = [("sdpa_dropout", "dropout_p=0.1 .random dropout."), ("sdpa_gqa", "enable_gqa=True"),
           ("mha_add_bias_kv", "add_bias_kv"), ("mha_training_dropout", "dropout=0.5 in training mode"),
           ("mhaf_bias_kv", "bias_k/bias_v or add_zero_attn"),
           ("mhaf_training_dropout", "dropout_p=0.5 and training=True")]


@pytest.mark.parametrize("func, what", REFUSED)
def test_refused(func, what, tmp_path):
    with pytest.raises(UnsupportedOpError, match=f"{what}.*not supported"):
        convert(op_spec("attention", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)
