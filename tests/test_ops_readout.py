"""Values read into Python: the tests that fit no op case (the cases: tests/specs/ops/readout.py, run by
test_ops.py)."""

from roundtrip import BATCH_MAJOR, assert_converts, op_spec, randn


def test_branch_is_reported(tmp_path):
    result = assert_converts(op_spec("readout", "branch_on_value"), tmp_path, randn(2, 9, 5), BATCH_MAJOR)
    branches = result.summary["dynamic_branches"]
    assert any("Tensor.all" in b or "Tensor.__bool__" in b for b in branches)
    assert any("Tensor.__float__" in b for b in branches)


def test_loop_over_the_length_is_reported(tmp_path):
    result = assert_converts(op_spec("readout", "loop_over_the_length"), tmp_path, randn(2, 9, 5), BATCH_MAJOR)
    branches = result.summary["dynamic_branches"]
    assert branches and all("position 8 of time is its last frame only as recorded (length 9)" in b
                            for b in branches)
    assert any("getitem" in b for b in branches) and any("setitem" in b for b in branches)


def test_size_arithmetic_without_a_dim_is_reported(tmp_path):
    result = assert_converts(op_spec("readout", "size_arithmetic_without_a_dim"), tmp_path, randn(2, 9, 5),
                             BATCH_MAJOR)
    branches = result.summary["dynamic_branches"]
    assert len(branches) == 2 and all("which the net keeps" in b for b in branches)
    assert "computes % of the length of time as the recorded -9" in branches[0]
    assert "computes / of the length of time as the recorded 9" in branches[1]
