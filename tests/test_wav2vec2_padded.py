"""A padded batch through transformers' Wav2Vec2Model: the model function takes ``seq_lens``, the
replay binds them to RETURNN's sequence lengths, and the exported net masks padding as
transformers does on a batch of other lengths (checked against PyTorch on the valid frames)."""

import json
import os

import numpy as np
import pytest
import torch

from pt2r.record import reset_seeds
from phases import run_python
from roundtrip import assert_converts

from specs import wav2vec2 as spec

SPEC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "specs", "wav2vec2.py") + ":model_func_padded"
pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("w2v_padded")
    result = assert_converts(SPEC, tmp, spec.padded_audio(spec.PADDED_SEQ_LENS), spec.PADDED_INPUT_SPEC)
    return tmp, result


def test_padded_batch_converts(converted):
    tmp, result = converted
    assert result.summary["checked_calls"] > 100
    # the lengths enter the net as RETURNN's own (a length layer), and the mask's branch is reported
    config = (tmp / "out" / "returnn.config").read_text()
    assert "'class': 'length'" in config or '"class": "length"' in config
    report = json.loads((tmp / "out" / "report.json").read_text())
    assert "Tensor.__bool__" in json.dumps(report)


def test_exported_net_masks_other_lengths_as_transformers_does(converted, tmp_path):
    tmp, _ = converted
    lens = [3600, 2400, 3000]
    x = spec.padded_audio(lens, seed=7)
    reset_seeds(42)  # the record's seed: the same random weights
    with torch.no_grad():
        expected = spec.model_func_padded(None, torch.from_numpy(x), torch.tensor(lens)).numpy()
    np.save(tmp_path / "x.npy", x)
    out = tmp / "out"
    code = f"""
import numpy as np
from pt2r.replay.standalone import run_exported
y = run_exported({str(out / "returnn.config")!r}, {str(out / "model")!r}, np.load({str(tmp_path / "x.npy")!r}),
                 {{1: {lens!r}}})
np.save({str(tmp_path / "y.npy")!r}, y["output"])
"""
    proc = run_python(code, blocked=("torch",))
    assert proc.returncode == 0, proc.stderr
    got = np.load(tmp_path / "y.npy")
    assert got.shape == expected.shape
    for i, n in enumerate(spec.output_lengths(lens)):
        np.testing.assert_allclose(got[i, :n], expected[i, :n], atol=1e-4, rtol=1e-3)
