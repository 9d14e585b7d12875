"""Activation tests that fit no op case (the cases: tests/specs/ops/activation.py, run by test_ops.py)."""

from roundtrip import assert_converts, op_module, op_spec


def test_functional_tanh_and_sigmoid_are_calls_of_their_own(tmp_path):
    """``F.tanh``/``F.sigmoid`` are ``x.tanh()``/``x.sigmoid()`` in torch's Python, without dispatching
    themselves: the trace names them after the function, at the user's line, and replay checks them."""
    btf = op_module("activation").BTF.lens
    result = assert_converts(op_spec("activation", "functional_tanh"), tmp_path, btf.array(), btf.input_spec)
    calls = {r.target: r for r in result.results}
    for name in ("torch.nn.functional.tanh", "torch.nn.functional.sigmoid"):
        assert calls[name].source[0].endswith("activation.py") and calls[name].isolated["passed"]
    assert "Tensor.tanh" not in calls and "Tensor.sigmoid" not in calls
