"""Recurrent modules: the tests that fit no op case (the cases: tests/specs/ops/recurrent.py, run by
test_ops.py)."""

import os

import numpy as np
import pytest
import torch

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.record import DEFAULT_SEED, reset_seeds
from pt2r.spec import load_spec
from pt2r.torch.ops.recurrent import LSTM
from roundtrip import BATCH_MAJOR, assert_converts, op_spec, randn


@pytest.mark.parametrize("func", ["lstm_proj", "gru_bidirectional_two_layers", "rnn_relu"])
def test_export_torch_gives_back_the_state_dict(func, tmp_path):
    """The weights enter the rec layers' dots transposed; ``pt2r export-torch`` undoes that: the
    safetensors file holds the module's state_dict."""
    safetensors = pytest.importorskip("safetensors.numpy")
    from pt2r.replay.params import export_torch

    result = assert_converts(op_spec("recurrent", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)
    modules = []
    hook = torch.nn.modules.module.register_module_forward_pre_hook(lambda m, args: modules.append(m))
    try:
        reset_seeds(DEFAULT_SEED)
        with torch.no_grad():
            load_spec(op_spec("recurrent", func)).func(None, torch.from_numpy(randn(2, 7, 5)))
    finally:
        hook.remove()
    reference = {k: v.numpy() for k, v in modules[-1].state_dict().items()}
    out = str(tmp_path / "weights.safetensors")
    export_torch(os.path.dirname(result.config_path), out)
    weights = safetensors.load_file(out)
    assert set(weights) == set(reference)
    for key, value in reference.items():
        np.testing.assert_array_equal(weights[key], value, err_msg=key)


def test_what_torch_refuses_too_is_a_model_error():
    from pt2r.torch import _dtype
    from pt2r.torch._tensor import Tensor
    from pt2r.torch.ops.recurrent import GRU, RNN, RNNCell
    from pt2r.torch.values import static_dims

    for make in (lambda: GRU(5, 8, proj_size=4), lambda: RNN(5, 8, nonlinearity="gelu"),
                 lambda: RNN(5, 8, 1, "gelu"), lambda: RNNCell(5, 8, nonlinearity="gelu")):
        with pytest.raises(ModelError):
            make()
    lstm = LSTM(5, 8, batch_first=True)
    for shape, dtype in [((2, 7, 5, 1), _dtype.float32), ((2, 7, 5), _dtype.int64)]:
        with pytest.raises(ModelError):
            lstm.forward(Tensor(static_dims(shape, "x"), dtype))
    with pytest.raises(UnsupportedOpError):  # torch runs a float64 LSTM (after .double())
        lstm.forward(Tensor(static_dims((2, 7, 5), "x"), _dtype.float64))
