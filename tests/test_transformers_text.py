"""Hugging Face text models (unmodified third-party code) convert end to end, on token ids.

Small random-init configs (tests/specs/transformers_text.py), (1, 12) token ids as a sparse input,
each recorded and replayed in this process with every call checked. Their exported nets also run on a
batch of two other lengths, compared with PyTorch on the same padded batch: positions, causal masks,
relative position buckets and the key/value cache follow the length.
"""

import os

import pytest

from pt2r.errors import UnsupportedOpError
from pt2r.spec import load_spec
from roundtrip import TESTS, assert_converts, assert_exported_follows, convert

SPEC_FILE = os.path.join(TESTS, "specs", "transformers_text.py")
MODELS = ["gpt2", "llama", "opt", "bert", "t5", "deberta_v2", "xlnet", "gpt_neo", "fnet", "gemma2", "bart", "ctrl"]


@pytest.mark.parametrize("func", MODELS)
def test_converts_and_follows_other_lengths(func, tmp_path):
    spec = load_spec(SPEC_FILE + ":" + func)
    text = spec.module
    result = assert_converts(f"{SPEC_FILE}:{func}", tmp_path, text.example_inputs(), text.INPUT_SPEC)
    assert result.summary["native_share"]["share"] >= (0.8 if func == "fnet" else 0.9)  # (FFTs: eval layers)
    assert_exported_follows(spec, result, text.example_inputs(time=17, batch=2, seed=1), [17, 9])


def test_mamba_on_a_static_time_axis(tmp_path):
    """Its scan is a Python loop over the recorded length: over a dynamic time axis that is refused by name
    (a static axis the loop made cannot be the dynamic one); over a static one it converts."""
    spec = load_spec(SPEC_FILE + ":mamba")
    text = spec.module
    with pytest.raises(UnsupportedOpError, match="their sizes agree in this recording only"):
        convert(spec.spec, tmp_path, text.example_inputs(), text.INPUT_SPEC)
    result = assert_converts(spec.spec, tmp_path, text.example_inputs(), text.STATIC_INPUT_SPEC)
    assert result.summary["native_share"]["share"] >= 0.9


def test_rwkv_loop_is_reported_and_converts_on_a_static_time_axis(tmp_path):
    """Its loop over the time steps runs as often as recorded: over a dynamic time axis the report says
    the net is tied to the recorded length there; over a static one it converts."""
    spec = load_spec(SPEC_FILE + ":rwkv")
    text = spec.module
    (tmp_path / "dynamic").mkdir(), (tmp_path / "static").mkdir()
    result = assert_converts(spec.spec, tmp_path / "dynamic", text.example_inputs(), text.INPUT_SPEC)
    assert any("position 11 of time is its last frame only as recorded" in b
               for b in result.summary["dynamic_branches"])
    result = assert_converts(spec.spec, tmp_path / "static", text.example_inputs(), text.STATIC_INPUT_SPEC)
    assert result.summary["dynamic_branches"] == []
    assert result.summary["native_share"]["share"] >= 0.9
