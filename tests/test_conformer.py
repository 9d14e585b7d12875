"""An ESPnet-style Conformer encoder (tests/specs/conformer.py) converts with mixed lengths, and the
exported net matches PyTorch on the valid frames of a batch the trace never saw."""

import numpy as np
import torch

from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import assert_converts

SPEC = "tests/specs/conformer.py:conformer"


def test_conformer_converts_and_generalises(tmp_path):
    model = load_spec(SPEC)
    result = assert_converts(SPEC, tmp_path, model.module.example_inputs(), model.module.INPUT_SPEC)
    assert result.summary["native_share"]["share"] >= 0.9

    lengths = [45, 30, 19]
    x = np.random.RandomState(5).randn(3, max(lengths), 20).astype("float32")
    with torch.no_grad():
        expected, expected_lens = model.func(None, torch.from_numpy(x), seq_lens=torch.tensor(lengths))
    got = run_exported(result.config_path, result.checkpoint_prefix, x, {1: lengths})
    np.testing.assert_array_equal(got["output_1"], expected_lens.numpy())
    for b, n in enumerate(expected_lens.tolist()):
        np.testing.assert_allclose(got["output"][b, :n], expected[b, :n].numpy(), rtol=1e-4, atol=1e-4)
