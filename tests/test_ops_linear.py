"""Products: the tests that fit no op case (the cases: tests/specs/ops/linear.py and reduce.py, run by
test_ops.py)."""

import os

from pt2r.record import record
from pt2r.trace import TraceReader
from roundtrip import BATCH_MAJOR, op_spec, randn


def _calls(func, tmp_path):
    trace = os.path.join(str(tmp_path), "trace.h5")
    record(op_spec("linear", func), trace, inputs=randn(2, 7, 5), input_spec=BATCH_MAJOR)
    with TraceReader(trace) as reader:
        return reader.meta["calls"]


def test_parameter_on_the_left_is_recorded_as_matmul(tmp_path):
    """Python calls the left operand's ``__matmul__`` when it is a tensor: no ``__rmatmul__`` call (the
    case ``param_on_the_left`` converts it)."""
    targets = [c["target"] for c in _calls("param_on_the_left", tmp_path)]
    assert "Tensor.matmul" in targets and "Tensor.__rmatmul__" not in targets


def test_einsum_sublist_is_recorded_with_its_equation(tmp_path):
    """torch turns the sublist format into an equation before dispatching; so does the drop-in."""
    calls = [c for c in _calls("einsum_sublist", tmp_path) if c["target"] == "torch.einsum"]
    assert [c["args"][0] for c in calls] == ["ABC,CD->ADB"]
