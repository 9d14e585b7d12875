"""Op test models for the recurrent modules: LSTM, GRU, RNN and the cells.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, time, 5) unless the name says
``tm_`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run on a batch of different
lengths: torch runs every direction over the padded length (the backward one from the last padded
frame), and so must the net. Each returns the module's whole output, h_n (and c_n) included.

The ``packed_`` ones take ``seq_lens`` too and pack ``x`` by them (``pack_padded_sequence``, unsorted
unless the name says ``sorted``), run the module on the packed batch and pad its output again
(``pad_packed_sequence``): each sequence by its own length, h_n (and c_n) at each sequence's last frame.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])
#: three sequences: packed by the model's seq_lens, unsorted (enforce_sorted=False) or sorted
PACKED = Inputs("packed", (3, 7, 5), BATCH_MAJOR, lengths=[5, 7, 3])
PACKED_TM = Inputs("packed_time_major", (7, 3, 5), TIME_MAJOR, lengths=[5, 7, 3])
SORTED = Inputs("sorted", (3, 7, 5), BATCH_MAJOR, lengths=[7, 5, 3])
BATCH_OF_THREE = Inputs("batch_of_three", (3, 7, 5), BATCH_MAJOR, lengths=[7, 4, 6])


def _nn(w):
    return torch_of(w).nn


# -- LSTM ----------------------------------------------------------------------------------------


@case(["torch.nn.LSTM"], on=(BM,))
def lstm(w, x):
    return _nn(w).LSTM(5, 8, batch_first=True)(x)


@case(["torch.nn.LSTM"], on=(BM,))
def lstm_two_layers(w, x):
    return _nn(w).LSTM(5, 8, num_layers=2, batch_first=True)(x)


@case(["torch.nn.LSTM"], on=(BM, BM.lens))
def lstm_bidirectional(w, x):
    return _nn(w).LSTM(5, 8, bidirectional=True, batch_first=True)(x)


@case(["torch.nn.LSTM"], on=(BM.lens, BATCH_OF_THREE.lens), other_lengths=[[6, 11, 2, 9]], no_grad=True)
def lstm_bidirectional_two_layers(w, x):
    """Dropout between layers does nothing in eval mode."""
    return _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True, batch_first=True, dropout=0.3).eval()(x)


@case(["torch.nn.LSTM"], on=(BM,))
def lstm_no_bias(w, x):
    return _nn(w).LSTM(5, 8, num_layers=2, bias=False, batch_first=True)(x)


@case(["torch.nn.LSTM"], on=(BM.lens,))
def lstm_initial_states(w, x):
    """h0 and c0 random, of the recorded batch size."""
    torch = torch_of(w)
    states = (torch.randn(4, 2, 8), torch.randn(4, 2, 8))
    return _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True, batch_first=True)(x, states)


@case(["torch.nn.LSTM"], on=(BM.lens, BATCH_OF_THREE.lens), other_lengths=[[6, 11, 2, 9]], no_grad=True)
def lstm_initial_states_from_input(w, x):
    """h0 computed from the input, c0 zeros of the input's batch size: both with a dynamic batch."""
    torch = torch_of(w)
    h = torch.tanh(_nn(w).Linear(5, 8)(x.mean(1)))
    h0, c0 = torch.stack([h, h * 0.5]), torch.zeros(2, x.size(0), 8)
    return _nn(w).LSTM(5, 8, num_layers=2, batch_first=True)(x, (h0, c0))


@case(["torch.nn.LSTM"], on=(BM.lens,))
def lstm_proj(w, x):
    """proj_size: h (and the output) has 3 features, c has 8."""
    torch = torch_of(w)
    states = (torch.randn(4, 2, 3), torch.randn(4, 2, 8))
    return _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True, batch_first=True, proj_size=3)(x, states)


@case(["torch.nn.LSTM"], on=(BM,))
def lstm_states_passed_on(w, x):
    """The same LSTM twice, the second run starting from the first one's final states."""
    lstm_ = _nn(w).LSTM(5, 8, batch_first=True)
    out, states = lstm_(x)
    return lstm_(x * 2.0, states)


