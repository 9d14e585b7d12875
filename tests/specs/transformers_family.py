"""Hugging Face audio models of the Wav2Vec2 family (unmodified third-party code), small and randomly
initialised: one model function per class.

Written as a user writes them: each imports ``transformers`` (the real one for the plain run,
through ``wrapped_import`` otherwise), builds the model from a small config (3 conv layers, 2
transformer layers of width 32, eager attention, every dropout, layerdrop and time masking off) and
returns the last hidden state (the logits for ``Wav2Vec2ForCTC``). Random init is fine: ``pt2r
record`` resets the seeds before each run and stores the parameters in the trace.

Input: raw audio, (batch, samples) float32; ``example_inputs()`` is (1, 3200).
"""

import typing

import numpy as np

INPUT_SPEC = {"shape": (None,), "feature_dim_axis": None, "dtype": "float32"}

SMALL = dict(
    hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
    conv_dim=(16, 16, 16), conv_stride=(5, 2, 2), conv_kernel=(10, 3, 3),
    num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
    hidden_dropout=0.0, attention_dropout=0.0, activation_dropout=0.0, feat_proj_dropout=0.0,
    final_dropout=0.0, layerdrop=0.0, mask_time_prob=0.0, attn_implementation="eager")


def example_inputs(samples=3200, batch=1, seed=0):
    return np.random.RandomState(seed).randn(batch, samples).astype("float32")


def _transformers(wrapped_import):
    if typing.TYPE_CHECKING or not wrapped_import:
        import transformers
        return transformers
    return wrapped_import("transformers")


def wavlm(wrapped_import, inputs):
    """Gated relative position bias (log-bucketed positions from ``arange``), F.multi_head_attention_forward."""
    transformers = _transformers(wrapped_import)
    config = transformers.WavLMConfig(**SMALL, num_buckets=20, max_bucket_distance=50)
    return transformers.WavLMModel(config).eval()(inputs).last_hidden_state


def hubert(wrapped_import, inputs):
    transformers = _transformers(wrapped_import)
    return transformers.HubertModel(transformers.HubertConfig(**SMALL)).eval()(inputs).last_hidden_state


def data2vec_audio(wrapped_import, inputs):
    transformers = _transformers(wrapped_import)
    config = transformers.Data2VecAudioConfig(**{**SMALL, "num_conv_pos_embeddings": 5}, conv_pos_kernel_size=5)
    return transformers.Data2VecAudioModel(config).eval()(inputs).last_hidden_state


def _conformer(wrapped_import, inputs, position_embeddings_type):
    transformers = _transformers(wrapped_import)
    config = transformers.Wav2Vec2ConformerConfig(**SMALL, position_embeddings_type=position_embeddings_type,
                                                  conv_depthwise_kernel_size=7)
    return transformers.Wav2Vec2ConformerModel(config).eval()(inputs).last_hidden_state


def conformer_rotary(wrapped_import, inputs):
    return _conformer(wrapped_import, inputs, "rotary")


def conformer_relative(wrapped_import, inputs):
    """Relative positions from a sinusoid buffer cut around the length, then the pad-and-view shift."""
    return _conformer(wrapped_import, inputs, "relative")


def sew(wrapped_import, inputs):
    """Squeezed (pooled) transformer input, upsampled back: slices to the shorter of two derived lengths."""
    transformers = _transformers(wrapped_import)
    return transformers.SEWModel(transformers.SEWConfig(**SMALL, squeeze_factor=2)).eval()(inputs).last_hidden_state


def sew_d(wrapped_import, inputs):
    """DeBERTa-v2's disentangled attention: batch and heads merged (``view(-1, T, d)``), log-bucketed
    relative positions, position embeddings repeated by ``q.size(0) // heads``, scores gathered at them."""
    transformers = _transformers(wrapped_import)
    config = transformers.SEWDConfig(**SMALL, squeeze_factor=2, position_buckets=16, max_position_embeddings=64)
    return transformers.SEWDModel(config).eval()(inputs).last_hidden_state


def wav2vec2_for_ctc(wrapped_import, inputs):
    transformers = _transformers(wrapped_import)
    config = transformers.Wav2Vec2Config(**SMALL, vocab_size=20)
    return transformers.Wav2Vec2ForCTC(config).eval()(inputs).logits


def wavlm_xvector(wrapped_import, inputs):
    """A speaker embedding: the weighted layer sum, a TDNN (``F.conv1d`` with a linear layer's weight viewed as
    a filter), statistics pooling (mean and standard deviation over time)."""
    transformers = _transformers(wrapped_import)
    config = transformers.WavLMConfig(**SMALL, tdnn_dim=(16, 16), tdnn_kernel=(3, 1), tdnn_dilation=(1, 1),
                                      xvector_output_dim=8)
    return transformers.WavLMForXVector(config).eval()(inputs).embeddings


def moonshine_encoder(wrapped_import, inputs):
    """Moonshine's encoder on raw audio: strided convs with GroupNorm, then rotary attention with every
    feature rotated (the part passed through has no elements)."""
    transformers = _transformers(wrapped_import)
    config = transformers.MoonshineConfig(
        vocab_size=30, hidden_size=32, intermediate_size=64, encoder_num_hidden_layers=2, decoder_num_hidden_layers=1,
        encoder_num_attention_heads=4, decoder_num_attention_heads=4, encoder_num_key_value_heads=4,
        decoder_num_key_value_heads=4, max_position_embeddings=512, attn_implementation="eager")
    return transformers.MoonshineModel(config).eval().encoder(inputs).last_hidden_state
