"""Shape ops: the tests that fit no op case (the cases: tests/specs/ops/shape.py, run by test_ops.py)."""

import pytest
from returnn.tensor import Dim

from pt2r.errors import ModelError
from pt2r.torch._dtype import float32
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.shape import getitem


def test_negative_step_refused():
    x = Tensor([Dim(4, name="a")], float32)
    with pytest.raises(ModelError, match="step -1 is not supported"):  # torch refuses it too
        getitem(x, slice(None, None, -1))
