"""Op test models for einops (``rearrange``, ``repeat``, ``reduce``, ``einsum``, ``pack``/``unpack``, and
the ``einops.layers.torch`` modules), run unmodified on PyTorch and on the drop-in.

Each function is a tiny model ``f(wrapped_import, x)`` on (batch, time, 5) input (``*_tbf``: time-major
(time, batch, 5)). einops is imported through ``wrapped_import`` like model code (a wrapped copy, which
imports the drop-in ``torch``), except in ``plain_import*``, which use the normally imported einops of
this file (its backend for the drop-in comes from ``pt2r.torch._einops``). einops calls the torch ops
underneath, which the trace records and replay checks one by one.
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused

#: (batch, time, 5) and (time, batch, 5), time dynamic
BM = Inputs("batch_major", (2, 7, 5), BATCH_MAJOR, lengths=[7, 4])
TM = Inputs("time_major", (7, 2, 5), TIME_MAJOR, lengths=[7, 4])


import einops as plain_einops


def _mods(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch"), wrapped_import("einops")
    import torch
    import einops
    return torch, einops


def _layers(wrapped_import):
    if wrapped_import:
        return wrapped_import("einops.layers.torch")
    import einops.layers.torch
    return einops.layers.torch


def _linear(torch, x, features):
    return torch.nn.Linear(x.shape[-1], features)(x)


# -- rearrange ---------------------------------------------------------------


@case(["Tensor.permute"], on=(BM, BM.lens))
def rearrange_transpose(w, x):
    """'b t f -> b f t': only a permute."""
    torch, einops = _mods(w)
    return einops.rearrange(x, "b t f -> b f t") * 2


@case(["Tensor.permute", "Tensor.reshape", "torch.nn.Linear"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def rearrange_split_heads(w, x):
    """'b t (h d) -> b h t d' with h given (6 features from a linear layer: 2 heads of 3)."""
    torch, einops = _mods(w)
    return einops.rearrange(_linear(torch, x, 6), "b t (h d) -> b h t d", h=2) * 2


@case(["Tensor.permute", "Tensor.reshape", "torch.nn.Linear"], on=(BM, BM.lens))
def rearrange_merge_heads(w, x):
    """Split heads and merge them back in another order: 'b h t d -> b t (d h)'."""
    torch, einops = _mods(w)
    y = einops.rearrange(_linear(torch, x, 6), "b t (h d) -> b h t d", d=3)
    return einops.rearrange(y, "b h t d -> b t (d h)") + 1


@case(["Tensor.reshape"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def rearrange_flatten_batch_time(w, x):
    """'b t f -> (b t) f' and back with b given: the dynamic time size is inferred."""
    torch, einops = _mods(w)
    b = x.shape[0]
    y = einops.rearrange(x, "b t f -> (b t) f")
    return einops.rearrange(y * 2, "(b t) f -> b t f", b=b)


@case(["Tensor.reshape"], on=(BM, BM.lens))
def rearrange_unflatten_time_given(w, x):
    """'(b t) f -> b t f' with the dynamic t given (b inferred)."""
    torch, einops = _mods(w)
    t = x.shape[1]
    y = einops.rearrange(x, "b t f -> (b t) f") + 1
    return einops.rearrange(y, "(b t) f -> b t f", t=t)


@case(["Tensor.permute", "Tensor.reshape"], on=(BM, BM.lens))
def rearrange_ellipsis(w, x):
    """'... f -> f ...' and 'b ... -> b (...)' (time merged into the features)."""
    torch, einops = _mods(w)
    y = einops.rearrange(x, "... f -> f ...")
    return einops.rearrange(y, "f b t -> b (t f)") * 2


@case(["Tensor.permute", "Tensor.reshape"], on=(BM, BM.lens))
def rearrange_new_axis(w, x):
    """'b t f -> b 1 t f' and 'b t f -> b t f ()': unit axes."""
    torch, einops = _mods(w)
    return einops.rearrange(x, "b t f -> b 1 t f") + einops.rearrange(x, "b t f -> b t f ()").permute(0, 3, 1, 2)


@case(["Tensor.permute", "Tensor.reshape", "torch.stack"], on=(BM, BM.lens))
def rearrange_list(w, x):
    """A list of tensors: stacked first ('n b t f -> b t (n f)')."""
    torch, einops = _mods(w)
    return einops.rearrange([x, x * 2, x + 1], "n b t f -> b t (n f)")


@case(["Tensor.permute"], on=(TM, TM.lens), other_lengths=[[9, 3, 6]])
def rearrange_tbf(w, x):
    """Time-major: 't b f -> b f t'."""
    torch, einops = _mods(w)
    return einops.rearrange(x, "t b f -> b f t") * 2


@case(["Tensor.reshape"], on=(TM, TM.lens))
def rearrange_flatten_tbf(w, x):
    """Time-major: 't b f -> (t b) f' and back with b given."""
    torch, einops = _mods(w)
    y = einops.rearrange(x, "t b f -> (t b) f") * 2
    return einops.rearrange(y, "(t b) f -> t b f", b=x.shape[1])


# -- repeat ------------------------------------------------------------------


@case(["Tensor.expand", "torch.unsqueeze"], on=(BM, BM.lens))
def repeat_new_axis(w, x):
    """'b t f -> b t r f' with r=3."""
    torch, einops = _mods(w)
    return einops.repeat(x, "b t f -> b t r f", r=3) * 2


@case(["Tensor.expand", "Tensor.reshape", "torch.unsqueeze"], on=(BM, BM.lens))
def repeat_tile_features(w, x):
    """'b t f -> b t (r f)': tiled along the features."""
    torch, einops = _mods(w)
    return einops.repeat(x, "b t f -> b t (r f)", r=2) + 1


@case(["Tensor.expand", "Tensor.mean", "torch.unsqueeze"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def repeat_over_time(w, x):
    """A per-sequence vector repeated over the dynamic time: 'b f -> b t f' with t from the input."""
    torch, einops = _mods(w)
    mean = x.mean(dim=1)
    return x - einops.repeat(mean, "b f -> b t f", t=x.shape[1])


@case(["Tensor.__getitem__", "Tensor.expand", "torch.unsqueeze"], on=(BM, BM.lens))
def repeat_parse_shape(w, x):
    """Axis lengths from ``einops.parse_shape`` (dynamic time included)."""
    torch, einops = _mods(w)
    lengths = einops.parse_shape(x, "b t _")
    return einops.repeat(x[:, 0], "b f -> b t f", **lengths) * x


@case(["Tensor.expand", "Tensor.reshape", "torch.unsqueeze"], on=(TM, TM.lens), other_lengths=[[9, 3, 6]])
def repeat_tbf(w, x):
    """Time-major: 't b f -> t b (f r)'."""
    torch, einops = _mods(w)
    return einops.repeat(x, "t b f -> t b (f r)", r=2) * 2


# -- reduce --------------------------------------------------------------------


@case(["Tensor.mean", "Tensor.permute"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def reduce_mean_time(w, x):
    """Mean over the dynamic time, padding frames included (as torch computes)."""
    torch, einops = _mods(w)
    return einops.reduce(x, "b t f -> b f", "mean")


@case(["Tensor.amax", "Tensor.permute"], on=(BM, BM.lens))
def reduce_max_time(w, x):
    torch, einops = _mods(w)
    return einops.reduce(x, "b t f -> b f", "max")


@case(["Tensor.permute", "Tensor.sum"], on=(BM, BM.lens))
def reduce_sum_time(w, x):
    torch, einops = _mods(w)
    return einops.reduce(x, "b t f -> b f", "sum")


@case(["Tensor.amin", "Tensor.reshape"], on=(BM, BM.lens))
def reduce_min_features(w, x):
    """Over the features: 'b t f -> b t 1'."""
    torch, einops = _mods(w)
    return einops.reduce(x, "b t f -> b t 1", "min") * x


@case(["Tensor.amax", "Tensor.reshape", "torch.nn.Linear"], on=(BM, BM.lens))
def reduce_pool_features(w, x):
    """Pooling pairs of features: 'b t (f two) -> b t f'."""
    torch, einops = _mods(w)
    return einops.reduce(_linear(torch, x, 6), "b t (f two) -> b t f", "max", two=2)


@case(["Tensor.permute", "Tensor.prod"], on=(BM, BM.lens))
def reduce_prod(w, x):
    """'prod' reduces one axis at a time."""
    torch, einops = _mods(w)
    return einops.reduce(x, "b t f -> t", "prod")


@case(["Tensor.mean", "Tensor.permute"], on=(TM, TM.lens), other_lengths=[[9, 3, 6]])
def reduce_mean_tbf(w, x):
    """Time-major: 't b f -> b f'."""
    torch, einops = _mods(w)
    return einops.reduce(x, "t b f -> b f", "mean")


# -- einsum ------------------------------------------------------------------


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_weight(w, x):
    """``einops.einsum`` with a parameter: 'b t f, f g -> b t g'."""
    torch, einops = _mods(w)
    weight = torch.nn.Parameter(torch.randn(5, 3))
    return einops.einsum(x, weight, "batch time feat, feat out -> batch time out")


@case(["torch.einsum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def einsum_time_by_time(w, x):
    """Two time axes in the output (self-attention scores): 'b t f, b s f -> b t s'."""
    torch, einops = _mods(w)
    return einops.einsum(x, x * 2, "b t f, b s f -> b t s")


@case(["torch.einsum"], on=(BM, BM.lens))
def einsum_reduce_time(w, x):
    """Contraction over the dynamic time, padding frames included: 'b t f, b t g -> b f g'."""
    torch, einops = _mods(w)
    return einops.einsum(x, x + 1, "b t f, b t g -> b f g")


# -- pack / unpack -------------------------------------------------------------


@case(["Tensor.__getitem__", "Tensor.reshape", "torch.cat", "torch.nn.Linear"], on=(BM, BM.lens))
def pack_features(w, x):
    """Pack tensors with different trailing axes into one feature axis ('b t *'), then unpack."""
    torch, einops = _mods(w)
    y = einops.rearrange(_linear(torch, x, 6), "b t (two three) -> b t two three", two=2)
    packed, shapes = einops.pack([x, y, x[..., 0]], "b t *")
    a, b, c = einops.unpack(packed * 2, shapes, "b t *")
    return a, b + 1, c


@case(["Tensor.__getitem__", "Tensor.mean", "Tensor.reshape", "torch.cat"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def pack_tokens(w, x):
    """A per-sequence token in front of the frames ('b * f', as in ViT): the packed axis is the
    dynamic time plus one."""
    torch, einops = _mods(w)
    cls = x.mean(dim=1)
    packed, shapes = einops.pack([cls, x], "b * f")
    cls_out, frames = einops.unpack(packed * 2, shapes, "b * f")
    return cls_out, frames


@case(["Tensor.__getitem__", "Tensor.reshape", "Tensor.sum", "torch.cat"], on=(TM, TM.lens), other_lengths=[[9, 3, 6]])
def pack_tbf(w, x):
    """Time-major: 't b *'."""
    torch, einops = _mods(w)
    packed, shapes = einops.pack([x, x[..., :2] * 2], "t b *")
    a, b = einops.unpack(packed + 1, shapes, "t b *")
    return a * b.sum(dim=-1, keepdim=True)


# -- einops.layers.torch ------------------------------------------------------


@case(["Tensor.permute"], on=(BM, BM.lens))
def layer_rearrange(w, x):
    torch, einops = _mods(w)
    layers = _layers(w)
    return layers.Rearrange("b t f -> b f t")(x) * 2


@case(["Tensor.mean", "Tensor.permute", "torch.nn.Linear"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def layer_reduce(w, x):
    """``Reduce`` in a ``Sequential``: mean over time, then a linear layer."""
    torch, einops = _mods(w)
    layers = _layers(w)
    model = torch.nn.Sequential(layers.Reduce("b t f -> b f", "mean"), torch.nn.Linear(5, 3))
    return model(x)


@case(["torch.einsum"], on=(BM, BM.lens))
def layer_einmix(w, x):
    """``EinMix`` with a weight and a bias: 'b t f -> b t g'."""
    torch, einops = _mods(w)
    layers = _layers(w)
    return layers.EinMix("b t f -> b t g", weight_shape="f g", bias_shape="g", f=5, g=3)(x)


@case(["Tensor.reshape", "torch.einsum"], on=(BM, BM.lens))
def layer_einmix_heads(w, x):
    """``EinMix`` with its own rearranges: a weight per head, 'b t f -> b t (h g)'."""
    torch, einops = _mods(w)
    layers = _layers(w)
    return layers.EinMix("b t f -> b t (h g)", weight_shape="h f g", bias_shape="h g", h=2, f=5, g=3)(x)


@case(["torch.einsum"], on=(TM, TM.lens), other_lengths=[[9, 3, 6]])
def layer_einmix_tbf(w, x):
    """Time-major ``EinMix``: 't b f -> t b g'."""
    torch, einops = _mods(w)
    layers = _layers(w)
    return layers.EinMix("t b f -> t b g", weight_shape="f g", f=5, g=4)(x)


# -- einops imported normally -------------------------------------------------


@case([
    "Tensor.__getitem__",
    "Tensor.amax",
    "Tensor.expand",
    "Tensor.permute",
    "Tensor.reshape",
    "torch.unsqueeze",
], on=(BM, BM.lens))
def plain_import(w, x):
    """einops imported at the top of this file, not through ``wrapped_import``."""
    b = x.shape[0]
    y = plain_einops.rearrange(x, "b t f -> (b t) f") * 2
    y = plain_einops.rearrange(y, "(b t) f -> b t f", b=b)
    return plain_einops.reduce(y, "b t f -> b f", "max") + plain_einops.repeat(y[:, 0], "b f -> b f r", r=2)[..., 1]


@case(["Tensor.permute"], on=(TM, TM.lens))
def plain_import_tbf(w, x):
    """Time-major, normally imported einops."""
    return plain_einops.rearrange(x, "t b f -> b t f") * 2


@case(["Tensor.amax", "Tensor.permute", "Tensor.reshape", "torch.einsum"], on=(BM, BM.lens), other_lengths=[[9, 3, 6]])
def both_imports(w, x):
    """The normally imported einops and a wrapped one (with its layers) in one model."""
    torch, einops = _mods(w)
    y = _layers(w).EinMix("b t f -> b t g", weight_shape="f g", f=5, g=6)(x)
    y = plain_einops.rearrange(y, "b t (h d) -> b h t d", h=2)
    return einops.reduce(y, "b h t d -> b t d", "max")


# -- refused -------------------------------------------------------------------


@refused("cat along the batch axis is not supported", on=BM)
def pack_batch(w, x):
    """Packing along the batch axis ('* t f') concatenates batches: not supported."""
    torch, einops = _mods(w)
    packed, shapes = einops.pack([x, x * 2], "* t f")
    return einops.unpack(packed, shapes, "* t f")[1]
