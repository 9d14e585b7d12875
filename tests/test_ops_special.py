"""``torch.special``: one line per op, recorded on PyTorch and replayed on RETURNN."""

import pytest

from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, op_spec, randn

#: (batch, time, 6), time dynamic
BTF = {**BATCH_MAJOR, "shape": [None, 6]}
#: (time, batch, 6)
TBF = {**TIME_MAJOR, "shape": [None, 6]}
DIFFERENT_LENGTHS = {"seq_lens": [9, 4]}

CASES = ["expit", "logit", "erf_erfc", "erfinv", "exp2_expm1_log1p", "xlogy", "xlogy_nan", "sinc", "i0",
         "integer_input", "softmax_feature", "softmax_time"]
#: the cases over the time axis
OVER_TIME = ["softmax_time"]


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("special", func), tmp_path, randn(2, 9, 6), BTF)


@pytest.mark.parametrize("func", OVER_TIME)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("special", func), tmp_path, randn(2, 9, 6), {**BTF, **DIFFERENT_LENGTHS})


def test_time_major_different_lengths(tmp_path):
    assert_converts(op_spec("special", "softmax_time_tbc"), tmp_path, randn(9, 2, 6), {**TBF, **DIFFERENT_LENGTHS})
