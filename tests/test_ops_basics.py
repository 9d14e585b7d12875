"""One line per op: a tiny model recorded on PyTorch and replayed on RETURNN, every call matching."""

import pytest

from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, op_spec, randn

CASES = [
    "conv1d", "conv1d_strided_padded_dilated", "conv1d_same_no_bias", "conv1d_groups", "conv1d_functional",
    "conv_transpose1d", "conv_transpose1d_output_padding", "weight_norm_conv", "weight_norm_removed",
    "leaky_relu", "leaky_relu_functional", "tanh", "relu",
    "reflection_pad", "replication_pad", "constant_pad", "functional_pad", "arithmetic",
]


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("basics", func), tmp_path, randn(2, 5, 11))


def test_dynamic_time_and_different_lengths(tmp_path):
    spec = {"shape": [5, None], "time_dim_axis": 2, "feature_dim_axis": 1, "dtype": "float32",
            "seq_lens": [11, 6]}
    assert_converts(op_spec("basics", "conv1d_strided_padded_dilated"), tmp_path, randn(2, 5, 11), spec)


@pytest.mark.parametrize("layout", [BATCH_MAJOR, TIME_MAJOR], ids=["batch_major", "time_major"])
def test_elementwise_in_both_layouts(layout, tmp_path):
    shape = (2, 7, 5) if layout is BATCH_MAJOR else (7, 2, 5)
    assert_converts(op_spec("basics", "arithmetic"), tmp_path, randn(*shape), layout)
