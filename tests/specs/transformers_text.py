"""Hugging Face text models (unmodified third-party code), small and randomly initialised: language
models and encoders as users call them, on token ids.

Each imports ``transformers`` (the real one for the plain run, through ``wrapped_import`` otherwise),
builds the model from a small config (2 layers of width 32, 4 heads, eager attention, dropouts off)
and returns the logits or the last hidden state. The causal LMs run with their default key/value
cache (transformers' ``DynamicCache``, which starts as ``torch.tensor([])``).

Input: token ids, (batch, time) int64 of a vocabulary of ``VOCAB``; ``example_inputs()`` is (1, 12).
"""

import typing

import numpy as np

VOCAB = 50
INPUT_SPEC = {"shape": (None,), "sparse": True, "dim": VOCAB, "dtype": "int64"}
STATIC_INPUT_SPEC = {"shape": (12,), "sparse": True, "dim": VOCAB, "dtype": "int64"}
DROPOUTS_OFF = dict(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)


def example_inputs(time=12, batch=1, seed=0):
    return np.random.RandomState(seed).randint(3, VOCAB, size=(batch, time)).astype("int64")


def _transformers(wrapped_import):
    if typing.TYPE_CHECKING or not wrapped_import:
        import transformers
        return transformers
    return wrapped_import("transformers")


def gpt2(wrapped_import, inputs):
    """Learned positions, a fused query/key/value ``Conv1D``, the output layer tied to the embedding."""
    transformers = _transformers(wrapped_import)
    config = transformers.GPT2Config(vocab_size=VOCAB, n_positions=64, n_embd=32, n_layer=2, n_head=4,
                                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, attn_implementation="eager")
    return transformers.GPT2LMHeadModel(config).eval()(inputs).logits


def llama(wrapped_import, inputs):
    """Rotary positions, RMSNorm, grouped-query attention (2 key/value heads for 4 query heads), SwiGLU."""
    transformers = _transformers(wrapped_import)
    config = transformers.LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                      attn_implementation="eager")
    return transformers.LlamaForCausalLM(config).eval()(inputs).logits


def opt(wrapped_import, inputs):
    """Positions offset by 2 and counted from the attention mask (a cumulative sum)."""
    transformers = _transformers(wrapped_import)
    config = transformers.OPTConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, ffn_dim=64,
                                    num_attention_heads=4, max_position_embeddings=64, word_embed_proj_dim=32,
                                    dropout=0.0, attention_dropout=0.0, attn_implementation="eager")
    return transformers.OPTForCausalLM(config).eval()(inputs).logits


def bert(wrapped_import, inputs):
    """A bidirectional encoder: token type embeddings, learned positions, post-norm layers."""
    transformers = _transformers(wrapped_import)
    config = transformers.BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=64, max_position_embeddings=64, attn_implementation="eager",
                                     **DROPOUTS_OFF)
    return transformers.BertModel(config).eval()(inputs).last_hidden_state


def t5(wrapped_import, inputs):
    """The encoder-decoder with its LM head, trained on the ids as labels (the decoder fed them shifted
    right, the loss a cross-entropy over them): relative position buckets (a log-spaced bucketing of key
    minus query positions) shared by the layers, cross-attention with a zero position bias
    (``torch.zeros((1, heads, t, t_enc))``)."""
    transformers = _transformers(wrapped_import)
    config = transformers.T5Config(vocab_size=VOCAB, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                                   dropout_rate=0.0, relative_attention_num_buckets=8, decoder_start_token_id=0,
                                   pad_token_id=0, attn_implementation="eager")
    return transformers.T5ForConditionalGeneration(config).eval()(input_ids=inputs, labels=inputs).logits


def deberta_v2(wrapped_import, inputs):
    """Disentangled attention over log-bucketed relative positions, batch and heads merged (as SEW-D);
    transformers' padding check (``pad_token_id in input_ids[:, [-1, 0]]``)."""
    transformers = _transformers(wrapped_import)
    config = transformers.DebertaV2Config(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=2, num_attention_heads=4,
                                          intermediate_size=32, max_position_embeddings=64, relative_attention=True,
                                          position_buckets=8, pos_att_type=["p2c", "c2p"], **DROPOUTS_OFF)
    return transformers.DebertaV2Model(config).eval()(inputs).last_hidden_state


