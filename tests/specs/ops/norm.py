"""Op test models for norms, regularizers and embedding.

Each function is a tiny model: ``f(wrapped_import, x)``. The test says the input's layout:
(batch, 5 channels, time) for GroupNorm / BatchNorm1d / Dropout, (batch, time, 5) or time-major
for LayerNorm, int64 indices below 7 for Embedding. Affine parameters and running statistics get
random values (``nn.init``), so they matter.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

VOCAB = 7


def _channels_first(channels, *extra):
    """(batch, channels, time, *extra): dynamic time."""
    return {"shape": [channels, None, *extra], "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
            "dtype": "float32"}


def _indices(time_major=False):
    """int64 class indices below VOCAB (the input is sparse)."""
    return {"shape": [None], "batch_dim_axis": 1 if time_major else 0, "time_dim_axis": 0 if time_major else 1,
            "feature_dim_axis": None, "sparse": True, "dim": VOCAB, "dtype": "int64"}


#: (batch, 5 channels, time): with pt2r's default description, and described (padding frames count in
#: the statistics, as in torch)
DEFAULT = Inputs("default", (2, 5, 11))
CHANNELS_FIRST = Inputs("channels_first", (2, 5, 11), _channels_first(5), lengths=[11, 6])
DEFAULT_6 = Inputs("default", (2, 6, 11))
CHANNELS_FIRST_6 = Inputs("channels_first", (3, 6, 11), _channels_first(6), lengths=[11, 4, 8])
#: (batch, time, 5) and (time, batch, 5)
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 3])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 3])
TM_7_4 = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])
INDICES = Inputs("batch_major", (2, 9), _indices(), lengths=[9, 5], vocab=VOCAB)
INDICES_TM = Inputs("time_major", (9, 2), _indices(time_major=True), lengths=[9, 5], vocab=VOCAB)
#: (batch, time, 3, 4): normalized over the last two axes
TIME_3_4 = Inputs("time_3_4", (2, 6, 3, 4), {"shape": [None, 3, 4], "batch_dim_axis": 0, "time_dim_axis": 1,
                                             "feature_dim_axis": 3, "dtype": "float32"})
#: (batch, channels, time, 4)
CHANNELS_FIRST_4D = Inputs("channels_first_4d", (2, 3, 7, 4), _channels_first(3, 4), lengths=[7, 4])
CHANNELS_FIRST_4D_6 = Inputs("channels_first_4d", (2, 6, 7, 4), _channels_first(6, 4))
#: (batch, 5): no time axis
NO_TIME = Inputs("no_time", (4, 5))


def _nn(wrapped_import):
    return torch_of(wrapped_import).nn


def _randomized(nn, module, *names):
    for name in names:
        nn.init.uniform_(getattr(module, name), 0.5, 1.5)
    return module


# -- LayerNorm: input (batch, time, 5) unless said otherwise


@case(["torch.nn.LayerNorm"], on=(BM, TM, BM.lens, TM.lens))
def layer_norm(w, x):
    nn = _nn(w)
    return _randomized(nn, nn.LayerNorm(5), "weight", "bias")(x)


@case(["torch.nn.LayerNorm"], on=(BM, TM))
def layer_norm_no_affine(w, x):
    return _nn(w).LayerNorm(5, eps=1e-3, elementwise_affine=False)(x)


@case(["torch.nn.LayerNorm"], on=(BM, TM))
def layer_norm_no_bias(w, x):
    nn = _nn(w)
    return _randomized(nn, nn.LayerNorm([5], bias=False), "weight")(x)


@case(["torch.nn.LayerNorm"], on=(TIME_3_4,))
def layer_norm_last_two(w, x):
    """Input (batch, time, 3, 4)."""
    nn = _nn(w)
    return _randomized(nn, nn.LayerNorm((3, 4)), "weight", "bias")(x)


@case(["torch.nn.functional.layer_norm"], on=(BM, TM))
def layer_norm_functional(w, x):
    torch = torch_of(w)
    weight, bias = torch.nn.Parameter(torch.randn(5)), torch.nn.Parameter(torch.randn(5))
    return torch.nn.functional.layer_norm(x, (5,), weight, bias, eps=1e-4)


@case(["torch.layer_norm"], on=(BM, TM))
def layer_norm_torch(w, x):
    torch = torch_of(w)
    return torch.layer_norm(x, [5], torch.nn.Parameter(torch.randn(5)))


# -- GroupNorm: input (batch, 5 or 6 channels, time)


@case(["torch.nn.GroupNorm"], on=(DEFAULT_6, CHANNELS_FIRST_6.lens))
def group_norm(w, x):
    """Input (batch, 6, time)."""
    nn = _nn(w)
    return _randomized(nn, nn.GroupNorm(3, 6), "weight", "bias")(x)


@case(["torch.nn.GroupNorm"], on=(DEFAULT, CHANNELS_FIRST.lens))
def group_norm_one_group(w, x):
    nn = _nn(w)
    return _randomized(nn, nn.GroupNorm(1, 5, eps=1e-3), "weight", "bias")(x)


@case(["torch.nn.GroupNorm"], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[9, 4, 7]])
def group_norm_per_channel_no_affine(w, x):
    return _nn(w).GroupNorm(5, 5, affine=False)(x)


@case(["torch.nn.functional.group_norm"], on=(DEFAULT_6,))
def group_norm_functional(w, x):
    """Input (batch, 6, time)."""
    torch = torch_of(w)
    return torch.nn.functional.group_norm(x, 2, torch.nn.Parameter(torch.randn(6)))


@case(["torch.nn.GroupNorm"], on=(CHANNELS_FIRST_4D_6,))
def group_norm_4d(w, x):
    """Input (batch, 6, time, 4)."""
    nn = _nn(w)
    return _randomized(nn, nn.GroupNorm(2, 6), "weight", "bias")(x)


# -- BatchNorm (eval): input (batch, 5, time) unless said otherwise


def _batch_norm(nn, module):
    return _randomized(nn, module, *[n for n in ("weight", "bias", "running_mean", "running_var")
                                     if getattr(module, n, None) is not None]).eval()


@case(["torch.nn.BatchNorm1d"], on=(DEFAULT, CHANNELS_FIRST.lens))
def batch_norm_1d(w, x):
    nn = _nn(w)
    return _batch_norm(nn, nn.BatchNorm1d(5))(x)


@case(["torch.nn.BatchNorm1d"], on=(DEFAULT,))
def batch_norm_1d_no_affine(w, x):
    nn = _nn(w)
    return _batch_norm(nn, nn.BatchNorm1d(5, eps=1e-3, affine=False))(x)


@case(["torch.nn.BatchNorm1d"], on=(NO_TIME,))
def batch_norm_1d_2d_input(w, x):
    """Input (batch, 5)."""
    nn = _nn(w)
    return _batch_norm(nn, nn.BatchNorm1d(5))(x)


@case(["torch.nn.BatchNorm2d"], on=(CHANNELS_FIRST_4D,))
def batch_norm_2d(w, x):
    """Input (batch, 3, time, 4)."""
    nn = _nn(w)
    return _batch_norm(nn, nn.BatchNorm2d(3))(x)


@case(["torch.nn.functional.batch_norm"], on=(DEFAULT,))
def batch_norm_functional(w, x):
    torch = torch_of(w)
    mean, var = torch.randn(5), torch.rand(5) + 0.5
    weight, bias = torch.nn.Parameter(torch.randn(5)), torch.nn.Parameter(torch.randn(5))
    return torch.nn.functional.batch_norm(x, mean, var, weight, bias, training=False, eps=1e-3)


@case(["torch.batch_norm"], on=(DEFAULT,))
def batch_norm_torch(w, x):
    torch = torch_of(w)
    mean, var = torch.randn(5), torch.rand(5) + 0.5
    return torch.batch_norm(x, None, None, mean, var, False, 0.1, 1e-5, False)


# -- BatchNorm in training mode (batch statistics; padding frames count, as in torch)


@case(["torch.nn.BatchNorm1d"], on=(DEFAULT, CHANNELS_FIRST.lens), other_lengths=[[9, 4, 7]])
def batch_norm_train(w, x):
    nn = _nn(w)
    return _randomized(nn, nn.BatchNorm1d(5), "weight", "bias").train()(x)


@case(["torch.nn.BatchNorm1d"], on=(DEFAULT, CHANNELS_FIRST.lens))
def batch_norm_train_no_running_stats(w, x):
    """Without running stats BatchNorm uses batch statistics in eval too; called twice (the module in training
    updates nothing it reads)."""
    nn = _nn(w)
    module = _randomized(nn, nn.BatchNorm1d(5, eps=1e-3, track_running_stats=False), "weight", "bias")
    return module.eval()(x) + module.train()(x * 2.0)


@case(["torch.nn.BatchNorm1d"], on=(DEFAULT,))
def batch_norm_train_then_eval(w, x):
    """Trained on one batch, then used in eval: the running statistics the training call updated
    (in place, as torch's kernel does) are those the eval call reads."""
    nn = _nn(w)
    module = _randomized(nn, nn.BatchNorm1d(5, momentum=0.5), "weight", "bias")
    return module.train()(x) + module.eval()(x * 2.0)


@case(["torch.nn.BatchNorm1d"], on=(NO_TIME,))
def batch_norm_1d_2d_input_train(w, x):
    """Input (batch, 5): the statistics are over the batch."""
    nn = _nn(w)
    return _randomized(nn, nn.BatchNorm1d(5, affine=False), "running_mean").train()(x)


@case(["torch.nn.BatchNorm2d"], on=(CHANNELS_FIRST_4D, CHANNELS_FIRST_4D.lens))
def batch_norm_2d_train(w, x):
    """Input (batch, 3, time, 4)."""
    nn = _nn(w)
    return _randomized(nn, nn.BatchNorm2d(3), "weight", "bias").train()(x)


@case(["torch.nn.functional.batch_norm"], on=(DEFAULT, CHANNELS_FIRST.lens))
def batch_norm_functional_train(w, x):
    torch = torch_of(w)
    weight, bias = torch.nn.Parameter(torch.randn(5)), torch.nn.Parameter(torch.randn(5))
    return torch.nn.functional.batch_norm(x, torch.randn(5), torch.rand(5) + 0.5, weight, bias, training=True,
                                          eps=1e-3)


@case(["torch.batch_norm", "torch.nn.functional.batch_norm"], on=(DEFAULT,))
def batch_norm_functional_train_no_stats(w, x):
    torch = torch_of(w)
    return torch.nn.functional.batch_norm(x, None, None, training=True) + \
        torch.batch_norm(x, None, None, None, None, True, 0.1, 1e-5, False)


@case(["torch.nn.BatchNorm1d"], on=(TM, TM_7_4.lens))
def tm_batch_norm_train(w, x):
    """Time-major input (time, batch, 5), to (batch, 5, time) and back."""
    nn = _nn(w)
    module = _randomized(nn, nn.BatchNorm1d(5), "weight", "bias").train()
    return module(x.permute(1, 2, 0)).permute(2, 0, 1)


# -- Dropout: input (batch, 5, time)


@case(["torch.nn.Dropout"], on=(DEFAULT,))
def dropout_eval(w, x):
    return _nn(w).Dropout(0.3).eval()(x) * 2.0


@case(["torch.nn.Dropout"], on=(DEFAULT, CHANNELS_FIRST.lens))
def dropout_train(w, x):
    """The module's output is random: replay takes the recorded one."""
    return _nn(w).Dropout(0.5)(x) + x


@case(["torch.nn.Dropout1d"], on=(DEFAULT,))
def dropout1d_train(w, x):
    return _nn(w).Dropout1d(0.4)(x) * 3.0


@case(["torch.nn.Dropout2d"], on=(CHANNELS_FIRST_4D,))
def dropout2d_eval(w, x):
    return _nn(w).Dropout2d(0.4).eval()(x) * 3.0


@case(["torch.nn.AlphaDropout"], on=(DEFAULT,))
def alpha_dropout_eval(w, x):
    return _nn(w).AlphaDropout(0.2).eval()(x) * 3.0


@refused("AlphaDropout in training mode.*not supported", on=DEFAULT)
def alpha_dropout_train(w, x):
    return _nn(w).AlphaDropout(0.2)(x) * 3.0


@case(["torch.nn.Dropout"], on=(DEFAULT,))
def dropout_train_inplace(w, x):
    y = x * 1.0
    _nn(w).Dropout(0.5, inplace=True)(y)
    return y + x


@case(["torch.nn.functional.dropout"], on=(DEFAULT,))
def dropout_functional_train(w, x):
    return _nn(w).functional.dropout(x, 0.5) + x


def dropout_functional_eval(w, x):
    return _nn(w).functional.dropout(x * 2.0, 0.5, training=False) + x


# -- Embedding: int64 indices below 7, (batch, time) or (time, batch)


@case(["torch.nn.Embedding"], on=(INDICES, INDICES_TM))
def embedding(w, x):
    nn = _nn(w)
    return nn.Embedding(7, 4)(x)


@case(["torch.nn.Embedding"], on=(INDICES, INDICES_TM))
def embedding_padding_idx(w, x):
    nn = _nn(w)
    return nn.Embedding(7, 3, padding_idx=0)(x)


@case(["torch.nn.functional.embedding"], on=(INDICES, INDICES_TM))
def embedding_functional(w, x):
    torch = torch_of(w)
    return torch.nn.functional.embedding(x, torch.nn.Parameter(torch.randn(7, 3)))


@case(["torch.embedding"], on=(INDICES, INDICES_TM))
def embedding_torch(w, x):
    torch = torch_of(w)
    return torch.embedding(torch.nn.Parameter(torch.randn(7, 3)), x)


@case(["torch.nn.Embedding"], on=(INDICES, INDICES_TM))
def embedding_from_pretrained(w, x):
    torch = torch_of(w)
    return torch.nn.Embedding.from_pretrained(torch.randn(7, 2))(x)


@case(["torch.nn.Embedding", "torch.nn.LayerNorm"], on=(INDICES, INDICES_TM, INDICES.lens, INDICES_TM.lens))
def embedding_layer_norm(w, x):
    nn = _nn(w)
    return _randomized(nn, nn.LayerNorm(4), "weight")(nn.Embedding(7, 4)(x))


@refused("max_norm.*not supported", on=INDICES)
def embedding_max_norm(w, x):
    return _nn(w).Embedding(7, 4, max_norm=1.0)(x)


@case(["torch.nn.Dropout3d", "torch.nn.FeatureAlphaDropout", "torch.nn.functional.dropout1d",
       "torch.nn.functional.dropout2d", "torch.nn.functional.dropout3d"], on=(CHANNELS_FIRST_4D, CHANNELS_FIRST_4D.lens))
def feature_dropouts_eval(w, x):  # x: (batch, 3 channels, time, 4)
    nn = _nn(w)
    f = nn.functional
    y = nn.Dropout3d(0.3).eval()(x.unsqueeze(2)).squeeze(2) + nn.FeatureAlphaDropout(0.2).eval()(x)
    y = y + f.dropout1d(x[..., 0], 0.3, training=False).unsqueeze(3) + f.dropout2d(x, 0.3, training=False)
    return y + f.dropout3d(x.unsqueeze(2), 0.3, training=False).squeeze(2)


@case(["torch.group_norm"], on=(DEFAULT, CHANNELS_FIRST.lens))
def group_norm_torch(w, x):
    torch = torch_of(w)
    return torch.group_norm(x, 1, torch.nn.Parameter(torch.rand(5)), torch.nn.Parameter(torch.rand(5)), 1e-4)


@case(["torch.nn.RMSNorm", "torch.nn.functional.rms_norm", "torch.rms_norm"], on=(BM, TM.lens),
      other_lengths=[[3, 8, 5]])
def rms_norm(w, x):
    """RMSNorm with its weight (eps by default the dtype's epsilon) and without; the functional forms over
    the last two axes of a constant-size view."""
    torch = torch_of(w)
    nn = _nn(w)
    y = nn.RMSNorm(5)(x) + nn.RMSNorm([5], eps=1e-3, elementwise_affine=False)(x)
    return y + torch.nn.functional.rms_norm(x, (5,), eps=1e-6) + torch.rms_norm(x, [5])


@case(["torch.nn.InstanceNorm1d", "torch.nn.InstanceNorm2d", "torch.nn.functional.instance_norm"],
      on=(CHANNELS_FIRST, CHANNELS_FIRST.lens), other_lengths=[[4, 13, 9]])
def instance_norm(w, x):
    """Over time per sample and channel (padding frames counted, as torch does): InstanceNorm1d without and
    with affine parameters and running statistics (eval: those are used), 2-d, and the functional form."""
    torch = torch_of(w)
    nn = _nn(w)
    tracked = nn.InstanceNorm1d(5, affine=True, track_running_stats=True)
    tracked.running_mean.fill_(0.5)
    tracked.running_var.fill_(2.0)
    return (nn.InstanceNorm1d(5)(x) + nn.InstanceNorm1d(5, affine=True)(x) * 2 + tracked.eval()(x)
            + nn.InstanceNorm2d(5)(x.unsqueeze(2)).squeeze(2) + torch.nn.functional.instance_norm(x, eps=1e-3))
