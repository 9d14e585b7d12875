"""Archived-trace model for the elementwise op family: arithmetic, promotion, unary ops, clamp, logic, creation.

Broadcasting against parameters, scalar forms (``torch.add(alpha=)``, ``rsub``, ``div``), integer
and bool promotion (``//``, ``%``, rounding modes, int32 + int64), powers, unary math, ``clamp``
with scalar and tensor bounds, comparisons and logic on bool and int tensors, ``where`` /
``masked_fill``, casts (``float``, ``long``, ``to``, ``type_as``), in-place updates, and creation
ops sized from the dynamic time axis (``zeros`` / ``ones`` / ``full`` / ``new_*``, ``arange(t)``,
a padding mask from lengths, division by the length), so the exported net stays dynamic.

Input: (batch 2, 5 features, time 11), batch-major, sequence lengths [11, 6].
Regenerate with ``scripts/record-traces`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [5, None], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32", "seq_lens": [11, 6]}

#: The module name the user modules below are recorded under (their type in the trace). A spec
#: loaded from a file path gets a module name made from its absolute path (pt2r/spec.py), which
#: would tie the trace to the checkout it was recorded in: replay elsewhere fails with a name
#: mismatch. Naming the classes after the repo-relative file keeps the trace replayable anywhere.
MODULE_NAME = "traces.specs.elementwise"


def example_inputs():
    return np.random.RandomState(5).randn(2, 5, 11).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn = torch.nn

    class Arithmetic(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.randn(5, 1))
            self.bias = nn.Parameter(torch.randn(1))
            self.scale = nn.Parameter(torch.randn(5, 1).double())

        def forward(self, x):
            y = (x * self.weight + self.bias) / (self.weight * self.weight + 1) - self.bias
            y = y + torch.add(x, 2, alpha=3) + torch.sub(x, x * 2, alpha=0.5) + torch.rsub(x, 1.5)
            y = torch.div(y, 4) + 2.0 / (x * x + 1) - 3 + x.true_divide(2) + torch.neg(x) + torch.mul(x, 3)
            a = x.abs() + 0.5
            y = y + x ** 2 + 2 ** x + a ** x + torch.pow(a, 0.5) + a.pow(1.5)
            y = y + torch.exp(x) + torch.log(a) + a.sqrt() + torch.rsqrt(a) + abs(x) + torch.log1p(a)
            y = y + torch.expm1(x) + torch.reciprocal(a) + torch.sin(x) + x.cos() + torch.log2(a) + torch.square(x)
            y = y + x.sign() + torch.floor(x * 3) + torch.ceil(x * 3) + torch.round(x * 3) + torch.trunc(x * 3)
            y = y + torch.maximum(x, y * 0.1) + torch.minimum(x, -y * 0.1)
            return (y * 0.01 + x * self.scale).float()  # float64 parameter: promotes, cast back

    class Integers(nn.Module):
        __module__ = MODULE_NAME

        def forward(self, x):
            n = (x * 10).long()
            a = n + 1
            b = n / 3
            c = n // 3 + n % 3 + torch.div(n, 4, rounding_mode="floor") + torch.div(n, 4, rounding_mode="trunc")
            d = n * 0.5 + ((x > 0) + (x < 0.5)) + (x > 0) * 2
            e = (x * 10).int() + n
            f = torch.div(x * 7, 2, rounding_mode="trunc") + (x * 7) % 2 + 7 % (n.abs() + 1)
            masks = (x > 0) & (x < 0.5) | ~(x >= 0.2) ^ torch.logical_not(x != 0)
            g = torch.logical_and(x > 0, x <= 0.3).float() + torch.logical_or(x < 0, x == 0) + (n & 3) + (n | 1)
            clamped = n.clamp(-3, 4) + n.clamp(min=0.5) + torch.sqrt(n.abs()) + torch.square(n)
            return a + b + c + d + e + f + masks + g + clamped + torch.eq(x, 0) * 5

    class Selection(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.low = nn.Parameter(torch.randn(5, 1) - 1)
            self.high = nn.Parameter(torch.randn(1) + 1)

        def forward(self, x):
            y = torch.clamp(x, min=-0.5) + x.clamp(max=0.2) + torch.clamp(x, -0.3, 0.4) + x.clip(0, 1)
            y = y + x.clamp_min(0.1) + torch.clamp(x, self.low, self.high) + x.clamp(min=self.low)
            y = y + torch.where(x > 0, x, self.low) + torch.where(x < 0, 0.5, x) + x.where(x > self.low, 1.0)
            y = y + x.masked_fill(x < 0, 0.5) + torch.masked_fill(x, x > 0.5, -1)
            z = y * 1
            z.add_(1)
            z.mul_(2)
            z += x
            z -= 0.5
            z /= 2
            z.clamp_(-1, 2)
            z.masked_fill_(z > 1.5, 0.0)
            return z + x.long() + x.int() + x.bool() + (x * 10).long().type_as(x) + x.to(torch.float64).float()

    class Creation(nn.Module):
        __module__ = MODULE_NAME

        def forward(self, x):
            b, f, t = x.shape
            shape = (b, f, t)
            y = x + torch.zeros(*shape) + torch.ones(shape) * 2 + torch.full(shape, 0.5) + x.new_zeros(shape)
            y = y + x.new_ones(*shape) + x.new_full(shape, 3.0) + torch.zeros_like(x) + torch.full_like(x, 2.0)
            y = y / t + (t - 1) * x + torch.full((b, 1, 1), t) + torch.tensor(t) + x.new_tensor(t) * 0.5
            positions = torch.arange(t) + torch.arange(1, t + 1) * 0.5 + torch.arange(0.0, t)
            lengths = torch.full((b, 1, 1), t - 2)
            mask = torch.arange(t) < lengths
            return y.masked_fill(~mask, 0.0) + mask.float() + positions + torch.ones(5, 1) * 2

    class Net(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.arithmetic = Arithmetic()
            self.integers = Integers()
            self.selection = Selection()
            self.creation = Creation()

        def forward(self, x):
            h = self.arithmetic(x)
            return self.creation(self.selection(h) + self.integers(x) * 0.1) + torch.sigmoid(h) * x.tanh()

    return Net().eval()(inputs)
