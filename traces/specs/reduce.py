"""Archived-trace model for the reduce op family: linear, products (matmul, bmm, einsum), reductions.

A tiny self-attention block: ``Linear`` projections (with and without bias, functional, a layer
reused), attention scores over the dynamic time axis by ``einsum``, ``bmm`` and ``baddbmm``,
weights applied with ``matmul``; then reductions over time and features (``sum``, ``mean``,
``max`` / ``min`` with indices, ``amax`` / ``amin``, ``logsumexp``, ``argmax`` / ``argmin``),
and ``mm`` / ``mv`` / ``addmm`` / ``outer`` / ``dot`` on the pooled vectors. Reductions and
contractions over time include the padding frames, as in torch.

Input: (batch 2, time 7, 5 features), batch-major, sequence lengths [7, 4].
Regenerate with ``scripts/record-traces`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [None, 5], "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 2,
              "dtype": "float32", "seq_lens": [7, 4]}

#: The module name the user modules below are recorded under (their type in the trace). A spec
#: loaded from a file path gets a module name made from its absolute path (pt2r/spec.py), which
#: would tie the trace to the checkout it was recorded in: replay elsewhere fails with a name
#: mismatch. Naming the classes after the repo-relative file keeps the trace replayable anywhere.
MODULE_NAME = "traces.specs.reduce"


def example_inputs():
    return np.random.RandomState(4).randn(2, 7, 5).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn, F = torch.nn, torch.nn.functional

    class Attention(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self, dim):
            super().__init__()
            self.query = nn.Linear(dim, dim)
            self.key = nn.Linear(dim, dim, bias=False)
            self.value_weight = nn.Parameter(torch.randn(dim, dim) * 0.3)
            self.value_bias = nn.Parameter(torch.randn(dim) * 0.1)
            self.out = nn.Linear(dim, dim)

        def forward(self, x):
            q, k = self.query(x), self.key(x)
            v = F.linear(x, self.value_weight, self.value_bias)
            scores = torch.einsum("btf,bsf->bts", q, k) * 0.5
            scores = scores + torch.bmm(q, k.transpose(1, 2)) * 0.1
            scores = torch.baddbmm(scores, x, torch.einsum("btf->bft", x), beta=0.5, alpha=0.05)
            weights = torch.softmax(scores, dim=-1)
            context = torch.matmul(weights, v) + torch.einsum("bts,bsf->btf", weights, v)
            return self.out(self.out(context) + x)  # the same layer twice

    class Pool(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self, dim):
            super().__init__()
            self.proj = nn.Parameter(torch.randn(dim, 3))
            self.vec = nn.Parameter(torch.randn(dim))
            self.square = nn.Parameter(torch.randn(dim, dim) * 0.3)
            self.bias = nn.Parameter(torch.randn(dim))

        def forward(self, x):  # (B, T, F) -> (B, F)
            values, indices = x.max(1)
            low = torch.min(x, dim=1).values
            pooled = x.sum(1) + torch.mean(x, dim=1) + values + indices * 0.1 - low
            pooled = pooled + x.amax(1) + torch.amin(x, 1) + torch.logsumexp(x, 1) + x.mean((1, 2))[:, None]
            pooled = pooled + (x.argmax(1) - torch.argmin(x, dim=1)).float() + x.argmax(-1).sum(1, keepdim=True)
            pooled = torch.addmm(self.bias, pooled, self.square, beta=0.5, alpha=2.0)
            summary = torch.mm(pooled, self.proj).sum(1) + torch.mv(pooled, self.vec)
            v = pooled.amax(0)
            return pooled + torch.outer(summary, v) + torch.dot(v, self.vec) + x.sum() * 0.01

    class Net(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.attention = Attention(5)
            self.pool = Pool(5)
            self.head = nn.Linear(5, 3)
            self.weight = nn.Parameter(torch.randn(5, 3))

        def forward(self, x):
            h = self.attention(x)
            pooled = self.pool(h)
            keep = h - h.mean(-1, keepdim=True) + h.sum((1, 2), keepdim=True) * 0.01
            return self.head(keep + pooled[:, None, :]) + keep @ self.weight + torch.einsum(
                "btf,fo->bto", h, self.weight)

    return Net().eval()(inputs)
