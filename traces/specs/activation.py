"""Archived-trace model for the activation op family: activations, softmax over an axis, GLU, PReLU, 2-d convs.

Elementwise activations in module, functional, ``torch.*``, method and in-place forms (GELU both
ways, ELU, SiLU, Sigmoid, Softplus, Hardtanh, ReLU6, SELU, CELU, Mish, Softsign, LogSigmoid,
Hardsigmoid, Hardswish, Tanhshrink), PReLU (shared and per channel), GLU, softmax / log-softmax /
softmin over the channels and over the dynamic time axis, and ``Conv2d`` (strided; ``padding="same"``
with an even kernel) / ``ConvTranspose2d`` on a (channels x time) image whose width is the dynamic
time axis. (No dilated ``Conv2d``: with a static height it fails to build, see traces/README.md.)

Input: (batch 2, 6 channels, time 9), batch-major, sequence lengths [9, 6].
Regenerate with ``scripts/record-traces`` (see traces/README.md).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": [6, None], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32", "seq_lens": [9, 6]}

#: The module name the user modules below are recorded under (their type in the trace). A spec
#: loaded from a file path gets a module name made from its absolute path (pt2r/spec.py), which
#: would tie the trace to the checkout it was recorded in: replay elsewhere fails with a name
#: mismatch. Naming the classes after the repo-relative file keeps the trace replayable anywhere.
MODULE_NAME = "traces.specs.activation"


def example_inputs():
    return np.random.RandomState(1).randn(2, 6, 9).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    nn, F = torch.nn, torch.nn.functional

    class Smooth(nn.Module):
        """Elementwise activations, summed."""
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.gelu = nn.GELU()
            self.gelu_tanh = nn.GELU(approximate="tanh")
            self.others = nn.ModuleList([nn.ELU(alpha=1.5), nn.SiLU(), nn.Softplus(0.5, 3.0), nn.CELU(0.7),
                                         nn.Mish(), nn.Softsign(), nn.LogSigmoid(), nn.Tanhshrink()])

        def forward(self, x):
            y = self.gelu(x) + self.gelu_tanh(x * 2.0) + F.gelu(x, approximate="tanh")
            for act in self.others:
                y = y + act(x)
            return y + F.elu(x, alpha=0.5) + F.silu(x) + F.softplus(x, beta=2.0, threshold=1.0) + F.mish(x)

    class Hard(nn.Module):
        """Piecewise-linear activations and their in-place forms."""
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.hardtanh = nn.Hardtanh(-0.5, 0.8)
            self.relu6 = nn.ReLU6()
            self.hardsigmoid = nn.Hardsigmoid()
            self.hardswish = nn.Hardswish()
            self.selu = nn.SELU()

        def forward(self, x):
            y = self.hardtanh(x) + self.relu6(x * 4.0) + self.hardsigmoid(x * 4.0) + self.hardswish(x * 4.0)
            y = y + self.selu(x) + F.relu6(x) + torch.selu(x) + F.hardswish(x) + F.logsigmoid(x)
            z = x * 1.0
            z.relu_()
            torch.sigmoid_(z)
            F.leaky_relu_(z, 0.2)
            F.hardtanh_(z, -0.5, 0.5)
            z.tanh_()
            return y + z

    class Net(nn.Module):
        __module__ = MODULE_NAME

        def __init__(self):
            super().__init__()
            self.smooth = Smooth()
            self.hard = Hard()
            self.prelu = nn.PReLU()
            self.prelu_channels = nn.PReLU(6, init=0.1)
            self.glu = nn.GLU(dim=1)
            self.softmax = nn.Softmax(dim=1)
            self.time_softmax = nn.Softmax(dim=2)
            self.log_softmax = nn.LogSoftmax(dim=1)
            self.softmin = nn.Softmin(dim=1)
            self.conv2d = nn.Conv2d(1, 3, 3, stride=(2, 1), padding=1)
            self.conv2d_same = nn.Conv2d(3, 2, (2, 3), padding="same", bias=False)
            self.deconv2d = nn.ConvTranspose2d(2, 1, (4, 3), stride=(2, 1), padding=(1, 1))
            self.sigmoid = nn.Sigmoid()

        def forward(self, x):
            h = self.smooth(x) * 0.1 + self.hard(x)
            h = self.prelu(h) + self.prelu_channels(h) + F.prelu(h, self.prelu_channels.weight * 2.0)
            half = F.glu(h.sigmoid(), 1)
            gated = self.glu(torch.cat([h, x], dim=1)) + torch.cat([half, half * 2.0], dim=1)
            h = self.softmax(gated) + self.log_softmax(h) * 0.1 + self.softmin(h) + torch.softmax(h, -1)
            h = h + self.time_softmax(x) + F.log_softmax(x, dim=-1) * 0.1 + x.softmax(2)
            image = self.conv2d(h.unsqueeze(1))
            image = F.elu(self.conv2d_same(torch.tanh(image)))
            image = self.deconv2d(self.sigmoid(image))
            return F.silu(image.squeeze(1)) + torch.relu(h)

    return Net().eval()(inputs)
