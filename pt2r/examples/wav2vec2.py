"""Hugging Face ``transformers.Wav2Vec2Model`` at its real sizes, random weights, unmodified.

The model functions do what a user of the package writes: build a ``Wav2Vec2Config``, make the
model, run it on raw audio and take ``last_hidden_state``. Eager attention, every dropout and
layerdrop 0, so the model is deterministic. Two architectures:

- ``model_func_base``: ``Wav2Vec2Config()`` defaults (wav2vec 2.0 base: hidden 768, 12 layers,
  12 heads, intermediate 3072, group-norm feature encoder, post-norm layers; about 94M parameters);
- ``model_func_large``: the XLS-R architecture (hidden 1024, 24 layers, 16 heads, intermediate
  4096, layer-norm feature encoder with conv bias, pre-norm ("stable layer norm") layers; about
  315M parameters).

Input: 5 s of 16 kHz audio, batch 1 (``example_inputs()``). Specs:
``pt2r.examples.wav2vec2:model_func_base`` and ``pt2r.examples.wav2vec2:model_func_large``.
"""

from __future__ import annotations

import typing

import numpy as np

SAMPLE_RATE = 16000
SECONDS = 5

INPUT_SPEC = {"shape": (None,), "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": None,
              "dtype": "float32"}

#: deterministic inference: eager attention, no dropout, no layerdrop, no time masking
_COMMON = dict(attn_implementation="eager", hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
               feat_proj_dropout=0.0, feat_quantizer_dropout=0.0, final_dropout=0.0, layerdrop=0.0,
               mask_time_prob=0.0)
#: ``Wav2Vec2Config()`` defaults apart from ``_COMMON``
BASE = {}
#: XLS-R (facebook/wav2vec2-xls-r-300m) architecture
LARGE = dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096,
             feat_extract_norm="layer", do_stable_layer_norm=True, conv_bias=True)
SIZES = {"base": BASE, "large": LARGE}


def example_inputs(seed: int = 0) -> np.ndarray:
    """Seeded random audio (1, 80000): 5 s at 16 kHz, zero mean and unit variance as the feature
    extractor normalises real audio."""
    return np.random.RandomState(seed).randn(1, SAMPLE_RATE * SECONDS).astype("float32")


def make_config(transformers, size: str):
    """The ``Wav2Vec2Config`` of ``size`` ("base" or "large")."""
    return transformers.Wav2Vec2Config(**SIZES[size], **_COMMON)


def model_func(wrapped_import, inputs, size: str = "base"):
    if typing.TYPE_CHECKING or not wrapped_import:
        import transformers
    else:
        transformers = wrapped_import("transformers")
    config = make_config(transformers, size)
    model = transformers.Wav2Vec2Model(config).eval()
    return model(inputs).last_hidden_state


def model_func_base(wrapped_import, inputs):
    return model_func(wrapped_import, inputs, "base")


def model_func_large(wrapped_import, inputs):
    return model_func(wrapped_import, inputs, "large")
