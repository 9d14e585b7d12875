"""Op test models for transformer encoders: nn.TransformerEncoderLayer, nn.TransformerEncoder and
nn.Transformer.generate_square_subsequent_mask.

Each function is a tiny model ``f(wrapped_import, x)``; x is (batch, time, 5) unless the name says
``tm_`` (time-major: (time, batch, 5)). Time is dynamic; the tests also run with sequences of different
lengths, where torch attends to the padding frames (unless a mask says otherwise), and so must the net.
The input is first projected to 8 features (2 heads of 4). Modules are in eval mode, as torch's eval
path is what is converted.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _features(w, x):
    return _torch(w).nn.Linear(5, 8)(x)


def _layer(w, **kwargs):
    kwargs = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "batch_first": True, **kwargs}
    return _torch(w).nn.TransformerEncoderLayer(**kwargs).eval()


def _padding(x, batch_first=True):
    """A bool key padding mask from the data (True: ignored), never all of a row; not left-aligned."""
    padding = x[..., 0] > 1.0
    return padding if batch_first else padding.transpose(0, 1)


# -- TransformerEncoderLayer ---------------------------------------------------------------------

def layer_post_norm_relu(w, x):
    return _layer(w)(_features(w, x))


def layer_pre_norm_gelu(w, x):
    return _layer(w, activation="gelu", norm_first=True)(_features(w, x))


def layer_functional_gelu_no_bias(w, x):
    """activation given as F.gelu, and bias=False (Linear, LayerNorm and attention without biases)."""
    return _layer(w, activation=_torch(w).nn.functional.gelu, bias=False, layer_norm_eps=1e-3)(_features(w, x))


def tm_layer_post_norm(w, x):
    return _layer(w, batch_first=False)(_features(w, x))


def tm_layer_pre_norm_relu_causal(w, x):
    torch = _torch(w)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[0])
    return _layer(w, batch_first=False, norm_first=True, activation=torch.nn.functional.relu)(
        _features(w, x), src_mask=mask)


def layer_causal_mask(w, x):
    """The causal mask of the input's (dynamic) length, with torch's is_causal hint and without."""
    torch = _torch(w)
    layer = _layer(w)
    h = _features(w, x)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[1])
    return layer(h, src_mask=mask, is_causal=True) + layer(h, src_mask=mask)


def layer_key_padding_mask(w, x):
    return _layer(w, norm_first=True)(_features(w, x), src_key_padding_mask=_padding(x))


def tm_layer_masks(w, x):
    """Time-major, a causal mask and a key padding mask together."""
    torch = _torch(w)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[0])
    return _layer(w, batch_first=False)(_features(w, x), src_mask=mask,
                                        src_key_padding_mask=_padding(x, batch_first=False))


# -- TransformerEncoder --------------------------------------------------------------------------

def encoder_two_layers_norm(w, x):
    torch = _torch(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 2, norm=torch.nn.LayerNorm(8)).eval()
    return encoder(_features(w, x))


def tm_encoder_pre_norm_causal(w, x):
    torch = _torch(w)
    encoder = torch.nn.TransformerEncoder(_layer(w, batch_first=False, norm_first=True, activation="gelu"), 2,
                                          norm=torch.nn.LayerNorm(8)).eval()
    mask = torch.nn.Transformer.generate_square_subsequent_mask(x.shape[0])
    return encoder(_features(w, x), mask=mask)


def encoder_key_padding_mask(w, x):
    """enable_nested_tensor (the default) with a padding mask: torch's nested path zeroes padded positions
    (before the final norm) whenever every row's mask is left-aligned. This mask is not; the net checks it
    on each batch it gets."""
    torch = _torch(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 2, norm=torch.nn.LayerNorm(8)).eval()
    return encoder(_features(w, x), src_key_padding_mask=_padding(x))


def encoder_padding_at_the_end(w, x):
    """Every row's padding at its end: torch's nested-tensor path, which zeroes the padded positions; the
    recorder runs torch leaf modules without its ops mode, so they take that path while recorded too."""
    torch = _torch(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 2, norm=torch.nn.LayerNorm(8)).eval()
    lengths = (x[:, :, 0] > -100).sum(1) - 2  # the time length minus 2, for every row (from the data)
    padding = torch.arange(x.shape[1])[None, :] >= lengths[:, None]
    return encoder(_features(w, x), src_key_padding_mask=padding)


def encoder_key_padding_mask_no_nested(w, x):
    torch = _torch(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 2, enable_nested_tensor=False).eval()
    return encoder(_features(w, x), src_key_padding_mask=_padding(x))


# -- refused -------------------------------------------------------------------------------------

def layer_other_activation(w, x):
    return _layer(w, activation=_torch(w).tanh)(_features(w, x))


def layer_training_dropout(w, x):
    return _layer(w).train()(_features(w, x))


def encoder_nested_no_mask_check(w, x):
    """A mask that masks nothing: the recording passes, as torch's nested path (taken without any check
    when mask_check=False) gives the same as its other one here."""
    torch = _torch(w)
    encoder = torch.nn.TransformerEncoder(_layer(w), 1, mask_check=False).eval()
    return encoder(_features(w, x), src_key_padding_mask=x[..., 0] > 100.0)


def full_transformer(w, x):
    """Refused when constructed (model code, so the replay reports a ModelError)."""
    h = _features(w, x)
    return _torch(w).nn.Transformer(8, 2, 1, 1, 16, batch_first=True).eval()(h, h)
