"""Recurrent modules, one line each: recorded on PyTorch, replayed on RETURNN, every call matching."""

import numpy as np
import pytest
import torch

from pt2r.errors import ModelError, UnsupportedOpError
from pt2r.record import DEFAULT_SEED, reset_seeds
from pt2r.record.values import tensors_in
from pt2r.replay.standalone import run_exported
from pt2r.spec import load_spec
from pt2r.torch.ops.recurrent import LSTM
from roundtrip import BATCH_MAJOR, TIME_MAJOR, assert_converts, convert, op_spec, randn

CASES = [
    "lstm", "lstm_two_layers", "lstm_bidirectional", "lstm_bidirectional_two_layers", "lstm_no_bias",
    "lstm_initial_states", "lstm_initial_states_from_input", "lstm_proj", "lstm_states_passed_on", "lstm_then_linear",
    "gru", "gru_bidirectional_two_layers", "gru_no_bias", "gru_initial_state",
    "rnn_tanh", "rnn_relu", "rnn_no_bias_initial_state",
    "lstm_cell", "gru_cell", "gru_cell_no_bias", "rnn_cell",
]
TIME_MAJOR_CASES = ["tm_lstm", "tm_lstm_bidirectional_two_layers", "tm_lstm_initial_states", "tm_gru_bidirectional",
                    "tm_rnn_tanh_bidirectional"]
#: a batch of different lengths: the padding frames change the backward direction's outputs, as in torch
DIFFERENT_LENGTHS = [
    "lstm_bidirectional", "lstm_bidirectional_two_layers", "lstm_initial_states", "lstm_initial_states_from_input",
    "lstm_proj", "lstm_then_linear", "gru_bidirectional_two_layers", "gru_no_bias", "rnn_relu",
]
SEQ_LENS = {"seq_lens": [7, 4]}


@pytest.mark.parametrize("func", CASES)
def test_op(func, tmp_path):
    assert_converts(op_spec("recurrent", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)


@pytest.mark.parametrize("func", DIFFERENT_LENGTHS)
def test_different_lengths(func, tmp_path):
    assert_converts(op_spec("recurrent", func), tmp_path, randn(2, 7, 5), {**BATCH_MAJOR, **SEQ_LENS})


@pytest.mark.parametrize("func", TIME_MAJOR_CASES)
def test_time_major_different_lengths(func, tmp_path):
    assert_converts(op_spec("recurrent", func), tmp_path, randn(7, 2, 5), {**TIME_MAJOR, **SEQ_LENS})


@pytest.mark.parametrize("func", ["lstm_bidirectional_two_layers", "lstm_initial_states_from_input",
                                  "gru_bidirectional_two_layers"])
def test_exported_net_runs_on_other_lengths(func, tmp_path):
    """The time loop is a TF loop: the exported net, run on another batch size and length than
    recorded, computes what PyTorch computes there (output, h_n and c_n; the weights are the
    recorded ones, made again by the same seed)."""
    result = assert_converts(op_spec("recurrent", func), tmp_path, randn(2, 7, 5), {**BATCH_MAJOR, **SEQ_LENS})
    x = randn(3, 11, 5, seed=1)
    outputs = run_exported(result.config_path, result.checkpoint_prefix, x, {1: [11, 6, 9]})
    reset_seeds(DEFAULT_SEED)
    with torch.no_grad():
        model_output = load_spec(op_spec("recurrent", func)).func(None, torch.from_numpy(x))
    expected = [t.numpy() for t in tensors_in(model_output)]
    assert len(outputs) == len(expected)
    for i, want in enumerate(expected):
        got = outputs["output" if i == 0 else f"output_{i}"]
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


REFUSED = [("lstm_dropout_training", "dropout=0.3 between layers in training mode is not supported"),
           ("lstm_unbatched", "LSTM on 2-d input is not supported")]


@pytest.mark.parametrize("func, message", REFUSED)
def test_refused(func, message, tmp_path):
    with pytest.raises(UnsupportedOpError, match=message):
        convert(op_spec("recurrent", func), tmp_path, randn(2, 7, 5), BATCH_MAJOR)


def test_packed_sequence_refused():
    packed = torch.nn.utils.rnn.pack_padded_sequence(torch.zeros(2, 7, 5), [7, 4], batch_first=True)
    with pytest.raises(UnsupportedOpError, match="PackedSequence.*not supported"):
        LSTM(5, 8, batch_first=True).forward(packed)


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
