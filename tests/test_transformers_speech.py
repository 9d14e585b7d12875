"""Hugging Face speech models on mel features (unmodified third-party code) convert end to end: two
HiFi-GAN vocoders and five speech encoders (tests/specs/transformers_speech.py), each recorded and
replayed in this process with every call checked. The exported nets of those that take any length also
run on a batch of two other lengths, compared with PyTorch on the same padded batch."""

import os

import pytest

from pt2r.spec import load_spec
from roundtrip import TESTS, assert_converts, assert_exported_follows

SPEC_FILE = os.path.join(TESTS, "specs", "transformers_speech.py")


@pytest.mark.parametrize("func", ["speecht5_hifigan", "fastspeech2_hifigan", "speech2text_encoder", "wav2vec2_bert",
                                  "parakeet_encoder", "seamless_m4t_speech_encoder"])
def test_converts_and_follows_other_lengths(func, tmp_path):
    spec = load_spec(f"{SPEC_FILE}:{func}")
    speech = spec.module
    result = assert_converts(spec.spec, tmp_path, speech.example_inputs(), speech.INPUT_SPEC)
    assert result.summary["native_share"]["share"] >= 0.9
    assert_exported_follows(spec, result, speech.example_inputs(time=23, batch=2, seed=1), [23, 14])


def test_whisper_encoder_on_its_fixed_number_of_frames(tmp_path):
    spec = load_spec(f"{SPEC_FILE}:whisper_encoder")
    result = assert_converts(spec.spec, tmp_path, spec.module.example_inputs(), spec.module.WHISPER_INPUT_SPEC)
    assert result.summary["native_share"]["share"] >= 0.9
