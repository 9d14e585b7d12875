"""Hugging Face text models (unmodified third-party code) convert end to end, on token ids.

Small random-init configs (tests/specs/transformers_text.py), (1, 12) token ids as a sparse input,
each recorded and replayed in this process with every call checked. Their exported nets also run on a
batch of two other lengths, compared with PyTorch on the same padded batch: positions, causal masks,
relative position buckets and the key/value cache follow the length.
"""

import os

import numpy as np
import pytest
import torch

from pt2r.record import DEFAULT_SEED, reset_seeds
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import TESTS, assert_converts

SPEC_FILE = os.path.join(TESTS, "specs", "transformers_text.py")
MODELS = ["gpt2", "llama", "opt", "bert", "t5_encoder"]


@pytest.mark.parametrize("func", MODELS)
def test_converts_and_follows_other_lengths(func, tmp_path):
    spec = load_spec(SPEC_FILE + ":" + func)
    text = spec.module
    result = assert_converts(f"{SPEC_FILE}:{func}", tmp_path, text.example_inputs(), text.INPUT_SPEC)
    assert result.summary["native_share"]["share"] >= 0.9
    x = text.example_inputs(time=17, batch=2, seed=1)
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {1: [17, 9]})
    reset_seeds(DEFAULT_SEED)  # the parameters the record phase created
    with torch.no_grad():
        expected = spec.func(None, torch.from_numpy(x)).numpy()
    assert outputs["output"].shape == expected.shape
    np.testing.assert_allclose(outputs["output"], expected, rtol=1e-4, atol=1e-4)