def xlnet(wrapped_import, inputs):
    """Transformer-XL relative positions (``arange(klen, -qlen, -1.0)`` through a sinusoid) with the
    relative shift, two-stream attention's content stream; an older style (``torch.FloatTensor`` parameters)."""
    transformers = _transformers(wrapped_import)
    config = transformers.XLNetConfig(vocab_size=VOCAB, d_model=16, n_layer=2, n_head=4, d_inner=32, dropout=0.0)
    return transformers.XLNetModel(config).eval()(inputs, use_mems=False).last_hidden_state


def mamba(wrapped_import, inputs):
    """Mamba's selective scan without its CUDA kernels: a Python loop over the time steps, so the input is
    described with a static time axis (``STATIC_INPUT_SPEC``); a causal depthwise conv, gates, RMSNorm."""
    transformers = _transformers(wrapped_import)
    config = transformers.MambaConfig(vocab_size=VOCAB, hidden_size=16, state_size=4, num_hidden_layers=2, expand=2,
                                      conv_kernel=4, use_cache=False)
    return transformers.MambaForCausalLM(config).eval()(inputs, use_cache=False).logits


def gpt_neo(wrapped_import, inputs):
    """Global and local (sliding-window) attention layers, each masked by a bool buffer of the maximal
    length cut to the length on both axes (``bias[:, :, k - q : k, :k]``)."""
    transformers = _transformers(wrapped_import)
    config = transformers.GPTNeoConfig(vocab_size=VOCAB, hidden_size=32, num_layers=2, num_heads=4,
                                       attention_types=[[["global", "local"], 1]], window_size=4,
                                       max_position_embeddings=64, bos_token_id=0, eos_token_id=0,
                                       embed_dropout=0.0, attention_dropout=0.0, resid_dropout=0.0)
    return transformers.GPTNeoForCausalLM(config).eval()(inputs).logits


def fnet(wrapped_import, inputs):
    """Token mixing by a two-dimensional FFT over time and features (``fftn(x, dim=(1, 2)).real``)."""
    transformers = _transformers(wrapped_import)
    config = transformers.FNetConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2, intermediate_size=64,
                                     max_position_embeddings=64, hidden_dropout_prob=0.0)
    return transformers.FNetModel(config).eval()(inputs).last_hidden_state


def rwkv(wrapped_import, inputs):
    """RWKV's time mixing without its CUDA kernel: a shift by ``ZeroPad2d((0, 0, 1, -1))`` and a Python
    loop over the time steps writing ``output[:, t]``, so (as Mamba) it is described with a static time
    axis (``STATIC_INPUT_SPEC``)."""
    transformers = _transformers(wrapped_import)
    config = transformers.RwkvConfig(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=2, attention_hidden_size=16,
                                     intermediate_size=32, context_length=64)
    return transformers.RwkvForCausalLM(config).eval()(inputs, use_cache=False).logits


def gemma2(wrapped_import, inputs):
    """Alternating sliding-window and global layers, logit soft-capping, grouped-query attention."""
    transformers = _transformers(wrapped_import)
    config = transformers.Gemma2Config(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=4, num_key_value_heads=2, head_dim=8, sliding_window=4,
                                       max_position_embeddings=64, attn_implementation="eager")
    return transformers.Gemma2ForCausalLM(config).eval()(inputs).logits


def bart(wrapped_import, inputs):
    """The encoder-decoder, its decoder fed the ids shifted right (``shift_tokens_right``), learned
    positions offset by 2."""
    transformers = _transformers(wrapped_import)
    config = transformers.BartConfig(vocab_size=VOCAB, d_model=32, encoder_layers=2, decoder_layers=2,
                                     encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=64,
                                     decoder_ffn_dim=64, max_position_embeddings=64, dropout=0.0, attention_dropout=0.0,
                                     attn_implementation="eager")
    return transformers.BartModel(config).eval()(inputs).last_hidden_state


def ctrl(wrapped_import, inputs):
    """Sinusoid positions, an output layer tied to the embedding with a bias of its own (which
    transformers re-pads through ``bias.data = ...`` at init)."""
    transformers = _transformers(wrapped_import)
    config = transformers.CTRLConfig(vocab_size=VOCAB, n_embd=32, n_layer=2, n_head=4, dff=64, n_positions=64,
                                     resid_pdrop=0.0, embd_pdrop=0.0)
    return transformers.CTRLLMHeadModel(config).eval()(inputs).logits
