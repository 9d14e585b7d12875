"""Op test models for the recurrent modules: LSTM, GRU, RNN and the cells.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, time, 5) unless the name says
``tm_`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run on a batch of different
lengths: torch runs every direction over the padded length (the backward one from the last padded
frame), and so must the net. Each returns the module's whole output, h_n (and c_n) included.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _nn(w):
    return _torch(w).nn


# -- LSTM ----------------------------------------------------------------------------------------


def lstm(w, x):
    return _nn(w).LSTM(5, 8, batch_first=True)(x)


def lstm_two_layers(w, x):
    return _nn(w).LSTM(5, 8, num_layers=2, batch_first=True)(x)


def lstm_bidirectional(w, x):
    return _nn(w).LSTM(5, 8, bidirectional=True, batch_first=True)(x)


def lstm_bidirectional_two_layers(w, x):
    """Dropout between layers does nothing in eval mode."""
    return _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True, batch_first=True, dropout=0.3).eval()(x)


def lstm_no_bias(w, x):
    return _nn(w).LSTM(5, 8, num_layers=2, bias=False, batch_first=True)(x)


def lstm_initial_states(w, x):
    """h0 and c0 random, of the recorded batch size."""
    torch = _torch(w)
    states = (torch.randn(4, 2, 8), torch.randn(4, 2, 8))
    return _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True, batch_first=True)(x, states)


def lstm_initial_states_from_input(w, x):
    """h0 computed from the input, c0 zeros of the input's batch size: both with a dynamic batch."""
    torch = _torch(w)
    h = torch.tanh(_nn(w).Linear(5, 8)(x.mean(1)))
    h0, c0 = torch.stack([h, h * 0.5]), torch.zeros(2, x.size(0), 8)
    return _nn(w).LSTM(5, 8, num_layers=2, batch_first=True)(x, (h0, c0))


def lstm_proj(w, x):
    """proj_size: h (and the output) has 3 features, c has 8."""
    torch = _torch(w)
    states = (torch.randn(4, 2, 3), torch.randn(4, 2, 8))
    return _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True, batch_first=True, proj_size=3)(x, states)


def lstm_states_passed_on(w, x):
    """The same LSTM twice, the second run starting from the first one's final states."""
    lstm_ = _nn(w).LSTM(5, 8, batch_first=True)
    out, states = lstm_(x)
    return lstm_(x * 2.0, states)


def lstm_then_linear(w, x):
    out, (h, c) = _nn(w).LSTM(5, 8, bidirectional=True, batch_first=True)(x)
    return _nn(w).Linear(16, 3)(out), h[-1] + c[0]


def tm_lstm(w, x):
    return _nn(w).LSTM(5, 8)(x)


def tm_lstm_bidirectional_two_layers(w, x):
    return _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True)(x)


def tm_lstm_initial_states(w, x):
    torch = _torch(w)
    return _nn(w).LSTM(5, 8, bidirectional=True)(x, (torch.randn(2, 2, 8), torch.randn(2, 2, 8)))


# -- GRU, RNN ------------------------------------------------------------------------------------


def gru(w, x):
    return _nn(w).GRU(5, 8, batch_first=True)(x)


def gru_bidirectional_two_layers(w, x):
    return _nn(w).GRU(5, 8, num_layers=2, bidirectional=True, batch_first=True)(x)


def gru_no_bias(w, x):
    return _nn(w).GRU(5, 8, bias=False, bidirectional=True, batch_first=True)(x)


def gru_initial_state(w, x):
    torch = _torch(w)
    return _nn(w).GRU(5, 8, num_layers=2, batch_first=True)(x, torch.randn(2, 2, 8))


def tm_gru_bidirectional(w, x):
    return _nn(w).GRU(5, 8, bidirectional=True)(x)


def rnn_tanh(w, x):
    return _nn(w).RNN(5, 8, batch_first=True)(x)


def rnn_relu(w, x):
    """nonlinearity given positionally, as torch allows (4th argument)."""
    return _nn(w).RNN(5, 8, 2, "relu", batch_first=True, bidirectional=True)(x)


def rnn_no_bias_initial_state(w, x):
    torch = _torch(w)
    return _nn(w).RNN(5, 8, bias=False, batch_first=True, nonlinearity="relu")(x, torch.randn(1, 2, 8))


def tm_rnn_tanh_bidirectional(w, x):
    return _nn(w).RNN(5, 8, bidirectional=True)(x)


# -- cells: x (batch, time, 5), two steps on the first two frames ---------------------------------


def lstm_cell(w, x):
    cell = _nn(w).LSTMCell(5, 8)
    h, c = cell(x[:, 0])
    return cell(x[:, 1], (h, c))


def gru_cell(w, x):
    cell = _nn(w).GRUCell(5, 8)
    return cell(x[:, 1], cell(x[:, 0]))


def gru_cell_no_bias(w, x):
    torch = _torch(w)
    return _nn(w).GRUCell(5, 8, bias=False)(x[:, 0], torch.tanh(torch.cat([x[:, 1, :4], x[:, 1, :4]], -1)))


def rnn_cell(w, x):
    cell = _nn(w).RNNCell(5, 8, nonlinearity="relu")
    return cell(x[:, 1], cell(x[:, 0]))


# -- refused ------------------------------------------------------------------------------------


def lstm_dropout_training(w, x):
    return _nn(w).LSTM(5, 8, num_layers=2, dropout=0.3, batch_first=True)(x)


def lstm_unbatched(w, x):
    return _nn(w).LSTM(5, 8)(x.mean(0))
