"""Op test models for transformers: nn.TransformerEncoderLayer, nn.TransformerEncoder,
nn.TransformerDecoderLayer, nn.TransformerDecoder, nn.Transformer and its generate_square_subsequent_mask.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, time, 5) unless the name says
``tm_`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run with sequences of different
lengths, where torch attends to the padding frames (unless a mask says otherwise), and so must the net.
The input is first projected to 8 features (2 heads of 4). Modules are in eval mode, as torch's eval
path is what is converted.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])


def _features(w, x):
    return torch_of(w).nn.Linear(5, 8)(x)


def _layer(w, **kwargs):
    kwargs = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "batch_first": True, **kwargs}
    return torch_of(w).nn.TransformerEncoderLayer(**kwargs).eval()


def _padding(x, batch_first=True):
    """A bool key padding mask from the data (True: ignored), never all of a row; not left-aligned."""
    padding = x[..., 0] > 1.0
    return padding if batch_first else padding.transpose(0, 1)


# -- TransformerEncoderLayer ---------------------------------------------------------------------

@case(["torch.nn.TransformerEncoderLayer"], on=(BM, BM.lens))
def layer_post_norm_relu(w, x):
    return _layer(w)(_features(w, x))


@case(["torch.nn.TransformerEncoderLayer"], on=(BM.lens,))
def layer_pre_norm_gelu(w, x):
    return _layer(w, activation="gelu", norm_first=True)(_features(w, x))


@case(["torch.nn.TransformerEncoderLayer"], on=(BM.lens,))
def layer_functional_gelu_no_bias(w, x):
    """activation given as F.gelu, and bias=False (Linear, LayerNorm and attention without biases)."""
    return _layer(w, activation=torch_of(w).nn.functional.gelu, bias=False, layer_norm_eps=1e-3)(_features(w, x))


@case(["torch.nn.TransformerEncoderLayer"], on=(BM.lens,))
def layer_other_activation(w, x):
    """Any callable activation (torch's fast path takes only relu and gelu; its slow path calls it)."""
    return _layer(w, activation=torch_of(w).tanh)(_features(w, x))


@case(["torch.nn.TransformerEncoderLayer"], on=(TM.lens,))
def tm_layer_post_norm(w, x):
    return _layer(w, batch_first=False)(_features(w, x))


@case(["torch.nn.TransformerEncoderLayer"], on=(TM.lens,))
def tm_layer_pre_norm_relu_causal(w, x):
    torch = torch_of(w)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[0])
    return _layer(w, batch_first=False, norm_first=True, activation=torch.nn.functional.relu)(
        _features(w, x), src_mask=mask)


@case(["torch.nn.TransformerEncoderLayer"], on=(BM.lens,), other_lengths=[[11, 6, 9]], no_grad=True)
def layer_causal_mask(w, x):
    """The causal mask of the input's (dynamic) length, with torch's is_causal hint and without."""
    torch = torch_of(w)
    layer = _layer(w)
    h = _features(w, x)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[1])
    return layer(h, src_mask=mask, is_causal=True) + layer(h, src_mask=mask)


@case(["torch.nn.TransformerEncoderLayer"], on=(BM.lens,), other_lengths=[[11, 6, 9]], no_grad=True)
def layer_key_padding_mask(w, x):
    return _layer(w, norm_first=True)(_features(w, x), src_key_padding_mask=_padding(x))


@case(["torch.nn.TransformerEncoderLayer"], on=(TM.lens,))
def tm_layer_masks(w, x):
    """Time-major, a causal mask and a key padding mask together."""
    torch = torch_of(w)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[0])
    return _layer(w, batch_first=False)(_features(w, x), src_mask=mask,
                                        src_key_padding_mask=_padding(x, batch_first=False))


# -- TransformerEncoder --------------------------------------------------------------------------

@case(["torch.nn.TransformerEncoder"], on=(BM.lens,), other_lengths=[[11, 6, 9]], no_grad=True)
def encoder_two_layers_norm(w, x):
    torch = torch_of(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 2, norm=torch.nn.LayerNorm(8)).eval()
    return encoder(_features(w, x))


@case(["torch.nn.TransformerEncoder"], on=(TM.lens,))
def tm_encoder_pre_norm_causal(w, x):
    torch = torch_of(w)
    encoder = torch.nn.TransformerEncoder(_layer(w, batch_first=False, norm_first=True, activation="gelu"), 2,
                                          norm=torch.nn.LayerNorm(8)).eval()
    mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[0])
    return encoder(_features(w, x), mask=mask)


