"""einops on model code, unmodified: the tests that fit no op case (the cases: tests/specs/ops/einops.py,
run by test_ops.py).

einops calls torch ops underneath (``reshape``, ``permute``, ``amax``, ``expand``, ``cat``, ``einsum``,
...): the trace records those, and replay checks each one (see ``pt2r/torch/_einops.py``).
"""

import os

import pytest

from pt2r.record import record
from pt2r.trace import TraceReader
from phases import run_pt2r
from roundtrip import BATCH_MAJOR, assert_converts, op_spec, randn

pytest.importorskip("einops")


def test_other_lengths_in_one_process(tmp_path):
    """einops caches what it computes from a shape; drop-in sizes equal to those of an earlier run
    (another network) must not get that run's dims: the same model converts twice, then on another
    time length."""
    for i, length in enumerate([7, 7, 6]):
        spec = op_spec("einops", "repeat_over_time")
        (tmp_path / str(i)).mkdir()
        (tmp_path / f"{i}b").mkdir()
        assert_converts(spec, tmp_path / str(i), randn(2, length, 5), {**BATCH_MAJOR, "seq_lens": [length, 4]})
        assert_converts(op_spec("einops", "rearrange_unflatten_time_given"), tmp_path / f"{i}b",
                        randn(2, length, 5), BATCH_MAJOR)


def _targets(func, tmp_path, inputs, input_spec):
    trace = os.path.join(str(tmp_path), "trace.h5")
    record(op_spec("einops", func), trace, inputs=inputs, input_spec=input_spec)
    with TraceReader(trace) as reader:
        return [c["target"] for c in reader.meta["calls"]]


def test_recorded_as_torch_ops(tmp_path):
    """einops' calls are recorded as the torch ops they make, e.g. a split of heads as a reshape and
    a permute, a reduction as ``amax``, a layer as the einops module with its ops inside."""
    targets = _targets("rearrange_split_heads", tmp_path, randn(2, 7, 5), BATCH_MAJOR)
    assert "Tensor.reshape" in targets and "Tensor.permute" in targets
    assert "Tensor.amax" in _targets("reduce_max_time", tmp_path, randn(2, 7, 5), BATCH_MAJOR)
    targets = _targets("layer_einmix", tmp_path, randn(2, 7, 5), BATCH_MAJOR)
    assert "einops.layers.torch.EinMix" in targets and "torch.einsum" in targets


def test_replay_without_torch(tmp_path):
    """Recorded here, replayed in a process where torch cannot be imported."""
    trace = str(tmp_path / "trace.h5")
    record(op_spec("einops", "both_imports"), trace, inputs=randn(2, 7, 5),
           input_spec={**BATCH_MAJOR, "seq_lens": [7, 4]})
    proc = run_pt2r("replay", trace, "-o", str(tmp_path / "out"), blocked=("torch",))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "every check passes" in proc.stdout