@case(["torch.nn.LSTM"], on=(BM.lens,))
def lstm_then_linear(w, x):
    out, (h, c) = _nn(w).LSTM(5, 8, bidirectional=True, batch_first=True)(x)
    return _nn(w).Linear(16, 3)(out), h[-1] + c[0]


@case(["torch.nn.LSTM"], on=(TM.lens,))
def tm_lstm(w, x):
    return _nn(w).LSTM(5, 8)(x)


@case(["torch.nn.LSTM"], on=(TM.lens,))
def tm_lstm_bidirectional_two_layers(w, x):
    return _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True)(x)


@case(["torch.nn.LSTM"], on=(TM.lens,))
def tm_lstm_initial_states(w, x):
    torch = torch_of(w)
    return _nn(w).LSTM(5, 8, bidirectional=True)(x, (torch.randn(2, 2, 8), torch.randn(2, 2, 8)))


# -- GRU, RNN ------------------------------------------------------------------------------------


@case(["torch.nn.GRU"], on=(BM,))
def gru(w, x):
    return _nn(w).GRU(5, 8, batch_first=True)(x)


@case(["torch.nn.GRU"], on=(BM.lens, BATCH_OF_THREE.lens), other_lengths=[[6, 11, 2, 9]], no_grad=True)
def gru_bidirectional_two_layers(w, x):
    return _nn(w).GRU(5, 8, num_layers=2, bidirectional=True, batch_first=True)(x)


@case(["torch.nn.GRU"], on=(BM.lens,))
def gru_no_bias(w, x):
    return _nn(w).GRU(5, 8, bias=False, bidirectional=True, batch_first=True)(x)


@case(["torch.nn.GRU"], on=(BM,))
def gru_initial_state(w, x):
    torch = torch_of(w)
    return _nn(w).GRU(5, 8, num_layers=2, batch_first=True)(x, torch.randn(2, 2, 8))


@case(["torch.nn.GRU"], on=(TM.lens,))
def tm_gru_bidirectional(w, x):
    return _nn(w).GRU(5, 8, bidirectional=True)(x)


@case(["torch.nn.RNN"], on=(BM,))
def rnn_tanh(w, x):
    return _nn(w).RNN(5, 8, batch_first=True)(x)


@case(["torch.nn.RNN"], on=(BM.lens,))
def rnn_relu(w, x):
    """nonlinearity given positionally, as torch allows (4th argument)."""
    return _nn(w).RNN(5, 8, 2, "relu", batch_first=True, bidirectional=True)(x)


@case(["torch.nn.RNN"], on=(BM,))
def rnn_no_bias_initial_state(w, x):
    torch = torch_of(w)
    return _nn(w).RNN(5, 8, bias=False, batch_first=True, nonlinearity="relu")(x, torch.randn(1, 2, 8))


@case(["torch.nn.RNN"], on=(TM.lens,))
def tm_rnn_tanh_bidirectional(w, x):
    return _nn(w).RNN(5, 8, bidirectional=True)(x)


# -- cells: x (batch, time, 5), two steps on the first two frames ---------------------------------


@case(["torch.nn.LSTMCell"], on=(BM,))
def lstm_cell(w, x):
    cell = _nn(w).LSTMCell(5, 8)
    h, c = cell(x[:, 0])
    return cell(x[:, 1], (h, c))


@case(["torch.nn.GRUCell"], on=(BM,))
def gru_cell(w, x):
    cell = _nn(w).GRUCell(5, 8)
    return cell(x[:, 1], cell(x[:, 0]))


@case(["torch.nn.GRUCell"], on=(BM,))
def gru_cell_no_bias(w, x):
    torch = torch_of(w)
    return _nn(w).GRUCell(5, 8, bias=False)(x[:, 0], torch.tanh(torch.cat([x[:, 1, :4], x[:, 1, :4]], -1)))


@case(["torch.nn.RNNCell"], on=(BM,))
def rnn_cell(w, x):
    cell = _nn(w).RNNCell(5, 8, nonlinearity="relu")
    return cell(x[:, 1], cell(x[:, 0]))


# -- packed sequences: x with seq_lens (3 sequences of different lengths, e.g. [5, 7, 3]) --------------


def _rnn(w):
    return torch_of(w).nn.utils.rnn