@case(["torch.nn.TransformerEncoder"], on=(BM.lens,), other_lengths=[[11, 6, 9]], no_grad=True)
def encoder_key_padding_mask(w, x):
    """enable_nested_tensor (the default) with a padding mask: torch's nested path zeroes padded positions
    (before the final norm) whenever every row's mask is left-aligned. This mask is not; the net checks it
    on each batch it gets."""
    torch = torch_of(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 2, norm=torch.nn.LayerNorm(8)).eval()
    return encoder(_features(w, x), src_key_padding_mask=_padding(x))


@case(["torch.nn.TransformerEncoder"], on=(BM.lens,))
def encoder_padding_at_the_end(w, x):
    """Every row's padding at its end: torch's nested-tensor path, which zeroes the padded positions; the
    recorder runs torch leaf modules without its ops mode, so they take that path while recorded too."""
    torch = torch_of(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 2, norm=torch.nn.LayerNorm(8)).eval()
    lengths = (x[:, :, 0] > -100).sum(1) - 2  # the time length minus 2, for every row (from the data)
    padding = torch.arange(x.shape[1])[None, :] >= lengths[:, None]
    return encoder(_features(w, x), src_key_padding_mask=padding)


@case(["torch.nn.TransformerEncoder"], on=(BM.lens,))
def encoder_key_padding_mask_no_nested(w, x):
    torch = torch_of(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 2, enable_nested_tensor=False).eval()
    return encoder(_features(w, x), src_key_padding_mask=_padding(x))


# -- TransformerDecoderLayer, TransformerDecoder, Transformer ---------------------------------------

def _decoder_layer(w, **kwargs):
    kwargs = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "batch_first": True, **kwargs}
    return torch_of(w).nn.TransformerDecoderLayer(**kwargs).eval()


def _memory(w, x, time_axis=1):
    """The decoder's memory: other features of the input, 2 frames shorter (a time dim of its own)."""
    h = torch_of(w).nn.Linear(5, 8)(x)
    return h[:, 2:] if time_axis == 1 else h[2:]


def _causal(w, x, time_axis=1):
    return torch_of(w).nn.Transformer.generate_square_subsequent_mask(x.shape[time_axis])


@case(["torch.nn.TransformerDecoderLayer"], on=(BM.lens,))
def decoder_layer_post_norm_causal(w, x):
    """The default activation (F.relu), a causal tgt_mask with the tgt_is_causal hint."""
    return _decoder_layer(w)(_features(w, x), _memory(w, x), tgt_mask=_causal(w, x), tgt_is_causal=True)


@case(["torch.nn.TransformerDecoderLayer"], on=(BM.lens,))
def decoder_layer_pre_norm_gelu(w, x):
    return _decoder_layer(w, norm_first=True, activation="gelu")(_features(w, x), _memory(w, x),
                                                                 tgt_mask=_causal(w, x))


@case(["torch.nn.TransformerDecoderLayer"], on=(BM.lens,))
def decoder_layer_callable_activation(w, x):
    """Any callable activation (here the model's own), and bias=False."""
    torch = torch_of(w)
    return _decoder_layer(w, activation=lambda h: torch.tanh(h) * 2.0, bias=False)(_features(w, x), _memory(w, x))


@case(["torch.nn.TransformerDecoderLayer"], on=(BM.lens,), other_lengths=[[11, 6, 9]], no_grad=True)
def decoder_layer_masks(w, x):
    """Causal tgt_mask, a (T, S) memory_mask (bool, True: masked), key padding masks on both sides."""
    torch = torch_of(w)
    tgt, memory = _features(w, x), _features(w, x)
    memory_mask = torch.ones(x.shape[1], x.shape[1], dtype=torch.bool).triu(3)
    return _decoder_layer(w)(tgt, memory, tgt_mask=_causal(w, x), memory_mask=memory_mask,
                             tgt_key_padding_mask=_padding(x), memory_key_padding_mask=_padding(x))


@case(["torch.nn.TransformerDecoder"], on=(BM.lens,), other_lengths=[[11, 6, 9]], no_grad=True)
def decoder_two_layers_norm(w, x):
    """tgt_is_causal left to torch's detection (None) on a causal mask."""
    torch = torch_of(w)
    decoder = torch.nn.TransformerDecoder(_decoder_layer(w), 2, norm=torch.nn.LayerNorm(8)).eval()
    return decoder(_features(w, x), _memory(w, x), tgt_mask=_causal(w, x))


