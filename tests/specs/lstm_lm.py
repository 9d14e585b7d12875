"""An LSTM language model over sparse token ids: Embedding -> 2-layer LSTM -> Linear -> log_softmax.

``model_func`` takes time-major ids (time, batch), as ``nn.LSTM`` without ``batch_first`` wants them;
``model_func_batch_major`` takes (batch, time). The input descriptions are RETURNN ``Data`` kwargs
that leave the time and feature axes to RETURNN's defaults: the time axis is the one dynamic axis,
and a sparse input has no feature axis (its classes are the sparse dim).
"""

import typing

import numpy as np

VOCAB = 100

INPUT_SPEC = {"shape": (None,), "sparse": True, "dim": VOCAB, "batch_dim_axis": 1, "dtype": "int64"}
BATCH_MAJOR_INPUT_SPEC = {"shape": (None,), "sparse": True, "dim": VOCAB, "dtype": "int64"}


def example_inputs(time: int = 11, batch: int = 3) -> np.ndarray:
    """Token ids, time-major (time, batch)."""
    return np.random.RandomState(0).randint(0, VOCAB, size=(time, batch)).astype("int64")


def _language_model(torch, batch_first: bool):
    nn = torch.nn

    class LstmLanguageModel(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, 16)
            self.lstm = nn.LSTM(16, 32, num_layers=2, batch_first=batch_first)
            self.output = nn.Linear(32, VOCAB)

        def forward(self, ids):
            x = self.embedding(ids)
            x, _ = self.lstm(x)
            return torch.log_softmax(self.output(x), dim=-1)

    return LstmLanguageModel().eval()


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    return _language_model(torch, batch_first=False)(inputs)


def model_func_batch_major(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    return _language_model(torch, batch_first=True)(inputs)
