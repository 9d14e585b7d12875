"""Archived-trace model for the norm op family: LayerNorm, GroupNorm, BatchNorm, dropout, embedding.

A time-major input through ``LayerNorm`` (module and functional), then channels-first through
``GroupNorm`` (one group, per channel without affine, functional), ``BatchNorm1d`` in eval mode
(module, functional, ``torch.batch_norm``), ``Dropout`` in eval mode and in training mode (its
random mask comes from the trace), functional dropout, and an ``Embedding`` of class indices
computed from the data. Affine parameters and running statistics are randomised so they matter;
the norms over time include the padding frames, as in torch.

Input: (time 7, batch 2, 5 features), time-major, sequence lengths [7, 4].
Regenerate with ``scripts/record-traces`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [None, 5], "batch_dim_axis": 1, "time_dim_axis": 0, "feature_dim_axis": 2,
              "dtype": "float32", "seq_lens": [7, 4]}

#: The module name the user modules below are recorded under (their type in the trace). A spec
#: loaded from a file path gets a module name made from its absolute path (pt2r/spec.py), which
#: would tie the trace to the checkout it was recorded in: replay elsewhere fails with a name
#: mismatch. Naming the classes after the repo-relative file keeps the trace replayable anywhere.
MODULE_NAME = "traces.specs.norm"


def example_inputs():
    return np.random.RandomState(2).randn(7, 2, 5).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn, F = torch.nn, torch.nn.functional

    def randomized(module, *names):
        for name in names:
            nn.init.uniform_(getattr(module, name), 0.5, 1.5)
        return module

    class ChannelNorms(nn.Module):
        """Norms over (batch, channels, time)."""
        __module__ = MODULE_NAME

        def __init__(self, channels):
            super().__init__()
            self.group_norm = randomized(nn.GroupNorm(1, channels, eps=1e-3), "weight", "bias")
            self.instance_norm = nn.GroupNorm(channels, channels, affine=False)
            self.batch_norm = randomized(nn.BatchNorm1d(channels), "weight", "bias", "running_mean", "running_var")
            self.dropout = nn.Dropout(0.3)
            self.mean = nn.Parameter(torch.randn(channels))
            self.var = nn.Parameter(torch.rand(channels) + 0.5)

        def forward(self, x):
            h = self.group_norm(x) + self.instance_norm(x) * 0.5
            h = self.dropout(self.batch_norm(h))
            h = h + F.batch_norm(x, self.mean, self.var, training=False, eps=1e-3)
            return h + torch.batch_norm(x, None, None, self.mean, self.var, False, 0.1, 1e-5, False)

    class Net(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.layer_norm = randomized(nn.LayerNorm(5), "weight", "bias")
            self.layer_norm_plain = nn.LayerNorm(5, eps=1e-3, elementwise_affine=False)
            self.channels = ChannelNorms(5)
            self.group_norm_weight = nn.Parameter(torch.randn(6))
            self.train_dropout = nn.Dropout(0.5)
            self.embedding = nn.Embedding(7, 6, padding_idx=0)
            self.out_norm = randomized(nn.LayerNorm(6), "weight")

        def forward(self, x):
            t, b, f = x.shape
            h = self.layer_norm(x) + self.layer_norm_plain(x * 2.0)
            h = F.layer_norm(h, (5,), eps=1e-4)
            h = self.channels(h.permute(1, 2, 0)).permute(2, 0, 1)  # (T, B, 5) -> (B, 5, T) and back
            h = torch.cat([h, h.mean(-1, keepdim=True)], dim=-1)  # (T, B, 6)
            h = F.group_norm(h.permute(1, 2, 0), 3, self.group_norm_weight).permute(2, 0, 1)
            h = self.train_dropout(h) + F.dropout(h, 0.5, training=False)
            classes = (x[:, :, 0].abs() * 3).long().clamp(max=6)  # (T, B) indices below 7
            return self.out_norm(h + self.embedding(classes))

    net = Net().eval()
    net.train_dropout.train()
    return net(inputs)
