"""Op test models for norms, regularizers and embedding.

Each function is a tiny model: ``f(wrapped_import, x)``. The test says the input's layout:
(batch, 5 channels, time) for GroupNorm / BatchNorm1d / Dropout, (batch, time, 5) or time-major
for LayerNorm, int64 indices below 7 for Embedding. Affine parameters and running statistics get
random values (``nn.init``), so they matter.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _nn(wrapped_import):
    return _torch(wrapped_import).nn


def _randomized(nn, module, *names):
    for name in names:
        nn.init.uniform_(getattr(module, name), 0.5, 1.5)
    return module


# -- LayerNorm: input (batch, time, 5) unless said otherwise


def layer_norm(w, x):
    nn = _nn(w)
    return _randomized(nn, nn.LayerNorm(5), "weight", "bias")(x)


def layer_norm_no_affine(w, x):
    return _nn(w).LayerNorm(5, eps=1e-3, elementwise_affine=False)(x)


def layer_norm_no_bias(w, x):
    nn = _nn(w)
    return _randomized(nn, nn.LayerNorm([5], bias=False), "weight")(x)


def layer_norm_last_two(w, x):
    """Input (batch, time, 3, 4)."""
    nn = _nn(w)
    return _randomized(nn, nn.LayerNorm((3, 4)), "weight", "bias")(x)


def layer_norm_functional(w, x):
    torch = _torch(w)
    weight, bias = torch.nn.Parameter(torch.randn(5)), torch.nn.Parameter(torch.randn(5))
    return torch.nn.functional.layer_norm(x, (5,), weight, bias, eps=1e-4)


def layer_norm_torch(w, x):
    torch = _torch(w)
    return torch.layer_norm(x, [5], torch.nn.Parameter(torch.randn(5)))


# -- GroupNorm: input (batch, 5 or 6 channels, time)


def group_norm(w, x):
    """Input (batch, 6, time)."""
    nn = _nn(w)
    return _randomized(nn, nn.GroupNorm(3, 6), "weight", "bias")(x)


def group_norm_one_group(w, x):
    nn = _nn(w)
    return _randomized(nn, nn.GroupNorm(1, 5, eps=1e-3), "weight", "bias")(x)


def group_norm_per_channel_no_affine(w, x):
    return _nn(w).GroupNorm(5, 5, affine=False)(x)


def group_norm_functional(w, x):
    """Input (batch, 6, time)."""
    torch = _torch(w)
    return torch.nn.functional.group_norm(x, 2, torch.nn.Parameter(torch.randn(6)))


def group_norm_4d(w, x):
    """Input (batch, 6, time, 4)."""
    nn = _nn(w)
    return _randomized(nn, nn.GroupNorm(2, 6), "weight", "bias")(x)


# -- BatchNorm (eval): input (batch, 5, time) unless said otherwise


def _batch_norm(nn, module):
    return _randomized(nn, module, *[n for n in ("weight", "bias", "running_mean", "running_var")
                                     if getattr(module, n, None) is not None]).eval()


def batch_norm_1d(w, x):
    nn = _nn(w)
    return _batch_norm(nn, nn.BatchNorm1d(5))(x)


def batch_norm_1d_no_affine(w, x):
    nn = _nn(w)
    return _batch_norm(nn, nn.BatchNorm1d(5, eps=1e-3, affine=False))(x)


def batch_norm_1d_2d_input(w, x):
    """Input (batch, 5)."""
    nn = _nn(w)
    return _batch_norm(nn, nn.BatchNorm1d(5))(x)


def batch_norm_2d(w, x):
    """Input (batch, 3, time, 4)."""
    nn = _nn(w)
    return _batch_norm(nn, nn.BatchNorm2d(3))(x)


def batch_norm_functional(w, x):
    torch = _torch(w)
    mean, var = torch.randn(5), torch.rand(5) + 0.5
    weight, bias = torch.nn.Parameter(torch.randn(5)), torch.nn.Parameter(torch.randn(5))
    return torch.nn.functional.batch_norm(x, mean, var, weight, bias, training=False, eps=1e-3)


def batch_norm_torch(w, x):
    torch = _torch(w)
    mean, var = torch.randn(5), torch.rand(5) + 0.5
    return torch.batch_norm(x, None, None, mean, var, False, 0.1, 1e-5, False)


def batch_norm_train(w, x):
    return _nn(w).BatchNorm1d(5)(x)


def batch_norm_functional_train(w, x):
    torch = _torch(w)
    return torch.nn.functional.batch_norm(x, torch.randn(5), torch.rand(5) + 0.5, training=True)


# -- Dropout: input (batch, 5, time)


def dropout_eval(w, x):
    return _nn(w).Dropout(0.3).eval()(x) * 2.0


def dropout_train(w, x):
    """The module's output is random: replay takes the recorded one."""
    return _nn(w).Dropout(0.5)(x) + x


def dropout1d_train(w, x):
    return _nn(w).Dropout1d(0.4)(x) * 3.0


def dropout2d_eval(w, x):
    return _nn(w).Dropout2d(0.4).eval()(x) * 3.0


def alpha_dropout_eval(w, x):
    return _nn(w).AlphaDropout(0.2).eval()(x) * 3.0


def alpha_dropout_train(w, x):
    return _nn(w).AlphaDropout(0.2)(x) * 3.0


def dropout_train_inplace(w, x):
    y = x * 1.0
    _nn(w).Dropout(0.5, inplace=True)(y)
    return y + x


def dropout_functional_train(w, x):
    return _nn(w).functional.dropout(x, 0.5) + x


def dropout_functional_eval(w, x):
    return _nn(w).functional.dropout(x * 2.0, 0.5, training=False) + x


# -- Embedding: int64 indices below 7, (batch, time) or (time, batch)


def embedding(w, x):
    nn = _nn(w)
    return nn.Embedding(7, 4)(x)


def embedding_padding_idx(w, x):
    nn = _nn(w)
    return nn.Embedding(7, 3, padding_idx=0)(x)


def embedding_functional(w, x):
    torch = _torch(w)
    return torch.nn.functional.embedding(x, torch.nn.Parameter(torch.randn(7, 3)))


def embedding_torch(w, x):
    torch = _torch(w)
    return torch.embedding(torch.nn.Parameter(torch.randn(7, 3)), x)


def embedding_from_pretrained(w, x):
    torch = _torch(w)
    return torch.nn.Embedding.from_pretrained(torch.randn(7, 2))(x)


def embedding_layer_norm(w, x):
    nn = _nn(w)
    return _randomized(nn, nn.LayerNorm(4), "weight")(nn.Embedding(7, 4)(x))


def embedding_max_norm(w, x):
    return _nn(w).Embedding(7, 4, max_norm=1.0)(x)
