"""Op test models for shape ops: reorders, views, squeeze/unsqueeze/expand, cat/stack, split, indexing.

Each function is a tiny model ``f(wrapped_import, x)``; its ``@case`` says the inputs it takes: (batch,
6 channels, time) mostly; ``*_btc``/``index_*`` models take (batch, time, 5), ``*_tbc`` ones (time, batch, 5).
"""

from opcases import BATCH_MAJOR, TIME_MAJOR, Inputs, case, refused, torch_of

#: (batch, 6 channels, time), time dynamic
DYNAMIC = Inputs("channels_first", (2, 6, 12), {"shape": [6, None], "batch_dim_axis": 0, "feature_dim_axis": 1,
                                                "time_dim_axis": 2, "dtype": "float32"}, lengths=[12, 7])
#: (batch, time, 5) and (time, batch, 5)
BM = Inputs("batch_major", (2, 9, 5), BATCH_MAJOR, lengths=[9, 4])
TM = Inputs("time_major", (9, 2, 5), TIME_MAJOR, lengths=[9, 4])
BM_5 = Inputs("batch_major", (2, 9, 5), BATCH_MAJOR, lengths=[9, 5])
TM_5 = Inputs("time_major", (9, 2, 5), TIME_MAJOR, lengths=[9, 5])


# -- reorders ------------------------------------------------------------------

@case(["Tensor.transpose"], on=(DYNAMIC, DYNAMIC.lens))
def transpose(w, x):
    return x.transpose(1, 2)


@case(["torch.swapaxes", "torch.transpose"], on=(DYNAMIC,))
def transpose_functional(w, x):
    torch = torch_of(w)
    return torch.transpose(x, -1, 0) * 2 + torch.swapaxes(x, 0, 2)


@case(["Tensor.permute", "torch.permute"], on=(DYNAMIC, DYNAMIC.lens))
def permute(w, x):
    torch = torch_of(w)
    y = x.permute(2, 0, 1) + torch.permute(x, (2, 0, 1))
    return y.permute(1, 2, 0) * 2


@case(["Tensor.movedim", "Tensor.transpose", "torch.movedim"], on=(DYNAMIC,))
def movedim(w, x):
    torch = torch_of(w)
    return x.movedim(1, 2) + torch.movedim(x, (0, 1), (1, 2)).transpose(0, 1)


@case(["Tensor.contiguous", "Tensor.transpose"], on=(DYNAMIC,))
def contiguous(w, x):
    return x.transpose(1, 2).contiguous() * 2


@case(["Tensor.T", "Tensor.__getitem__", "Tensor.permute"], on=(DYNAMIC, DYNAMIC.lens))
def transpose_property_T(w, x):
    """``x.T`` reverses all axes (torch deprecates it for ndim != 2 but still does it); 2-d too."""
    return x.T.permute(2, 1, 0) * 2 + x[:, 0].T.T[:, None]


@case(["Tensor.__getitem__", "Tensor.mT"], on=(DYNAMIC, DYNAMIC.lens))
def transpose_property_mT(w, x):
    return x.mT * 2 + x[:, :1].mT


# -- views -----------------------------------------------------------------------

@case(["Tensor.flatten", "Tensor.reshape", "Tensor.view"], on=(DYNAMIC,))
def view_split_merge_static(w, x):
    b, c, t = x.shape
    y = x.view(b, 2, 3, t) * 2
    return y.reshape(b, c, t) + y.flatten(1, 2)


@case(["Tensor.flatten", "Tensor.unflatten", "torch.flatten", "torch.unflatten"], on=(DYNAMIC,))
def unflatten(w, x):
    torch = torch_of(w)
    y = x.unflatten(1, (3, -1)) * 2
    return torch.flatten(y, 1, 2) + torch.unflatten(x, 1, (2, 3)).flatten(1, 2)


