"""Indexing with integer tensors, values read into Python, parametrizations: one line per op model,
recorded on PyTorch and replayed on RETURNN."""

import numpy as np
import pytest
import torch

from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, op_spec, randn

CASES = ["index_features", "index_computed", "index_last_frames", "assign_last_frames", "branch_on_value",
         "weight_norm_parametrization"]
LENGTHS = {"seq_lens": [9, 5]}


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("indexing", func), tmp_path, randn(2, 9, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", CASES)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("indexing", func), tmp_path, randn(2, 9, 5), {**BATCH_MAJOR, **LENGTHS})


def test_time_major(tmp_path):
    assert_converts(op_spec("indexing", "index_features"), tmp_path, randn(9, 2, 5), {**TIME_MAJOR, **LENGTHS})


def test_branch_is_reported(tmp_path):
    result = assert_converts(op_spec("indexing", "branch_on_value"), tmp_path, randn(2, 9, 5), BATCH_MAJOR)
    branches = result.summary["dynamic_branches"]
    assert any("Tensor.all" in b or "Tensor.__bool__" in b for b in branches)
    assert any("Tensor.__float__" in b for b in branches)


@pytest.mark.parametrize("func", ["index_last_frames", "assign_last_frames"])
def test_exported_net_follows_other_lengths(func, tmp_path):
    """The lengths are RETURNN's: the net recorded on lengths (9, 5) computes PyTorch's result on others."""
    spec = op_spec("indexing", func)
    assert_converts(spec, tmp_path, randn(2, 9, 5), {**BATCH_MAJOR, **LENGTHS})
    lens = [4, 11, 7]
    x = randn(3, 11, 5, seed=3)
    with torch.no_grad():
        expected = load_spec(spec).func(None, torch.from_numpy(x), torch.tensor(lens)).numpy()
    got = run_exported(str(tmp_path / "out" / "returnn.config"), str(tmp_path / "out" / "model"), x,
                       {1: lens})["output"]
    if func == "assign_last_frames":  # frames past a sequence's end are padding
        for i, n in enumerate(lens):
            np.testing.assert_allclose(got[i, :n], expected[i, :n], atol=1e-5)
    else:
        np.testing.assert_allclose(got, expected, atol=1e-5)
