"""Archived-trace model for the transformer op family: TransformerEncoder(Layer).

A small encoder on (batch, time, 5 features): a projection to 8 features, a 2-layer
``nn.TransformerEncoder`` (post-norm, relu, final ``LayerNorm``) with a causal mask from
``nn.Transformer.generate_square_subsequent_mask`` over the dynamic length, and a pre-norm gelu
``nn.TransformerEncoderLayer`` with a key padding mask at the end of every row (torch's
nested-tensor path, which zeroes those positions).

Input: (batch 2, time 8, 5 features), batch-major, sequence lengths [8, 5].
Regenerate with ``scripts/record-traces ops_transformer`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [None, 5], "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 2,
              "dtype": "float32", "seq_lens": [8, 5]}
MODULE_NAME = "traces.specs.transformer"  # see traces/specs/reduce.py


def example_inputs():
    return np.random.RandomState(13).randn(2, 8, 5).astype("float32")


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
            self.proj = nn.Linear(5, 8)
            layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8))
            self.pre_norm = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, activation="gelu",
                                                       batch_first=True, norm_first=True)

        def forward(self, x):
            h = self.proj(x)
            causal = nn.Transformer.generate_square_subsequent_mask(x.shape[1])
            h = self.encoder(h, mask=causal)
            lengths = (x[:, :, 0] > -100).sum(1) - 1  # one padded position at the end of every row
            padding = torch.arange(x.shape[1])[None, :] >= lengths[:, None]
            return self.pre_norm(h, src_key_padding_mask=padding)

    return Encoder().eval()(inputs)
