"""Archived-trace model for the special op family (``torch.special``), with F.tanh / F.sigmoid.

A small gated block on (batch, 6 features, time): ``expit`` / ``logit`` (with eps) gates,
``erf`` / ``erfc`` / ``erfinv``, ``exp2``, ``expm1`` / ``log1p``, ``xlogy``, ``sinc``, ``i0``,
``softmax`` / ``log_softmax`` over features and over time (padding frames included, as in torch),
and ``F.tanh`` / ``F.sigmoid``, which the trace records under their own names.

Input: (batch 2, 6 features, time 9), batch-major, sequence lengths [9, 5].
Regenerate with ``scripts/record-traces ops_special`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [6, None], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32", "seq_lens": [9, 5]}
MODULE_NAME = "traces.specs.special"  # see traces/specs/reduce.py


def example_inputs():
    return np.random.RandomState(7).randn(2, 6, 9).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn, F, special = torch.nn, torch.nn.functional, torch.special

    class Gate(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self, channels):
            super().__init__()
            self.proj = nn.Conv1d(channels, channels, 1)

        def forward(self, x):
            p = special.expit(self.proj(x))
            gated = special.logit(p, eps=1e-3) * F.sigmoid(x) + F.tanh(x)
            smooth = special.erf(x) + special.erfc(x) * 0.5 + special.erfinv(torch.tanh(x) * 0.9)
            return gated + smooth + special.exp2(x * 0.5) + special.expm1(x * 0.1) + special.log1p(p)

    class Mix(nn.Module):
        __module__ = MODULE_NAME

        def forward(self, x):
            positive = special.softmax(x, dim=1)
            over_time = special.log_softmax(x, dim=2)
            return special.xlogy(positive, positive + 0.5) + over_time * 0.1 + special.sinc(x) + special.i0(x * 0.3)

    class Net(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.gate, self.mix = Gate(6), Mix()

        def forward(self, x):
            return self.mix(self.gate(x))

    return Net().eval()(inputs)
