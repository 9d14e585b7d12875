"""Norms, regularizers and embedding: the tests that fit no op case (the cases: tests/specs/ops/norm.py,
run by test_ops.py)."""

from roundtrip import assert_converts, op_spec, randn


def test_functional_dropout_eval_stays_in_the_net(tmp_path):
    result = assert_converts(op_spec("norm", "dropout_functional_eval"), tmp_path, randn(2, 5, 11))
    assert not any(layer["class"] == "variable" for layer in result.net_dict.values())
