"""Archived-trace model for the basics op family: 1-d convs, weight norm, activations, padding, arithmetic.

A small vocoder-like stack written as user modules (so the trace holds nested user modules,
``Sequential`` and leaf modules): replication / reflection / constant padding and ``F.pad``,
``Conv1d`` (strided, dilated, grouped, ``padding="same"``, no bias, functional), weight norm
(kept and removed), ``ConvTranspose1d`` (with and without ``output_padding``), ``LeakyReLU``,
``Tanh``, ``ReLU`` in their module / functional / method forms, and scalar arithmetic. Every conv
and pad works on the dynamic time axis.

Input: (batch 2, 5 channels, time 11), batch-major, all sequences full length.
Regenerate with ``scripts/record-traces`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [5, None], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32"}

#: The module name the user modules below are recorded under (their type in the trace). A spec
#: loaded from a file path gets a module name made from its absolute path (pt2r/spec.py), which
#: would tie the trace to the checkout it was recorded in: replay elsewhere fails with a name
#: mismatch. Naming the classes after the repo-relative file keeps the trace replayable anywhere.
MODULE_NAME = "traces.specs.basics"


def example_inputs():
    return np.random.RandomState(0).randn(2, 5, 11).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn, F = torch.nn, torch.nn.functional

    class ResidualBlock(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self, channels, dilation):
            super().__init__()
            self.stack = nn.Sequential(
                nn.LeakyReLU(0.2),
                nn.ReflectionPad1d(dilation),
                nn.utils.weight_norm(nn.Conv1d(channels, channels, 3, dilation=dilation)),
                nn.LeakyReLU(0.2),
                nn.Conv1d(channels, channels, 1),
            )
            self.skip = nn.utils.weight_norm(nn.Conv1d(channels, channels, 1))

        def forward(self, x):
            return self.stack(x) + self.skip(x)

    class Net(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.pre = nn.Sequential(nn.ReplicationPad1d(2), nn.Conv1d(5, 8, 5))
            self.down = nn.Conv1d(8, 8, 3, stride=2, padding=2, dilation=2)
            self.blocks = nn.ModuleList([ResidualBlock(8, 1), ResidualBlock(8, 3)])
            self.grouped = nn.Conv1d(8, 8, 3, groups=4, padding=1)
            self.up = nn.ConvTranspose1d(8, 6, 4, stride=2, padding=1)
            self.up_odd = nn.ConvTranspose1d(6, 4, 10, stride=5, padding=3, output_padding=1)
            self.pad = nn.ConstantPad1d((1, 2), 0.5)
            self.post = nn.Conv1d(4, 3, 5, padding="same", bias=False)
            self.tanh = nn.Tanh()
            self.weight = nn.Parameter(torch.randn(2, 3, 2) * 0.3)

        def remove_weight_norm(self):
            for block in self.blocks:
                nn.utils.remove_weight_norm(block.stack[2])  # the skip convs keep theirs

        def forward(self, x):
            h = self.down(self.pre(x))
            for block in self.blocks:
                h = block(h)
            h = F.leaky_relu(self.grouped(h), 0.1) + h.relu()
            h = self.tanh(self.up(h))
            h = nn.ReLU()(self.up_odd(h)) + F.relu(self.up_odd(h) * 0.5)
            h = self.post(self.pad(F.pad(h, (2, 1), mode="reflect")))
            y = h * 2.0 + 1
            z = 1 - y / 3
            h = -(z - h) * h + 2 / (h * h + 1)
            return F.conv1d(h, self.weight, stride=1).tanh()

    net = Net()
    net.remove_weight_norm()
    return net.eval()(inputs)
