"""Conv edge cases against PyTorch: zero pads before a conv, polyphase transposed convs, reflect pads."""

import pytest

from roundtrip import TIME_MAJOR, assert_converts, op_spec, randn

BFT = {"shape": [5, None], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1, "dtype": "float32"}
LENS = {**BFT, "seq_lens": [11, 6]}
ONE_D = ["zero_pad_conv", "zero_pad_conv_same", "value_pad_conv", "pad_used_twice", "conv_transpose_twice",
         "conv_transpose_variants", "conv_transpose_functional", "reflect_asym", "reflect_conv_chain"]


@pytest.mark.parametrize("spec", [BFT, LENS], ids=["full", "different_lengths"])
@pytest.mark.parametrize("func", ONE_D)
def test_one_d(func, spec, tmp_path):
    assert_converts(op_spec("conv_fast", func), tmp_path, randn(2, 5, 11), spec)


@pytest.mark.parametrize("func", ["conv2d_zero_pad", "conv2d_reflect_pad"])
def test_two_d(func, tmp_path):
    assert_converts(op_spec("conv_fast", func), tmp_path, randn(2, 3, 7, 9))


def test_time_major_chain(tmp_path):
    assert_converts(op_spec("conv_fast", "time_major_chain"), tmp_path, randn(9, 2, 5), TIME_MAJOR)