@case(["torch.nn.TransformerDecoder"], on=(BM.lens,))
def decoder_no_norm_memory_padding(w, x):
    torch = torch_of(w)
    decoder = torch.nn.TransformerDecoder(_decoder_layer(w, norm_first=True), 2).eval()
    h = _features(w, x)
    return decoder(h, h, tgt_mask=_causal(w, x), tgt_is_causal=True, memory_key_padding_mask=_padding(x))


@case(["torch.nn.Transformer"], on=(BM.lens,), other_lengths=[[11, 6, 9]], no_grad=True)
def transformer(w, x):
    torch = torch_of(w)
    model = torch.nn.Transformer(8, 2, 2, 2, 16, batch_first=True).eval()
    return model(_memory(w, x), _features(w, x), tgt_mask=_causal(w, x), tgt_is_causal=True)


@case(["torch.nn.Transformer"], on=(BM.lens,))
def transformer_padding_masks(w, x):
    """Key padding masks for src (the encoder's nested-tensor path where left-aligned), tgt and memory; gelu."""
    torch = torch_of(w)
    model = torch.nn.Transformer(8, 2, 1, 2, 16, activation="gelu", batch_first=True).eval()
    h = _features(w, x)
    return model(h, h, tgt_mask=_causal(w, x), src_key_padding_mask=_padding(x), tgt_key_padding_mask=_padding(x),
                 memory_key_padding_mask=_padding(x))


@case(["torch.nn.Transformer"], on=(BM.lens,))
def transformer_custom_encoder(w, x):
    """A custom encoder (here a TransformerEncoder without a final norm), the decoder torch's."""
    torch = torch_of(w)
    encoder = torch.nn.TransformerEncoder(_layer(w, norm_first=True), 1)
    model = torch.nn.Transformer(8, 2, num_decoder_layers=1, dim_feedforward=16, custom_encoder=encoder,
                                 batch_first=True).eval()
    h = _features(w, x)
    return model(h, h, tgt_mask=_causal(w, x), tgt_is_causal=True)


@case(["torch.nn.TransformerDecoderLayer"], on=(TM.lens,))
def tm_decoder_layer_masks(w, x):
    """Time-major: causal tgt_mask, a float memory_mask, key padding masks."""
    h, memory = _features(w, x), _memory(w, x, time_axis=0)
    memory_mask = _causal(w, x, 0)[:, 2:]
    padding = _padding(x, batch_first=False)
    return _decoder_layer(w, batch_first=False)(h, memory, tgt_mask=_causal(w, x, 0), memory_mask=memory_mask,
                                                tgt_key_padding_mask=padding,
                                                memory_key_padding_mask=padding[:, 2:])


@case(["torch.nn.TransformerDecoder"], on=(TM.lens,))
def tm_decoder_pre_norm(w, x):
    torch = torch_of(w)
    decoder = torch.nn.TransformerDecoder(_decoder_layer(w, batch_first=False, norm_first=True), 2,
                                          norm=torch.nn.LayerNorm(8)).eval()
    return decoder(_features(w, x), _memory(w, x, time_axis=0), tgt_mask=_causal(w, x, 0), tgt_is_causal=True)


@case(["torch.nn.Transformer"], on=(TM.lens,))
def tm_transformer(w, x):
    torch = torch_of(w)
    model = torch.nn.Transformer(8, 2, 1, 1, 16, norm_first=True).eval()
    h = _features(w, x)
    return model(h, h, src_mask=_causal(w, x, 0), tgt_mask=_causal(w, x, 0))


# -- refused -------------------------------------------------------------------------------------

@refused("dropout=0.1 in training mode .random. is not supported", on=BM)
def layer_training_dropout(w, x):
    return _layer(w).train()(_features(w, x))


@refused("mask_check=False .* not supported", on=BM)
def encoder_nested_no_mask_check(w, x):
    """A mask that masks nothing: the recording passes, as torch's nested path (taken without any check
    when mask_check=False) gives the same as its other one here."""
    torch = torch_of(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 1, mask_check=False).eval()
    return encoder(_features(w, x), src_key_padding_mask=x[..., 0] > 100.0)


@refused("TransformerDecoderLayer with dropout=0.1 in training mode .random. is not supported", on=BM)
def decoder_layer_training_dropout(w, x):
    h = _features(w, x)
    return _decoder_layer(w).train()(h, h)
