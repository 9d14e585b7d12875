"""Hugging Face ``transformers.Wav2Vec2Model`` (unmodified third-party code), small and randomly initialised.

Written as a user writes them: the model functions import ``transformers`` (the real one for the
plain run, through ``wrapped_import`` otherwise), build the model from a config and return
``model(inputs).last_hidden_state``. Random init is
fine: ``pt2r record`` resets the seeds before each run and stores the parameters in the trace.

- ``model_func`` (group_norm): ``feat_extract_norm="group"`` (``GroupNorm`` on the first conv
  layer only), post-norm transformer layers (``do_stable_layer_norm=False``).
- ``model_func_layer_norm`` (layer_norm): ``feat_extract_norm="layer"`` (``LayerNorm`` after every
  conv layer), pre-norm transformer layers (``do_stable_layer_norm=True``: the XLS-R layout).
- ``model_func_small``: the group_norm layout, narrower, for the archived trace
  ``traces/wav2vec2_small.h5`` (recorded on 1600 samples: ``example_inputs(1600)``).
- ``model_func_padded``: the layer_norm layout on a padded batch, its attention mask built from the
  ``seq_lens`` the model function takes (``PADDED_INPUT_SPEC``, ``padded_audio``).

All use eager attention and turn every dropout (and layerdrop, and time masking) off. The positional
conv embedding is weight-normed with ``torch.nn.utils.parametrizations.weight_norm`` (transformers
5.23), so every variant exercises a parametrized ``Conv1d``.

Input: raw audio, (batch, samples) float32; ``example_inputs()`` is (1, 4000).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": (None,), "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": None,
              "dtype": "float32"}

#: a small config: 3 conv layers (stride 5 * 2 * 2 = 20), 2 transformer layers of width 32
SMALL = dict(
    hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
    conv_dim=(16, 16, 16), conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3),
    num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
    hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0,
    final_dropout=0.0, layerdrop=0.0, mask_time_prob=0.0)

#: narrower still, for the archived trace (kept small in the repository)
TINY = {**SMALL, "hidden_size": 16, "intermediate_size": 32, "conv_dim": (8, 8, 8)}


def example_inputs(samples=4000, batch=1, seed=0):
    return np.random.RandomState(seed).randn(batch, samples).astype("float32")


def _transformers(wrapped_import):
    if typing.TYPE_CHECKING or not wrapped_import:
        import transformers
        return transformers
    return wrapped_import("transformers")


def _model(wrapped_import, sizes, norm):
    """``Wav2Vec2Model(Wav2Vec2Config(...)).eval()``, with the feature encoder's norm ``"group"``
    (post-norm layers) or ``"layer"`` (pre-norm layers)."""
    transformers = _transformers(wrapped_import)
    config = transformers.Wav2Vec2Config(**sizes, feat_extract_norm=norm, do_stable_layer_norm=norm == "layer",
                                         attn_implementation="eager")
    return transformers.Wav2Vec2Model(config).eval()


def model_func(wrapped_import, inputs):
    return _model(wrapped_import, SMALL, "group")(inputs).last_hidden_state


def model_func_layer_norm(wrapped_import, inputs):
    return _model(wrapped_import, SMALL, "layer")(inputs).last_hidden_state


def model_func_small(wrapped_import, inputs):
    return _model(wrapped_import, TINY, "group")(inputs).last_hidden_state


#: a padded batch: ``model_func_padded`` takes the lengths (pt2r.spec) and masks as transformers does
PADDED_SEQ_LENS = [4000, 2900]
PADDED_INPUT_SPEC = {**INPUT_SPEC, "seq_lens": PADDED_SEQ_LENS}


def padded_audio(lens, seed=0):
    x = example_inputs(max(lens), len(lens), seed)
    for i, n in enumerate(lens):
        x[i, n:] = 0
    return x


def model_func_padded(wrapped_import, inputs, seq_lens):
    torch = wrapped_import("torch") if wrapped_import else __import__("torch")
    attention_mask = (torch.arange(inputs.shape[1])[None, :] < seq_lens[:, None]).long()
    return _model(wrapped_import, SMALL, "layer")(inputs, attention_mask=attention_mask).last_hidden_state


def output_lengths(lens):
    """Frames of the feature encoder's output per sequence (transformers' own formula)."""
    out = []
    for n in lens:
        for kernel, stride in zip(SMALL["conv_kernel"], SMALL["conv_stride"]):
            n = (n - kernel) // stride + 1
        out.append(n)
    return out
