"""The reflected ``@`` (``Tensor.__rmatmul__``): one line per case, recorded on PyTorch and replayed on RETURNN."""

import os

import pytest

from pt2r.record import record
from pt2r.trace import TraceReader
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, op_spec, randn

CASES = ["rmatmul_param", "rmatmul_vector", "rmatmul_over_time"]
DIFFERENT_LENGTHS = {"seq_lens": [7, 4]}

@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("linear_extra", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", CASES)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("linear_extra", func), tmp_path, randn(2, 7, 5), {**BATCH_MAJOR, **DIFFERENT_LENGTHS})


def test_time_major_different_lengths(tmp_path):
    assert_converts(op_spec("linear_extra", "rmatmul_tbc"), tmp_path, randn(7, 2, 5),
                    {**TIME_MAJOR, **DIFFERENT_LENGTHS})


def test_parameter_on_the_left_is_recorded_as_matmul(tmp_path):
    """Python calls the left operand's ``__matmul__`` when it is a tensor: no ``__rmatmul__`` call."""
    trace = os.path.join(str(tmp_path), "trace.h5")
    record(op_spec("linear_extra", "param_on_the_left"), trace, inputs=randn(2, 7, 5), input_spec=BATCH_MAJOR)
    with TraceReader(trace) as reader:
        targets = [c["target"] for c in reader.meta["calls"]]
    assert "Tensor.matmul" in targets and "Tensor.__rmatmul__" not in targets
    assert_converts(op_spec("linear_extra", "param_on_the_left"), tmp_path, randn(2, 7, 5),
                    {**BATCH_MAJOR, **DIFFERENT_LENGTHS})
