"""Hugging Face speech models on mel features (unmodified third-party code) convert end to end: two
HiFi-GAN vocoders and two speech encoders (tests/specs/transformers_speech.py), each recorded and
replayed in this process with every call checked. The exported nets of those that take any length also
run on a batch of two other lengths, compared with PyTorch on the same padded batch."""

import os

import numpy as np
import pytest
import torch

from pt2r.record import DEFAULT_SEED, reset_seeds
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import TESTS, assert_converts

SPEC_FILE = os.path.join(TESTS, "specs", "transformers_speech.py")


@pytest.mark.parametrize("func", ["speecht5_hifigan", "fastspeech2_hifigan", "speech2text_encoder"])
def test_converts_and_follows_other_lengths(func, tmp_path):
    spec = load_spec(f"{SPEC_FILE}:{func}")
    speech = spec.module
    result = assert_converts(spec.spec, tmp_path, speech.example_inputs(), speech.INPUT_SPEC)
    assert result.summary["native_share"]["share"] >= 0.9
    x = speech.example_inputs(time=23, batch=2, seed=1)
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {1: [23, 14]})
    reset_seeds(DEFAULT_SEED)  # the parameters the record phase created
    with torch.no_grad():
        expected = spec.func(None, torch.from_numpy(x)).numpy()
    assert outputs["output"].shape == expected.shape
    np.testing.assert_allclose(outputs["output"], expected, rtol=1e-4, atol=1e-4)


def test_whisper_encoder_on_its_fixed_number_of_frames(tmp_path):
    spec = load_spec(f"{SPEC_FILE}:whisper_encoder")
    result = assert_converts(spec.spec, tmp_path, spec.module.example_inputs(), spec.module.WHISPER_INPUT_SPEC)
    assert result.summary["native_share"]["share"] >= 0.9
