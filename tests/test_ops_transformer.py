"""Transformers: the tests that fit no op case (the cases: tests/specs/ops/transformer.py, run by
test_ops.py)."""

import numpy as np
import pytest
import torch

from pt2r.record import DEFAULT_SEED, reset_seeds
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import BATCH_MAJOR, assert_converts, op_spec, randn


def _left_aligned_padding(x, lengths):
    """``x`` whose padding mask (feature 0 > 1) is True exactly from each row's length on: left-aligned."""
    x = x.copy()
    x[..., 0] = np.minimum(x[..., 0], 0.5)
    for row, n in enumerate(lengths):
        x[row, n:, 0] = 2.0
    return x


@pytest.mark.parametrize("func", ["encoder_key_padding_mask", "transformer_padding_masks"])
def test_exported_net_runs_on_left_aligned_padding(func, tmp_path):
    """The exported net, run on another batch size and lengths than recorded, computes what PyTorch (plain,
    in eval without gradients) computes there, padding frames included: with a left-aligned padding mask,
    TransformerEncoder takes torch's nested-tensor path (zeros at padded positions before the final norm),
    which the recording could not show. (The other cases' runs on other lengths: their ``other_lengths``.)"""
    result = assert_converts(op_spec("transformer", func), tmp_path, randn(2, 7, 5),
                             {**BATCH_MAJOR, "seq_lens": [7, 4]})
    x = randn(3, 11, 5, seed=1)
    x = _left_aligned_padding(x, [11, 6, 9])
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {1: [11, 6, 9]})
    reset_seeds(DEFAULT_SEED)  # the parameters the record phase created
    with torch.no_grad():
        expected = load_spec(op_spec("transformer", func)).func(None, torch.from_numpy(x)).numpy()
    assert outputs["output"].shape == expected.shape
    np.testing.assert_allclose(outputs["output"], expected, rtol=1e-5, atol=1e-5)
