"""Archived-trace model for the attention op family: nn.MultiheadAttention and SDPA.

A small encoder block on (batch, time, 8 features): ``nn.MultiheadAttention`` (2 heads,
self-attention with a causal mask built by broadcasting positions and a key padding mask made
from the data, returning averaged weights), cross-attention to a strided copy of the sequence
(another dynamic length), ``F.scaled_dot_product_attention`` over 2 heads with ``is_causal``, and
a feed-forward part. Without masks, torch attends to padding frames, and so does the net.

Input: (batch 2, time 9, 8 features), batch-major, sequence lengths [9, 6].
Regenerate with ``scripts/record-traces ops_attention`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [None, 8], "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 2,
              "dtype": "float32", "seq_lens": [9, 6]}
MODULE_NAME = "traces.specs.attention"  # see traces/specs/reduce.py


def example_inputs():
    return np.random.RandomState(8).randn(2, 9, 8).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn, F = torch.nn, torch.nn.functional

    class Block(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self, dim, heads):
            super().__init__()
            self.heads = heads
            self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
            self.cross_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
            self.qkv = nn.Linear(dim, 3 * dim)
            self.ff = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
            self.norm = nn.LayerNorm(dim)

        def forward(self, x):
            pos = torch.arange(x.shape[1])
            future = pos[:, None] < pos[None, :]
            quiet = x.abs().sum(-1) < 0.5  # a key padding mask from the data
            h, weights = self.self_attention(x, x, x, attn_mask=future, key_padding_mask=quiet)
            x = self.norm(x + h + weights.amax(-1, keepdim=True))
            memory = x[:, ::2]
            h, _ = self.cross_attention(x, memory, memory, need_weights=False)
            x = x + h
            b, t, d = x.shape
            q, k, v = self.qkv(x).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
            h = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, d)
            return x + h + self.ff(x + h)

    return Block(8, 2).eval()(inputs)
