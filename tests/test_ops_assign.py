"""Assignment and copies: one line per op model, recorded on PyTorch and replayed on RETURNN."""

import numpy as np
import pytest
import torch

from pt2r.errors import UnsupportedOpError
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, convert, op_spec, randn

CASES = ["setitem_slices", "setitem_from_the_end", "setitem_mask", "clone_detach_copy", "setitem_tensor_values"]
LENGTHS = {"seq_lens": [9, 5]}


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("assign", func), tmp_path, randn(2, 9, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", CASES)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("assign", func), tmp_path, randn(2, 9, 5), {**BATCH_MAJOR, **LENGTHS})


@pytest.mark.parametrize("func", ["setitem_slices", "tm_setitem_tensor_values"])
def test_time_major(func, tmp_path):
    """The model indexes (time, batch, 5) as it would (batch, time, 5): only the axes' roles differ."""
    assert_converts(op_spec("assign", func), tmp_path, randn(9, 2, 5), {**TIME_MAJOR, **LENGTHS})


@pytest.mark.parametrize("func", ["setitem_from_the_end", "setitem_tensor_values"])
def test_exported_net_runs_on_other_lengths(func, tmp_path):
    """Bounds from the time axis' length stay relative to it: the net recorded at length 9 computes
    PyTorch's result at lengths 6 and 13."""
    spec = op_spec("assign", func)
    result = assert_converts(spec, tmp_path, randn(2, 9, 5), {**BATCH_MAJOR, **LENGTHS})
    for length in (6, 13):
        x = randn(3, length, 5, seed=length)
        expected = load_spec(spec).func(None, torch.from_numpy(x))
        got = run_exported(result.config_path, result.checkpoint_prefix, x, {1: [length] * 3})
        np.testing.assert_allclose(got["output"], expected.numpy(), rtol=1e-5, atol=1e-5)


def test_tensor_into_a_slice_with_a_step_is_refused(tmp_path):
    with pytest.raises(UnsupportedOpError, match="assigning a tensor into a slice with a step is not supported"):
        convert(op_spec("assign", "setitem_tensor_value_with_step"), tmp_path, randn(2, 9, 5), BATCH_MAJOR)
