"""Archived-trace model for the recurrent op family: LSTM, GRU, RNN and a cell.

A small acoustic-model-like encoder on (batch, time, 6 features): a 2-layer bidirectional
``nn.LSTM`` (batch-first, with ``proj_size``), a ``nn.GRU`` continuing from given initial states, an
``nn.RNN`` (relu, time-major through a transpose) and an ``nn.GRUCell`` step on the last frame. On a
padded batch torch runs every direction over the full padded length (the backward direction
starts at the last padded frame), and so does the net: nothing is masked.

Input: (batch 2, time 9, 6 features), batch-major, sequence lengths [9, 5].
Regenerate with ``scripts/record-traces ops_recurrent`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [None, 6], "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 2,
              "dtype": "float32", "seq_lens": [9, 5]}
MODULE_NAME = "traces.specs.recurrent"  # see traces/specs/reduce.py


def example_inputs():
    return np.random.RandomState(9).randn(2, 9, 6).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn = torch.nn

    class Encoder(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(6, 8, num_layers=2, bidirectional=True, batch_first=True, proj_size=4)
            self.gru = nn.GRU(8, 5, batch_first=True)
            self.rnn = nn.RNN(5, 3, nonlinearity="relu")
            self.cell = nn.GRUCell(3, 3)

        def forward(self, x):
            h, (h_n, c_n) = self.lstm(x)
            g, g_n = self.gru(h, c_n[-1:, :, :5].tanh())  # initial state from the LSTM's last cell state
            r, r_n = self.rnn(g.transpose(0, 1))
            step = self.cell(r[-1], r_n[0])
            return r.transpose(0, 1) + step[:, None, :] + g_n.sum() * 0.01

    return Encoder().eval()(inputs)