def _packed(w, module, x, seq_lens, batch_first=True, hx=None, enforce_sorted=False, **pad_kwargs):
    """``module`` on ``x`` packed by ``seq_lens``, padded again: its output, h_n (and c_n)."""
    rnn = _rnn(w)
    packed = rnn.pack_padded_sequence(x, seq_lens.cpu(), batch_first=batch_first, enforce_sorted=enforce_sorted)
    out, states = module(packed, hx)
    padded, lengths = rnn.pad_packed_sequence(out, batch_first=pad_kwargs.pop("pad_batch_first", batch_first),
                                              **pad_kwargs)
    return (padded, *states) if isinstance(states, tuple) else (padded, states)


@case(["torch.nn.LSTM"], on=(PACKED.lens,))
def packed_lstm(w, x, seq_lens):
    return _packed(w, _nn(w).LSTM(5, 8, batch_first=True), x, seq_lens)


@case(["torch.nn.LSTM"], on=(PACKED.lens,), other_lengths=[[6, 11, 2, 9]], no_grad=True)
def packed_lstm_bidirectional_two_layers(w, x, seq_lens):
    return _packed(w, _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True, batch_first=True), x, seq_lens)


@case(["torch.nn.LSTM"], on=(SORTED.lens,))
def packed_lstm_sorted(w, x, seq_lens):
    """enforce_sorted=True: the lengths are sorted (longest first)."""
    return _packed(w, _nn(w).LSTM(5, 8, bidirectional=True, batch_first=True), x, seq_lens, enforce_sorted=True)


@case(["torch.nn.LSTM"], on=(PACKED.lens,), other_lengths=[[6, 11, 2, 9]], no_grad=True)
def packed_lstm_proj_initial_states(w, x, seq_lens):
    """proj_size, h0 and c0 computed from the input (in the batch's given order, as torch takes them)."""
    torch = torch_of(w)
    h = torch.tanh(_nn(w).Linear(5, 3)(x.mean(1)))
    hx = (torch.stack([h, -h]), torch.zeros(2, x.size(0), 8))
    return _packed(w, _nn(w).LSTM(5, 8, bidirectional=True, batch_first=True, proj_size=3), x, seq_lens, hx=hx)


@case(["torch.nn.LSTM"], on=(PACKED.lens,))
def packed_lstm_padding_value_time_major_out(w, x, seq_lens):
    """Packed batch-first, padded time-major with -1 past each length."""
    return _packed(w, _nn(w).LSTM(5, 8, batch_first=True), x, seq_lens, pad_batch_first=False, padding_value=-1.0)


@case(["torch.nn.GRU"], on=(PACKED.lens,))
def packed_gru(w, x, seq_lens):
    return _packed(w, _nn(w).GRU(5, 8, batch_first=True), x, seq_lens)


@case(["torch.nn.GRU"], on=(PACKED.lens,), other_lengths=[[6, 11, 2, 9]], no_grad=True)
def packed_gru_bidirectional_two_layers(w, x, seq_lens):
    return _packed(w, _nn(w).GRU(5, 8, num_layers=2, bidirectional=True, batch_first=True), x, seq_lens)


@case(["torch.nn.RNN"], on=(PACKED.lens,))
def packed_rnn_bidirectional(w, x, seq_lens):
    return _packed(w, _nn(w).RNN(5, 8, bidirectional=True, batch_first=True), x, seq_lens)


@case(["torch.nn.LSTM"], on=(PACKED.lens,))
def packed_lstm_then_linear(w, x, seq_lens):
    """The usual encoder: packed bidirectional LSTM, padded output (to the input's length, as for
    DataParallel) through a Linear, last layer's h_n."""
    out, h_n, c_n = _packed(w, _nn(w).LSTM(5, 8, bidirectional=True, batch_first=True), x, seq_lens,
                            total_length=x.size(1))
    return _nn(w).Linear(16, 3)(out), torch_of(w).cat([h_n[0], h_n[1]], -1)


@case(["torch.nn.GRU"], on=(PACKED.lens,))
def packed_gru_in_a_module(w, x, seq_lens):
    """Inside a user module (a subnetwork of the exported net), called twice: the second run packs the
    first one's output and starts from its final state."""
    nn = _nn(w)

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(5, 5, batch_first=True)

        def forward(self, x, seq_lens):
            y, h = _packed(w, self.gru, x, seq_lens)
            return _packed(w, self.gru, y, seq_lens, hx=h)

    return Encoder()(x, seq_lens)


