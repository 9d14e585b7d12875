"""Parallel WaveGAN's MB-MelGAN (unmodified third-party code) across two environments.

Recorded where TensorFlow cannot be imported, replayed where torch cannot; the
exported net is then run in a third process on an input length the trace never
saw and compared with PyTorch on that length.
"""

import os

import numpy as np
import pytest
import torch

from phases import run_pt2r, run_python
from pt2r.examples import mb_melgan

SPEC = "pt2r.examples.mb_melgan:model_func"


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mb_melgan")
    checkpoint = str(folder / "checkpoint.pkl")
    mb_melgan.make_checkpoint(checkpoint, seed=3)
    env = {**os.environ, mb_melgan.CHECKPOINT_ENV: checkpoint}
    trace, out = str(folder / "trace.h5"), str(folder / "out")
    proc = run_pt2r("record", SPEC, "-o", trace, blocked=("tensorflow", "returnn"), env=env)
    assert proc.returncode == 0, proc.stderr
    proc = run_pt2r("replay", trace, "-o", out, blocked=("torch",))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return checkpoint, trace, out, proc.stdout


def test_every_call_passes_without_torch(converted):
    _, _, out, stdout = converted
    assert "every check passes" in stdout and "standalone check of the exported net: pass" in " ".join(stdout.split())
    assert os.path.exists(os.path.join(out, "model.index"))


def test_exported_net_runs_on_a_length_the_trace_never_saw(converted, tmp_path):
    checkpoint, _, out, _ = converted
    frames = 37
    x = mb_melgan.example_inputs(frames, seed=5)
    os.environ[mb_melgan.CHECKPOINT_ENV] = checkpoint
    try:
        with torch.no_grad():
            expected = mb_melgan.model_func(None, torch.from_numpy(x)).numpy()
    finally:
        del os.environ[mb_melgan.CHECKPOINT_ENV]
    assert expected.shape == (1, 1, frames * mb_melgan.HOP_LENGTH)
    np.save(tmp_path / "x.npy", x)
    code = f"""
import numpy as np
from pt2r.replay.standalone import run_exported
y = run_exported({os.path.join(out, "returnn.config")!r}, {os.path.join(out, "model")!r}, np.load({str(tmp_path / "x.npy")!r}))
np.save({str(tmp_path / "y.npy")!r}, y["output"])
"""
    proc = run_python(code, blocked=("torch",))
    assert proc.returncode == 0, proc.stderr
    got = np.load(tmp_path / "y.npy")
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-3)
