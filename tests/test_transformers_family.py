"""Hugging Face audio models of the Wav2Vec2 family (unmodified third-party code) convert end to end.

Small random-init configs (tests/specs/transformers_family.py), raw audio (1, 3200), each recorded
and replayed in this process with every call checked (importing transformers takes seconds: one
module). A few exported nets also run on a batch of other lengths, compared with PyTorch there, so
the position biases (the Conformer's relative ones: a slice of a sinusoid buffer at bounds from the
length), the squeeze/upsample lengths and the masks are shown to stay dynamic.
"""

import os

import numpy as np
import pytest
from pt2r.spec import load_spec
from roundtrip import TESTS, assert_converts, assert_exported_follows

SPEC_FILE = os.path.join(TESTS, "specs", "transformers_family.py")
INPUT_SPEC = {"shape": (None,), "feature_dim_axis": None, "dtype": "float32"}
MODELS = ["wavlm", "hubert", "data2vec_audio", "conformer_rotary", "conformer_relative", "sew", "sew_d",
          "wav2vec2_for_ctc", "wavlm_xvector", "moonshine_encoder"]
#: their exported nets also run on a batch of two other lengths
OTHER_LENGTHS = ["wavlm", "conformer_relative", "sew", "sew_d", "wavlm_xvector", "moonshine_encoder"]


def audio(*shape, seed=0):
    return np.random.RandomState(seed).randn(*shape).astype("float32")


@pytest.mark.parametrize("func", MODELS)
def test_converts(func, tmp_path):
    result = assert_converts(f"{SPEC_FILE}:{func}", tmp_path, audio(1, 3200), INPUT_SPEC)
    if func in OTHER_LENGTHS:
        assert_exported_follows(load_spec(f"{SPEC_FILE}:{func}"), result, audio(2, 4000, seed=1), [4000, 2600])