@case(["Tensor.reshape", "Tensor.transpose", "Tensor.view"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def view_batch_time(w, x):
    """(B, C, T) -> (B*T, C) -> (B, T, C): merging the batch axis with time, and back."""
    b, c, t = x.shape
    y = x.transpose(1, 2).reshape(b * t, c) * 2
    return y.view(b, t, c).transpose(1, 2)


@case(["Tensor.reshape", "Tensor.transpose", "Tensor.view"], on=(DYNAMIC, DYNAMIC.lens))
def view_batch_time_minus_one(w, x):
    b, c, t = x.shape
    y = x.transpose(1, 2).reshape(-1, c) + 1
    return y.view(b, -1, c)


@case(["Tensor.reshape", "Tensor.transpose", "Tensor.view"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def view_time_feature(w, x):
    """(B, C, T) -> (B, T*C) -> (B, T, C): merging time with a static axis, and back."""
    b, c, t = x.shape
    y = x.transpose(1, 2).reshape(b, t * c) * 2
    return y.view(b, t, c)


@case(["Tensor.flatten", "Tensor.view"], on=(DYNAMIC, DYNAMIC.lens))
def view_flatten_minus_one(w, x):
    b, c, t = x.shape
    y = x.view(b, -1) * 2
    return y.view(b, c, -1) + x.flatten(1).view(b, c, t)


@case(["Tensor.reshape", "Tensor.transpose"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def view_frame_stacking(w, x):
    """(B, C, T) -> (B, T/2, 2*C): a regrouping of time and channels (T even)."""
    b, c, t = x.shape
    return x.transpose(1, 2).reshape(b, t // 2, 2 * c)


@case(["Tensor.flatten", "Tensor.reshape", "Tensor.unsqueeze", "Tensor.view"], on=(DYNAMIC, DYNAMIC.lens))
def view_size_one_axes(w, x):
    b, c, t = x.shape
    y = x.view(b, 1, c, 1, t) * 2
    return y.view(b, c, 1, t).reshape(b, c, t) + x.unsqueeze(1).flatten(2).view(b, c, t)


@case(["Tensor.reshape"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def view_all(w, x):
    return x.reshape(-1) * 2


@case(["Tensor.view"], on=(BM.lens,))
def view_batch_time_btc(w, x):
    b, t, f = x.shape
    y = x.view(b * t, f) * 2
    return y.view(b, t, f)


@case(["Tensor.view"], on=(TM.lens,))
def view_time_batch_tbc(w, x):
    t, b, f = x.shape
    y = x.view(t * b, f) * 2
    return y.view(t, b, f)


# -- size-1 axes and broadcasting ------------------------------------------------------

@case(["Tensor.squeeze", "Tensor.unsqueeze", "torch.squeeze", "torch.unsqueeze"], on=(DYNAMIC, DYNAMIC.lens))
def squeeze_unsqueeze(w, x):
    torch = torch_of(w)
    y = x.unsqueeze(1).unsqueeze(-1) * 2
    z = torch.unsqueeze(x, 0)
    return y.squeeze(-1).squeeze(1) + torch.squeeze(z, 0) + y.squeeze()


@case(["Tensor.__getitem__", "Tensor.expand"], on=(DYNAMIC,))
def expand_static(w, x):
    return x[:, :1].expand(-1, 4, -1) * 2


@case([
    "Tensor.__getitem__",
    "Tensor.expand",
    "Tensor.expand_as",
], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def expand_time(w, x):
    b, c, t = x.shape
    y = x[:, :, :1].expand(b, c, t)
    return y + x[:, :, 1:2].expand_as(x)


@case(["Tensor.expand"], on=(DYNAMIC,))
def expand_new_axis(w, x):
    b, c, t = x.shape
    return x.expand(3, b, c, t) * 2


# -- joining ---------------------------------------------------------------------------------

@case(["Tensor.__getitem__", "torch.cat", "torch.concat"], on=(DYNAMIC,))
def cat_channels(w, x):
    torch = torch_of(w)
    return torch.cat([x, x * 2, x[:, :2]], dim=1)[:, 2:] + torch.concat([x, x], 1)


@case(["Tensor.__getitem__", "torch.cat", "torch.concatenate"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def cat_time(w, x):
    torch = torch_of(w)
    return torch.cat([x, x[:, :, :3] * 2], dim=2) + torch.concatenate([x, x[:, :, :3]], axis=-1)


@case(["torch.cat"], on=(DYNAMIC, DYNAMIC.lens))
def cat_time_twice(w, x):
    torch = torch_of(w)
    return torch.cat([x, x * 2], dim=-1)


@case(["torch.cat"], on=(DYNAMIC.lens,), other_lengths=[[16, 9, 16]])
def cat_onto_empty(w, x):
    """A cache that starts as ``torch.tensor([])`` (transformers' DynamicLayer): torch leaves 1-d empty
    tensors out of a cat."""
    torch = torch_of(w)
    cache = torch.tensor([], dtype=x.dtype)
    cache = torch.cat([cache, x], dim=-2)
    return torch.cat([cache, x * 2], dim=-2)


@case(["Tensor.permute", "torch.stack"], on=(DYNAMIC, DYNAMIC.lens))
def stack(w, x):
    torch = torch_of(w)
    return torch.stack([x, x * 2], dim=1) + torch.stack([x, x], -1).permute(0, 3, 1, 2)


# -- splitting ---------------------------------------------------------------------------------

@case(["Tensor.chunk", "torch.cat", "torch.chunk"], on=(DYNAMIC,))
def chunk(w, x):
    torch = torch_of(w)
    a, b = x.chunk(2, dim=1)
    c, d, e = torch.chunk(x, 3, 1)
    return torch.cat([b, a, d * 2, e, c], dim=1)


@case(["Tensor.split", "torch.cat", "torch.split"], on=(DYNAMIC,))
def split(w, x):
    torch = torch_of(w)
    a, b, c = x.split(2, dim=1)
    d, e = torch.split(x, [1, 5], dim=1)
    return torch.cat([c, a, b * 2, e, d], dim=1)


@case(["Tensor.split", "torch.cat"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def split_time(w, x):
    torch = torch_of(w)
    b, c, t = x.shape
    head, tail = x.split([3, t - 3], dim=2)
    return torch.cat([tail * 2, head], dim=2)


@case(["Tensor.unbind"], on=(DYNAMIC,))
def unbind(w, x):
    a, b, c, d, e, f = x.unbind(1)
    return a * b + c - d + e * f


@case(["Tensor.__iter__", "torch.stack"], on=(DYNAMIC, DYNAMIC.lens))
def iterate(w, x):  # unpacking a tensor iterates it: x.unbind(0) in torch's Python, recorded as __iter__
    q, k, v = torch_of(w).stack([x, x * 2, x - 1])
    return q * k + v


# -- indexing -------------------------------------------------------------------------------------

@case(["Tensor.__getitem__"], on=(DYNAMIC,))
def getitem_static(w, x):
    return x[:, 1:4] * 2 + x[:, ::2] + x[:, -3:] + x[:, -4:-1]


@case(["Tensor.__getitem__"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def getitem_time(w, x):
    return x[..., 1:] * 2 + x[:, :, :-1]


@case(["Tensor.__getitem__", "torch.cat"], on=(DYNAMIC, DYNAMIC.lens))
def getitem_time_steps(w, x):
    torch = torch_of(w)
    return torch.cat([x[:, :, ::3] * 2, x[:, :, 2:-1:2], x[:, :, 1:7]], dim=2)


@case(["Tensor.__getitem__"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def getitem_time_from_end(w, x):
    return x[:, :, -3:] * 2 + x[:, :, -6:-1:2]


@case(["Tensor.__getitem__", "torch.cat"], on=(DYNAMIC, DYNAMIC.lens))
def getitem_time_from_shape(w, x):
    torch = torch_of(w)
    b, c, t = x.shape
    return torch.cat([x[:, :, 1:t - 1] * 2, x[:, :, :t], x[:, :, :100]], dim=2)


@case(["Tensor.__getitem__", "Tensor.narrow"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def getitem_time_positions_from_shape(w, x):
    """Positions computed from the length count from the end, so they stay right for other lengths."""
    b, c, t = x.shape
    return x[:, :, t - 3:] * 2 + x[:, :, t - 1][:, :, None] + x.narrow(2, 1, t - 1)[:, :, -3:]


@case(["Tensor.__getitem__"], on=(DYNAMIC, DYNAMIC.lens))
def getitem_ints(w, x):
    return (x[:, 0] * 2 + x[:, -1])[:, None] * (x[:, :, 0] + x[:, :, -1] + x[:, 2, 3][:, None])[:, :, None]


@case(["Tensor.__getitem__", "Tensor.permute", "torch.cat"], on=(DYNAMIC,))
def getitem_none_ellipsis(w, x):
    torch = torch_of(w)
    y = torch.cat([(x[:, None] * 2).permute(0, 2, 3, 1), x[..., None]], dim=3)
    return y + x[None, ..., 1:][0, :, :, :1, None] + x[:, :, None, 2][..., None]


@case([
    "Tensor.__getitem__",
    "Tensor.narrow",
    "Tensor.select",
    "torch.narrow",
    "torch.select",
], on=(DYNAMIC, DYNAMIC.lens))
def select_narrow(w, x):
    torch = torch_of(w)
    y = (x.select(1, 2) * 2 + torch.select(x, 1, -1))[:, None, :3]
    return y + x.narrow(2, 1, 3) + torch.narrow(x, 1, 2, 1)[:, :, :3]


@case(["Tensor.__getitem__"], on=(BM.lens,))
def time_slices_btc(w, x):
    return (x[:, 1:] - x[:, :-1] + x[:, -1:])[:, :, ::2]


@case(["Tensor.__getitem__"], on=(TM.lens,))
def time_slices_tbc(w, x):
    return (x[1:] - x[:-1] + x[-1])[:, :, 1:3]


@case(["Tensor.__getitem__"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def slice_to_same_length(w, x):
    """SEW: an average pool and a strided conv of one input, each cut to the shorter length (``min`` of their
    sizes): the dims' arithmetic shows the lengths agree ((t - 2) // 2 + 1 and ceil((t + 1) / 2) - 1), so
    nothing is cut and the net stays dynamic."""
    torch = torch_of(w)
    pooled = torch.nn.AvgPool1d(2, 2)(x)
    conv = torch.nn.Conv1d(6, 6, 4, stride=2, padding=2)(x)[..., :-1]
    n = min(conv.size(-1), pooled.size(-1))
    return pooled[..., :n] + conv[..., :n]


@case(["Tensor.__getitem__"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def slice_to_other_length(w, x):
    """Slices of time ending at the length of every second frame (ceil(t / 2)), from 0 and from 1."""
    half = x[..., ::2]
    n = half.shape[-1]
    return x[..., :n] * half + x[..., 1:n + 1]


@case(["Tensor.__getitem__"], on=(TM.lens,))
def slice_to_other_length_tbc(w, x):
    half = x[::2] * 2
    return x[:half.shape[0]] + half + x[1:half.shape[0] + 1]


@case([
    "Tensor.__getitem__",
    "Tensor.broadcast_to",
    "torch.broadcast_to",
], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def broadcast_to(w, x):
    torch = torch_of(w)
    b, c, t = x.shape
    return x[:, :, :1].broadcast_to(x.shape) + torch.broadcast_to(x.mean(1, keepdim=True), (b, c, t)) \
        + x[:, :1].broadcast_to((2, b, c, t))[1]


# -- refused -----------------------------------------------------------------------------------------

@refused("chunk along a dynamic axis is not supported", on=DYNAMIC)
def chunk_time(w, x):
    """The number of pieces would depend on the length."""
    return x.chunk(2, dim=2)[0] * 2


@refused("slicing the batch axis is not supported", on=DYNAMIC)
def slice_batch(w, x):
    return x[1:] * 2


@case(["Tensor.__getitem__"], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def index_with_list(w, x):
    """Lists of ints as index tensors, as torch takes them (``input_ids[:, [-1, 0]]``): channels picked by a
    list, negative ones too."""
    return x[:, [0, 2]] * 2 + x[:, [-1, 0]] + x[:, [1, 1]]


@refused(r"splitting the dynamic axis time into sizes \[3, 4\] is not supported", on=DYNAMIC)
def view_time_into_static_sizes(w, x):
    """Sizes recorded as plain ints: the net would be tied to the recorded length."""
    b, c, t = x.shape
    return x.view(b, c, 3, 4) * 2


# -- mixed cases ------------------------------------------------------------------------------------

@case(["Tensor.reshape", "Tensor.transpose", "Tensor.view"], on=(BM.lens,))
def view_time_batch_of_batch_major_btc(w, x):
    """(B, T, F) seen as (T, B, F) by a transpose (no layer), merged time-major and split back."""
    b, t, f = x.shape
    y = x.transpose(0, 1).reshape(t * b, f) * 2
    return y.view(t, b, f).transpose(0, 1)


@case(["Tensor.reshape", "Tensor.view"], on=(TM,))
def view_time_batch_feature_tbc(w, x):
    t, b, f = x.shape
    y = x.reshape(t, b * f) * 2
    return y.view(t, b, f)


@case(["Tensor.__getitem__", "Tensor.expand", "Tensor.view", "torch.cat"], on=(DYNAMIC.lens,))
def parameter_views(w, x):
    torch = torch_of(w)
    p = torch.nn.Parameter(torch.randn(6))
    b, c, t = x.shape
    scale = p.view(1, -1, 1)
    bias = p[None, :, None].expand(b, -1, t)
    return torch.cat([x * scale + bias, bias[:, -2:]], dim=1) + p[-1]


@case([
    "Tensor.__getitem__",
    "Tensor.reshape",
    "Tensor.squeeze",
    "Tensor.transpose",
    "Tensor.unsqueeze",
], on=(DYNAMIC.lens,))
def merged_batch_then_slices(w, x):
    b, c, t = x.shape
    y = x.transpose(1, 2).reshape(b * t, c)[:, 1:].unsqueeze(1) * 2
    return y.squeeze(1).reshape(b, t, c - 1)


@case(["Tensor.__getitem__", "Tensor.reshape", "Tensor.view"], on=(DYNAMIC, DYNAMIC.lens))
def view_batch_channels(w, x):
    """(B, C, T) -> (B*C, 1, T): each channel as a sequence of its own, and back."""
    b, c, t = x.shape
    y = x.reshape(b * c, 1, t)[:, :, 1:] * 2
    return y.view(b, c, t - 1)


@case([
    "Tensor.flatten",
    "Tensor.transpose",
    "Tensor.unflatten",
], on=(DYNAMIC, DYNAMIC.lens), other_lengths=[[16, 9, 16]])
def unflatten_time(w, x):
    """Time split into (time / 2, 2) by a -1 (T even), the pairs then moved into the channels."""
    return x.unflatten(2, (-1, 2)).transpose(2, 3).flatten(1, 2) * 2


@case(["Tensor.__getitem__", "Tensor.flatten", "torch.cat", "torch.stack"], on=(TM.lens,))
def joins_tbc(w, x):
    torch = torch_of(w)
    y = torch.cat([x, x[:3] * 2], dim=0)
    return torch.stack([y, y + 1], dim=2).flatten(2)[:, :, 1:7]


@case(["Tensor.__getitem__", "Tensor.expand", "Tensor.permute", "Tensor.reshape"], on=(TM.lens,))
def upsample_by_expand_tbc(w, x):
    """Repeating each frame 3 times (as vocoders upsample): a new axis expanded, merged into time."""
    t, b, f = x.shape
    y = x.permute(1, 0, 2).reshape(b, t, 1, f).expand(b, t, 3, f).reshape(b, t * 3, f)
    return y[:, 2:] * 2


@case(["Tensor.__getitem__"], on=(BM_5, BM_5.lens, TM_5.lens))
def index_features(w, x):  # a constant index tensor over a static axis, with a negative entry
    torch = torch_of(w)
    return x[:, :, torch.tensor([4, 0, -2, 0])] * 2


@case(["Tensor.__getitem__"], on=(BM_5, BM_5.lens))
def index_computed(w, x):  # indices computed in the net: each frame's argmax feature, gathered
    torch = torch_of(w)
    best = x.argmax(-1)  # (batch, time)
    b = torch.arange(x.shape[0])[:, None]
    t = torch.arange(x.shape[1])[None, :]
    return x[b, t, best] + x[b, t, 0]


@case(["Tensor.__getitem__"], on=(BM_5, BM_5.lens), other_lengths=[[4, 11, 7]])
def index_last_frames(w, x, seq_lens):  # each sequence's last valid frame, from the lengths
    torch = torch_of(w)
    return x[torch.arange(x.shape[0]), seq_lens - 1]


@case(["Tensor.__getitem__", "Tensor.unflatten"], on=(BM_5, BM_5.lens))
def index_mask_constant(w, x):  # constant bool masks: the indices of their true entries
    torch = torch_of(w)
    keep = torch.tensor([True, False, True, True, False])
    pairs = torch.tensor([[True, False], [False, True]])
    return x[:, :, keep] + x[..., keep] * 2, x[:, :, :4].unflatten(2, (2, 2))[:, :, pairs]


@case(["Tensor.__getitem__", "Tensor.reshape"], on=(BM_5, BM_5.lens))
def index_merged_batch_time(w, x, seq_lens):  # each sequence's last frame, from a flat (batch * time) index
    torch = torch_of(w)
    b, t, f = x.shape
    flat = x.reshape(b * t, f)
    return flat[torch.arange(b) * t + (seq_lens - 1)] + flat[torch.tensor([0, 3, 5])].sum(0)


@case(["Tensor.__getitem__", "Tensor.__invert__"], on=(BM_5.lens,), other_lengths=[[4, 11, 7]])
def index_frames(w, x, seq_lens):  # each sequence's frames, by the padding mask made from the lengths
    torch = torch_of(w)
    pad_mask = torch.arange(x.shape[1]).unsqueeze(0) >= seq_lens.unsqueeze(1)  # ESPnet's make_pad_mask
    return x[~pad_mask] * 2 + x[seq_lens[:, None] > torch.arange(seq_lens.max())[None, :]]


@refused("bool mask computed in the net is not supported", on=BM_5)
def index_mask_computed(w, x):
    return x[x > 0]


@case(["torch.swapdims", "Tensor.swapdims", "torch.moveaxis", "Tensor.moveaxis"], on=(DYNAMIC, DYNAMIC.lens, TM.lens))
def swapdims_moveaxis(w, x):
    torch = torch_of(w)
    return torch.swapdims(x, 1, 2) + x.swapdims(2, 1) * 2 + torch.moveaxis(x, 2, 1) + x.moveaxis(1, -1)


@case(["Tensor.view_as", "Tensor.reshape_as"], on=(DYNAMIC, DYNAMIC.lens))
def view_as_reshape_as(w, x):
    """Back to the input's shape, from a view merging channels with time."""
    flat = x.flatten(1) * 2
    return flat.view_as(x) + flat.reshape_as(x + 1)


@case(["Tensor.swapaxes", "torch.reshape", "torch.t", "torch.unbind"], on=(DYNAMIC, DYNAMIC.lens))
def function_forms(w, x):
    """Function and method forms the other models call in the other form."""
    torch = torch_of(w)
    return x.swapaxes(1, 2) * 2, torch.reshape(x, (x.shape[0], -1)), torch.t(torch.unbind(x, 1)[2])


@case(["torch.nn.Flatten", "torch.nn.Identity", "torch.nn.Unflatten"], on=(DYNAMIC, BM.lens))
def flatten_modules(w, x):
    """nn.Flatten, nn.Unflatten and nn.Identity (with the arguments torch ignores), as in a Sequential."""
    nn = torch_of(w).nn
    return nn.Sequential(nn.Identity(54, scale=2), nn.Unflatten(2, (x.size(2) // 1, 1)), nn.Flatten(2),
                         nn.Identity())(x) + nn.Flatten(0, 1)(x).sum()


@case(["Tensor.diff", "torch.diff", "torch.hstack", "torch.row_stack", "torch.vstack"], on=(DYNAMIC, BM.lens),
      other_lengths=[[3, 8, 5]])
def diff_stacks(w, x):
    """diff along each axis but the batch (n = 2, prepend and append), on bool too; hstack, vstack (of
    tensors without the batch axis: it stacks along axis 0)."""
    torch = torch_of(w)
    d = torch.diff(x, dim=2) * 2 + 1
    other = x.diff(n=2, dim=1, prepend=x[:, :1] * 0, append=x[:, -1:])
    flips = torch.diff(x > 0, dim=1).float()
    m = x.mean(0)
    return d, other, flips, torch.hstack([x, x * 2]), torch.vstack([m, m * 2]) + torch.row_stack([m, m]).sum(0)


@case(["Tensor.unfold"], on=(DYNAMIC, BM.lens), other_lengths=[[6, 11, 8]])
def unfold_frames(w, x):
    """Frames of a signal along time (overlapping, and with a step larger than the window), and windows of
    a static axis."""
    time, static = (2, 1) if x.size(1) == 6 else (1, 2)
    return x.unfold(time, 4, 2) * 2, x.unfold(time, 2, 3), x.unfold(time, 1, 1).squeeze(-1), x.unfold(static, 2, 2)


@case(["torch.broadcast_tensors", "torch.meshgrid"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def grids_and_broadcasts(w, x):
    """broadcast_tensors of a frame-averaged and a full tensor; meshgrid of time and feature positions
    ("ij" and "xy")."""
    torch = torch_of(w)
    a, b = torch.broadcast_tensors(x, x.mean(1, keepdim=True))
    rows, cols = torch.meshgrid(torch.arange(x.size(1)), torch.arange(5), indexing="ij")
    cols_xy, rows_xy = torch.meshgrid(torch.arange(5), torch.arange(x.size(1)), indexing="xy")
    return a * b + (rows * cols + rows_xy * cols_xy).float()


@case(["torch.atleast_1d", "torch.atleast_2d", "torch.atleast_3d"], on=(BM.lens,), other_lengths=[[11, 6, 9]])
def at_least(w, x):
    torch = torch_of(w)
    total = x.sum()
    frames = x.sum(-1)  # (b, t): atleast_3d adds the last axis
    return x + torch.atleast_1d(total) + torch.atleast_2d(total) + torch.atleast_3d(frames) + \
        torch.atleast_3d(x[:, 0, 0].sum())


@case(["Tensor.__getitem__", "torch.cat"], on=(BM, BM.lens), other_lengths=[[11, 6]])
def empty_slice_in_cat(w, x):
    """Partial rotary code with every feature rotated (Moonshine): the part passed through, ``q[..., d:]``,
    has no elements, and ``cat`` takes it as torch does."""
    torch = torch_of(w)
    rotated, passed = x[..., :5], x[..., 5:]
    return torch.cat([rotated.flip(-1) * 2, passed], dim=-1) + passed.sum(-1, keepdim=True)
