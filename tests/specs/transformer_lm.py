"""A Transformer language model as users write them (the PyTorch word_language_model example):
token ids (time, batch) -> Embedding * sqrt(d) -> sinusoidal positions (a buffer sliced to the length)
-> TransformerEncoder with a causal mask -> Linear tied to the embedding -> log_softmax."""

import math
import typing

import numpy as np

VOCAB = 50
INPUT_SPEC = {"shape": (None,), "sparse": True, "dim": VOCAB, "dtype": "int64", "batch_dim_axis": 1,
              "seq_lens": [9, 6]}


def example_inputs():
    return np.random.RandomState(0).randint(0, VOCAB, size=(9, 2)).astype("int64")


def _model(torch):
    nn = torch.nn

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, max_len=100):
            super().__init__()
            pe = torch.zeros(max_len, d_model)
            position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
            pe[:, 0::2] = torch.sin(position * div_term)
            pe[:, 1::2] = torch.cos(position * div_term)
            self.register_buffer("pe", pe.unsqueeze(0).transpose(0, 1))

        def forward(self, x):
            return x + self.pe[:x.size(0), :]

    class TransformerModel(nn.Module):
        def __init__(self, ntoken=VOCAB, ninp=16, nhead=2, nhid=32, nlayers=2):
            super().__init__()
            self.pos_encoder = PositionalEncoding(ninp)
            layer = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout=0.0)
            self.transformer_encoder = nn.TransformerEncoder(layer, nlayers)
            self.encoder = nn.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = nn.Linear(ninp, ntoken)
            self.decoder.weight = self.encoder.weight

        def forward(self, src):
            mask = nn.Transformer.generate_square_subsequent_mask(src.size(0))
            src = self.encoder(src) * math.sqrt(self.ninp)
            src = self.pos_encoder(src)
            output = self.transformer_encoder(src, mask)
            return torch.log_softmax(self.decoder(output), dim=-1)

    return TransformerModel()


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
    else:
        torch = wrapped_import("torch")
    return _model(torch).eval()(inputs)
