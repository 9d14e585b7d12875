"""Activations and 2-d convolutions: one line per op, recorded on PyTorch and replayed on RETURNN."""

import pytest

from roundtrip import TIME_MAJOR, assert_converts, op_spec, randn


def spec(func):
    return op_spec("activation", func)


def layout(shape, **overrides):
    """An input description: ``shape`` without batch (None: dynamic); batch-major by default."""
    return {"shape": shape, "batch_dim_axis": 0, "dtype": "float32", **overrides}


# (batch, time, 6): time dynamic, features last
BTF = layout([None, 6], time_dim_axis=1, feature_dim_axis=2)
BTF_LENS = {**BTF, "seq_lens": [9, 4]}
# (batch, 6, time): channels first
BFT = layout([6, None], time_dim_axis=2, feature_dim_axis=1)
# (time, batch, 6)
TBF = {**TIME_MAJOR, "shape": [None, 6]}
TBF_LENS = {**TBF, "seq_lens": [9, 4]}
# (batch, channels, height, width), height and width dynamic: the default description of a 4-d input
IMAGE_LENS = {"seq_lens": {2: [7, 4], 3: [9, 6]}}

ELEMENTWISE = ["gelu", "gelu_tanh", "elu", "silu", "sigmoid", "functional_tanh", "softplus", "extra_activations",
               "in_place"]


@pytest.mark.parametrize("func", ELEMENTWISE)
def test_elementwise(func, tmp_path):
    assert_converts(spec(func), tmp_path, randn(2, 9, 6), BTF)


@pytest.mark.parametrize("func,shape,desc", [
    ("prelu", (2, 6, 9), BFT),
    ("softmax_feature", (2, 9, 6), BTF),
    ("log_softmax_feature", (2, 9, 6), BTF),
    ("softmax_time", (2, 9, 6), BTF),
    ("softmax_time", (2, 9, 6), BTF_LENS),
    ("softmax_time_major", (9, 2, 6), TBF),
    ("softmax_time_major", (9, 2, 6), TBF_LENS),
    ("softmax_implicit_dim", (2, 9, 6), BTF),
    ("glu", (2, 6, 9), BFT),
    ("glu_last", (2, 9, 6), BTF),
    ("conv1d_same_even", (2, 6, 9), BFT),
    ("conv_transpose1d_dilated_groups", (2, 6, 9), BFT),
], ids=lambda v: v if isinstance(v, str) else None)
def test_over_axis(func, shape, desc, tmp_path):
    assert_converts(spec(func), tmp_path, randn(*shape), desc)


CONV2D = [
    "conv2d", "conv2d_strided_padded_dilated", "conv2d_stride_and_dilation", "conv2d_same_no_bias", "conv2d_valid",
    "conv2d_depthwise", "conv2d_depthwise_strided_dilated", "conv2d_depthwise_dilated_same", "conv2d_reflect",
    "conv2d_functional",
    "conv_transpose2d", "conv_transpose2d_output_padding", "conv_transpose2d_no_bias", "conv_transpose2d_dilated",
    "conv_transpose2d_groups", "conv_transpose2d_functional",
]


@pytest.mark.parametrize("func", CONV2D)
def test_conv2d(func, tmp_path):
    assert_converts(spec(func), tmp_path, randn(2, 3, 7, 9))


@pytest.mark.parametrize("func", ["conv2d_strided_padded_dilated", "conv2d_same_no_bias", "conv_transpose2d_dilated"])
def test_conv2d_different_lengths(func, tmp_path):
    assert_converts(spec(func), tmp_path, randn(2, 3, 7, 9), IMAGE_LENS)


def test_conv2d_groups(tmp_path):
    assert_converts(spec("conv2d_groups"), tmp_path, randn(2, 4, 7, 9))


def test_conv2d_width_as_time(tmp_path):
    """Another RETURNN layout of the same torch input: width is RETURNN's time axis."""
    desc = {"shape": [3, None, None], "time_dim_axis": 3, "feature_dim_axis": 1, "seq_lens": {3: [9, 5]}}
    assert_converts(spec("conv2d_strided_padded_dilated"), tmp_path, randn(2, 3, 7, 9), desc)


def test_conv2d_time_major(tmp_path):
    desc = {"shape": [None, 3, None], "batch_dim_axis": 1, "time_dim_axis": 0, "feature_dim_axis": 2,
            "dtype": "float32", "seq_lens": {0: [7, 5]}}
    assert_converts(spec("conv2d_time_major"), tmp_path, randn(7, 2, 3, 9), desc)


@pytest.mark.parametrize("func", ["conv2d_strided_padded_dilated", "conv_transpose2d_output_padding",
                                  "conv2d_depthwise_dilated_same"])
def test_conv2d_static_height(func, tmp_path):
    desc = {"shape": [3, 7, None], "time_dim_axis": 3, "feature_dim_axis": 1, "seq_lens": {3: [9, 5]}}
    assert_converts(spec(func), tmp_path, randn(2, 3, 7, 9), desc)


def test_functional_tanh_and_sigmoid_are_calls_of_their_own(tmp_path):
    """``F.tanh``/``F.sigmoid`` are ``x.tanh()``/``x.sigmoid()`` in torch's Python, without dispatching
    themselves: the trace names them after the function, at the user's line, and replay checks them."""
    result = assert_converts(spec("functional_tanh"), tmp_path, randn(2, 9, 6), BTF_LENS)
    calls = {r.target: r for r in result.results}
    for name in ("torch.nn.functional.tanh", "torch.nn.functional.sigmoid"):
        assert calls[name].source[0].endswith("activation.py") and calls[name].isolated["passed"]
    assert "Tensor.tanh" not in calls and "Tensor.sigmoid" not in calls