@case(["torch.nn.LSTM"], on=(PACKED_TM.lens,), other_lengths=[[6, 11, 2, 9]], no_grad=True)
def tm_packed_lstm_bidirectional_two_layers(w, x, seq_lens):
    return _packed(w, _nn(w).LSTM(5, 8, num_layers=2, bidirectional=True), x, seq_lens, batch_first=False)


@case(["torch.nn.GRU"], on=(PACKED_TM.lens,))
def tm_packed_gru_bidirectional(w, x, seq_lens):
    return _packed(w, _nn(w).GRU(5, 8, bidirectional=True), x, seq_lens, batch_first=False)


@refused(r"total_length=20 is not supported", on=PACKED.lens)
def packed_constant_total_length(w, x, seq_lens):
    return _packed(w, _nn(w).GRU(5, 8, batch_first=True), x, seq_lens, total_length=20)


@refused("lengths that are not the input's sequence lengths", on=PACKED.lens)
def packed_constant_lengths(w, x, seq_lens):
    """Refused: lengths that are not the input's (a list of the recorded ones)."""
    rnn = _rnn(w)
    return _nn(w).LSTM(5, 8, batch_first=True)(rnn.pack_padded_sequence(x, [5, 7, 3], batch_first=True,
                                                                         enforce_sorted=False))[1]


# -- refused ------------------------------------------------------------------------------------


@refused("dropout=0.3 between layers in training mode is not supported", on=BM)
def lstm_dropout_training(w, x):
    return _nn(w).LSTM(5, 8, num_layers=2, dropout=0.3, batch_first=True)(x)


@case(["torch.nn.LSTM"], on=(BM.lens,), other_lengths=[[6, 11, 2]])
def lstm_over_static_axis(w, x):
    """The time loop over a static axis (unrolled): the 5 features of the time-averaged input, one by one,
    both directions, two layers, the final states too."""
    out, (h, c) = _nn(w).LSTM(1, 8, num_layers=2, bidirectional=True, batch_first=True)(
        x.mean(1).view(x.size(0), 5, 1))
    return out, h, c


@case(["torch.nn.GRU", "torch.nn.RNN"], on=(BM.lens,), other_lengths=[[6, 11, 2]])
def gru_and_rnn_over_static_axis(w, x):
    """GRU and a relu RNN over the 5 features of the time-averaged input, the GRU's initial state from
    the input too."""
    mean = x.mean(1)
    gru, _ = _nn(w).GRU(1, 3, batch_first=True)(mean.view(x.size(0), 5, 1), mean[:, :3].unsqueeze(0))
    rnn, h = _nn(w).RNN(3, 4, nonlinearity="relu", batch_first=True)(gru)
    return rnn, h


@refused(r"LSTM over a static axis of size 80 is not supported", on=BM)
def lstm_over_long_static_axis(w, x):
    return _nn(w).LSTM(1, 8, batch_first=True)(x.mean(1).repeat(1, 16).view(x.size(0), 80, 1))


@refused("LSTM on 2-d input is not supported", on=BM)
def lstm_unbatched(w, x):
    return _nn(w).LSTM(5, 8)(x.mean(0))


@case(["torch.nn.LSTM"], on=(BM.lens,), other_lengths=[[15, 9]])
def lstm_after_conv_subsampling(w, x):
    """An acoustic model's front: 2-d convs subsampling time by 4, then an LSTM over the subsampled
    time (a dim whose description holds a "/", ``⌈(t - 2) / 2⌉``, and no layer name may)."""
    torch = torch_of(w)
    convs = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3, stride=(2, 1)), torch.nn.ReLU(),
                                torch.nn.Conv2d(2, 2, 3, stride=(2, 1)), torch.nn.ReLU())
    h = convs(x[:, None])  # (batch, 2, time', 1)
    b, c, t, f = h.shape
    out, (last, _) = _nn(w).LSTM(c * f, 6, batch_first=True)(h.transpose(1, 2).reshape(b, t, c * f))
    return out + last[0][:, None]
