"""Rearranging ops, one line each: recorded on PyTorch, replayed on RETURNN, every call matching."""

import numpy as np
import pytest
import torch

from pt2r.errors import UnsupportedOpError
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from roundtrip import TIME_MAJOR, assert_converts, convert, op_spec, randn

#: (batch, 6 channels, time), time dynamic
DYNAMIC = {"shape": [6, None], "batch_dim_axis": 0, "feature_dim_axis": 1, "time_dim_axis": 2, "dtype": "float32"}
#: a batch of different lengths
SEQ_LENS = {**DYNAMIC, "seq_lens": [12, 7]}

CASES = [
    "repeat_static", "repeat_leading_axes", "repeat_time", "tile", "repeat_interleave_static",
    "repeat_interleave_time", "repeat_interleave_flattened", "repeat_interleave_tensor", "flip", "flipud", "roll",
    "index_select_static", "index_select_time", "index_select_by_time_index", "index_select_0d",
    "gather", "gather_time", "take_along_dim", "take_along_dim_broadcast",
    "topk_static", "topk_time", "sort_static", "sort_time", "sort_ties", "msort", "repeat_to_sizes",
]
#: cases whose ops touch the dynamic time axis, or reduce over it: also run on a batch of different lengths
TIME_CASES = [
    "repeat_time", "repeat_interleave_time", "flip", "roll", "index_select_static", "index_select_time",
    "index_select_by_time_index", "gather_time", "take_along_dim_broadcast", "topk_time", "sort_time",
    "repeat_to_sizes",
]


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("rearrange", func), tmp_path, randn(2, 6, 12), DYNAMIC)


@pytest.mark.parametrize("func", TIME_CASES)
def test_op_different_lengths(func, tmp_path):
    assert_converts(op_spec("rearrange", func), tmp_path, randn(2, 6, 12), SEQ_LENS)


@pytest.mark.parametrize("func", ["time_ops_tbc", "gather_topk_tbc", "repeat_to_sizes_tbc"])
def test_time_major(func, tmp_path):
    assert_converts(op_spec("rearrange", func), tmp_path, randn(9, 2, 5), {**TIME_MAJOR, "seq_lens": [9, 4]})


@pytest.mark.parametrize("func", ["repeat_interleave_time", "flip", "sort_time", "repeat_to_sizes"])
def test_exported_net_runs_on_other_lengths(func, tmp_path):
    """Counts on time give ``time * k``, flips and sorts see the padded length: the exported net, run on
    another batch size and length than recorded, computes what PyTorch computes there."""
    result = assert_converts(op_spec("rearrange", func), tmp_path, randn(2, 6, 12), SEQ_LENS)
    x = randn(3, 6, 16, seed=1)
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {2: [16, 9, 16]})
    expected = load_spec(op_spec("rearrange", func)).func(None, torch.from_numpy(x)).numpy()
    assert outputs["output"].shape == expected.shape
    np.testing.assert_allclose(outputs["output"], expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("func, message", [
    ("repeat_batch", "repeat along the batch axis is not supported"),
    ("flip_batch", "flip along the batch axis is not supported"),
    ("roll_flattened", r"roll without dims \(over the flattened 3-d tensor\) is not supported"),
    ("roll_by_length", "a roll shift computed from a dynamic size is not supported"),
    ("topk_unsorted", "topk with sorted=False is not supported"),
    ("repeat_interleave_tensor_time", "tensor of repeats along the dynamic axis .* is not supported"),
    ("repeat_interleave_net_repeats", "repeats computed in the net is not supported"),
])
def test_refused_with_a_clear_error(func, message, tmp_path):
    with pytest.raises(UnsupportedOpError, match=message):
        convert(op_spec("rearrange", func), tmp_path, randn(2, 6, 12), DYNAMIC)
