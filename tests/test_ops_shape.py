"""Shape ops, one line each: recorded on PyTorch, replayed on RETURNN, every call matching."""

import numpy as np
import pytest
import torch
from returnn.tensor import Dim

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.record import DEFAULT_SEED, reset_seeds
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from pt2r.torch._dtype import float32
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.shape import getitem
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, convert, op_spec, randn

#: (batch, 6 channels, time), time dynamic
DYNAMIC = {"shape": [6, None], "batch_dim_axis": 0, "feature_dim_axis": 1, "time_dim_axis": 2, "dtype": "float32"}
#: a batch of different lengths
SEQ_LENS = {**DYNAMIC, "seq_lens": [12, 7]}

# x.T and x.mT are properties, but registry.install_tensor_methods installs every Tensor.* op as a
# method: on the drop-in, x.T is a bound method until the registry installs these two as properties.
PROPERTIES = ["transpose_property_T", "transpose_property_mT"]

CASES = [
    "transpose", "transpose_functional", "permute", "movedim", "contiguous", *PROPERTIES,
    "view_split_merge_static", "unflatten", "view_batch_time", "view_batch_time_minus_one", "view_time_feature",
    "view_flatten_minus_one", "view_frame_stacking", "view_size_one_axes", "view_all", "unflatten_time",
    "squeeze_unsqueeze", "expand_static", "expand_time", "expand_new_axis",
    "cat_channels", "cat_time", "cat_time_twice", "stack", "chunk", "split", "split_time", "unbind", "iterate",
    "getitem_static", "getitem_time", "getitem_time_steps", "getitem_time_from_end", "getitem_time_from_shape",
    "getitem_time_positions_from_shape", "getitem_ints", "getitem_none_ellipsis", "select_narrow",
    "slice_to_same_length", "slice_to_other_length", "broadcast_to",
]
#: cases whose ops touch the dynamic time axis: also run on a batch of different lengths
TIME_CASES = [
    "transpose", "permute", *PROPERTIES, "view_batch_time", "view_batch_time_minus_one", "view_time_feature",
    "view_flatten_minus_one", "view_frame_stacking", "view_size_one_axes", "view_all", "unflatten_time",
    "squeeze_unsqueeze", "expand_time", "cat_time", "cat_time_twice", "stack", "split_time", "getitem_time",
    "getitem_time_steps", "getitem_time_from_end", "getitem_time_from_shape", "getitem_time_positions_from_shape",
    "getitem_ints", "select_narrow", "iterate", "slice_to_same_length", "slice_to_other_length", "broadcast_to",
]


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("shape", func), tmp_path, randn(2, 6, 12), DYNAMIC)


@pytest.mark.parametrize("func", TIME_CASES)
def test_op_different_lengths(func, tmp_path):
    assert_converts(op_spec("shape", func), tmp_path, randn(2, 6, 12), SEQ_LENS)


@pytest.mark.parametrize("func", ["view_batch_time_btc", "time_slices_btc", "view_time_batch_of_batch_major_btc"])
def test_batch_major(func, tmp_path):
    assert_converts(op_spec("shape", func), tmp_path, randn(2, 9, 5), {**BATCH_MAJOR, "seq_lens": [9, 4]})


@pytest.mark.parametrize("func", ["view_time_batch_tbc", "time_slices_tbc", "joins_tbc", "upsample_by_expand_tbc",
                                  "slice_to_other_length_tbc"])
def test_time_major(func, tmp_path):
    assert_converts(op_spec("shape", func), tmp_path, randn(9, 2, 5), {**TIME_MAJOR, "seq_lens": [9, 4]})


@pytest.mark.parametrize("func", [
    "view_batch_time", "view_time_feature", "view_frame_stacking", "view_all", "unflatten_time", "getitem_time",
    "getitem_time_from_end", "getitem_time_positions_from_shape", "cat_time", "expand_time", "split_time",
    "slice_to_same_length", "slice_to_other_length", "broadcast_to"])
def test_exported_net_runs_on_other_lengths(func, tmp_path):
    """Views built from ``x.shape`` keep time dynamic: the exported net, run on another batch size and
    length than recorded, computes what PyTorch computes there."""
    result = assert_converts(op_spec("shape", func), tmp_path, randn(2, 6, 12), SEQ_LENS)
    x = randn(3, 6, 16, seed=1)
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {2: [16, 9, 16]})
    reset_seeds(DEFAULT_SEED)  # the parameters the record phase created
    expected = load_spec(op_spec("shape", func)).func(None, torch.from_numpy(x)).detach().numpy()
    assert outputs["output"].shape == expected.shape
    np.testing.assert_allclose(outputs["output"], expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("func, message", [
    ("chunk_time", "chunk along a dynamic axis is not supported"),
    ("slice_batch", "slicing the batch axis is not supported"),
    ("index_with_list", "indexing with list is not supported"),
    ("view_time_into_static_sizes", r"splitting the dynamic axis time into sizes \[3, 4\] is not supported"),
])
def test_refused_with_a_clear_error(func, message, tmp_path):
    with pytest.raises(UnsupportedOpError, match=message):
        convert(op_spec("shape", func), tmp_path, randn(2, 6, 12), DYNAMIC)


def test_negative_step_refused():
    x = Tensor([Dim(4, name="a")], float32)
    with pytest.raises(ModelError, match="step -1 is not supported"):  # torch refuses it too
        getitem(x, slice(None, None, -1))


@pytest.mark.parametrize("func", ["parameter_views", "merged_batch_then_slices"])
def test_mixed(func, tmp_path):
    assert_converts(op_spec("shape", func), tmp_path, randn(2, 6, 12), SEQ_LENS)


# The batch merged with a static axis while time stays: the time lengths no longer line up with the
# (merged) batch axis, which the verifier's padding mask does not handle yet (pt2r/replay/verify.py, _mask).
@pytest.mark.parametrize("func, x, spec", [
    ("view_time_batch_feature_tbc", randn(9, 2, 5), TIME_MAJOR), ("view_batch_channels", randn(2, 6, 12), DYNAMIC)])
def test_batch_merged_with_static_axis(func, x, spec, tmp_path):
    assert_converts(op_spec("shape", func), tmp_path, x, spec)


def test_batch_merged_with_static_axis_different_lengths(tmp_path):
    assert_converts(op_spec("shape", "view_batch_channels"), tmp_path, randn(2, 6, 12), SEQ_LENS)
