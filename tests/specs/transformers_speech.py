"""Hugging Face speech models on features (unmodified third-party code), small and randomly
initialised: HiFi-GAN vocoders and speech encoders (a Conformer among them) as users call them.

Each imports ``transformers`` (the real one for the plain run, through ``wrapped_import`` otherwise)
and builds the model from a small config. Input: an 8-bin mel spectrogram, (batch, time, 8) float32;
``example_inputs()`` is (1, 16). Whisper's encoder takes a fixed number of frames (16 here; 3000 in the
real model), so it is described with a static time axis (``WHISPER_INPUT_SPEC``).
"""

import typing

import numpy as np

MELS = 8
INPUT_SPEC = {"shape": (None, MELS), "dtype": "float32"}
WHISPER_INPUT_SPEC = {"shape": (16, MELS), "dtype": "float32"}
HIFIGAN = dict(model_in_dim=MELS, upsample_initial_channel=16, upsample_rates=[2, 2], upsample_kernel_sizes=[4, 4],
               resblock_kernel_sizes=[3, 5], resblock_dilation_sizes=[[1, 3], [1, 3]], normalize_before=False)


def example_inputs(time=16, batch=1, seed=0):
    return np.random.RandomState(seed).randn(batch, time, MELS).astype("float32")


def _transformers(wrapped_import):
    if typing.TYPE_CHECKING or not wrapped_import:
        import transformers
        return transformers
    return wrapped_import("transformers")


def speecht5_hifigan(wrapped_import, inputs):
    """SpeechT5's HiFi-GAN vocoder: transposed-conv upsampling, multi-receptive-field residual blocks."""
    transformers = _transformers(wrapped_import)
    return transformers.SpeechT5HifiGan(transformers.SpeechT5HifiGanConfig(**HIFIGAN)).eval()(inputs)


def fastspeech2_hifigan(wrapped_import, inputs):
    transformers = _transformers(wrapped_import)
    config = transformers.FastSpeech2ConformerHifiGanConfig(**HIFIGAN)
    return transformers.FastSpeech2ConformerHifiGan(config).eval()(inputs)


def speech2text_encoder(wrapped_import, inputs):
    """Strided conv subsampling with GLU, sinusoidal positions from a length-derived mask, transformer layers."""
    transformers = _transformers(wrapped_import)
    config = transformers.Speech2TextConfig(
        input_feat_per_channel=MELS, input_channels=1, d_model=16, encoder_layers=2, encoder_attention_heads=4,
        encoder_ffn_dim=32, conv_channels=16, conv_kernel_sizes=[5, 5], num_conv_layers=2, max_source_positions=64,
        dropout=0.0, attn_implementation="eager")
    return transformers.Speech2TextModel(config).get_encoder().eval()(inputs).last_hidden_state


def whisper_encoder(wrapped_import, inputs):
    """Two convs, learned positions for every one of its fixed number of frames, pre-norm layers."""
    transformers = _transformers(wrapped_import)
    config = transformers.WhisperConfig(
        num_mel_bins=MELS, d_model=16, encoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
        encoder_ffn_dim=32, max_source_positions=8, dropout=0.0, attn_implementation="eager")
    return transformers.WhisperModel(config).get_encoder().eval()(inputs.transpose(1, 2)).last_hidden_state


def wav2vec2_bert(wrapped_import, inputs):
    """w2v-BERT 2.0's Conformer: a feature projection, relative-key position embeddings clamped to a window
    (a distance matrix from the length), the depthwise conv module with GLU, macaron feed-forwards."""
    transformers = _transformers(wrapped_import)
    config = transformers.Wav2Vec2BertConfig(
        feature_projection_input_dim=MELS, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
        intermediate_size=32, conv_depthwise_kernel_size=5, position_embeddings_type="relative_key",
        left_max_position_embeddings=8, right_max_position_embeddings=4, hidden_dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, feat_proj_dropout=0.0, layerdrop=0.0, mask_time_prob=0.0, attn_implementation="eager")
    return transformers.Wav2Vec2BertModel(config).eval()(inputs).last_hidden_state


def parakeet_encoder(wrapped_import, inputs):
    """NVIDIA's FastConformer (Parakeet): 2-d conv subsampling by 4, relative positions from
    ``arange(t - 1, -t, -1)`` through a sinusoid, the pad-and-view relative shift, Conformer conv modules."""
    transformers = _transformers(wrapped_import)
    config = transformers.ParakeetEncoderConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, num_mel_bins=MELS,
        subsampling_conv_channels=8, subsampling_factor=4, conv_kernel_size=5, dropout=0.0, dropout_positions=0.0,
        layerdrop=0.0, activation_dropout=0.0, attention_dropout=0.0, attn_implementation="eager")
    return transformers.ParakeetEncoder(config).eval()(inputs).last_hidden_state


def seamless_m4t_speech_encoder(wrapped_import, inputs):
    """SeamlessM4T's speech encoder: a Conformer (relative-key positions) and a strided-conv adaptor."""
    transformers = _transformers(wrapped_import)
    config = transformers.SeamlessM4TConfig(
        hidden_size=32, speech_encoder_layers=2, speech_encoder_attention_heads=4, speech_encoder_intermediate_size=64,
        feature_projection_input_dim=MELS, adaptor_kernel_size=3, adaptor_stride=2, num_adapter_layers=1,
        speech_encoder_dropout=0.0, dropout=0.0, attention_dropout=0.0, activation_dropout=0.0,
        speech_encoder_layerdrop=0.0, encoder_layers=1, decoder_layers=1, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=64, decoder_ffn_dim=64, vocab_size=50, t2u_vocab_size=50,
        unit_hifi_gan_vocab_size=50, attn_implementation="eager")
    return transformers.SeamlessM4TModel(config).speech_encoder.eval()(inputs).last_hidden_state
