"""Assignment and copies: one line per op model, recorded on PyTorch and replayed on RETURNN."""

import pytest

from pt2r.errors import UnsupportedOpError
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, convert, op_spec, randn

CASES = ["setitem_slices", "setitem_from_the_end", "setitem_mask", "clone_detach_copy"]
LENGTHS = {"seq_lens": [9, 5]}


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("assign", func), tmp_path, randn(2, 9, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", CASES)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("assign", func), tmp_path, randn(2, 9, 5), {**BATCH_MAJOR, **LENGTHS})


def test_time_major(tmp_path):
    """The model indexes (time, batch, 5) as it would (batch, time, 5): only the axes' roles differ."""
    assert_converts(op_spec("assign", "setitem_slices"), tmp_path, randn(9, 2, 5), {**TIME_MAJOR, **LENGTHS})


def test_tensor_value_is_refused(tmp_path):
    with pytest.raises(UnsupportedOpError, match="tensor of more than 0 dims into part of a tensor"):
        convert(op_spec("assign", "setitem_tensor_value"), tmp_path, randn(2, 9, 5), BATCH_MAJOR)
