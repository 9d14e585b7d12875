"""Parameters used by more than one module call: a block called twice, and a decoder projection
tied to an encoder's (``decoder.out.weight = encoder.proj.weight``). Input (batch, time, 6)."""

import numpy as np

INPUT_SPEC = {"shape": (None, 6), "dtype": "float32", "seq_lens": [7, 4]}


def example_inputs():
    return np.random.RandomState(0).randn(2, 7, 6).astype("float32")


def _model(torch):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.proj = nn.Linear(6, 6)

        def forward(self, x):
            return torch.tanh(self.proj(x))

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.out = nn.Linear(6, 6)

        def forward(self, x):
            return self.out(x)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = Block()
            self.decoder = Decoder()
            self.decoder.out.weight = self.encoder.proj.weight

        def forward(self, x):
            return self.decoder(self.encoder(self.encoder(x)))  # the encoder called twice

    return Tied()


def model_func(wrapped_import, inputs):
    if wrapped_import:
        torch = wrapped_import("torch")
    else:
        import torch
    return _model(torch).eval()(inputs)
