"""Op test models for shape ops: reorders, views, squeeze/unsqueeze/expand, cat/stack, split, indexing.

Each function is a tiny model ``f(wrapped_import, x)``. Input (batch, 6 channels, time) unless the
test says otherwise; ``*_btc`` models take (batch, time, 5) or, time-major, (time, batch, 5).
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


# -- reorders ------------------------------------------------------------------

def transpose(w, x):
    return x.transpose(1, 2)


def transpose_functional(w, x):
    torch = _torch(w)
    return torch.transpose(x, -1, 0) * 2 + torch.swapaxes(x, 0, 2)


def permute(w, x):
    torch = _torch(w)
    y = x.permute(2, 0, 1) + torch.permute(x, (2, 0, 1))
    return y.permute(1, 2, 0) * 2


def movedim(w, x):
    torch = _torch(w)
    return x.movedim(1, 2) + torch.movedim(x, (0, 1), (1, 2)).transpose(0, 1)


def contiguous(w, x):
    return x.transpose(1, 2).contiguous() * 2


def transpose_property_T(w, x):
    """``x.T`` reverses all axes (torch deprecates it for ndim != 2 but still does it); 2-d too."""
    return x.T.permute(2, 1, 0) * 2 + x[:, 0].T.T[:, None]


def transpose_property_mT(w, x):
    return x.mT * 2 + x[:, :1].mT


# -- views -----------------------------------------------------------------------

def view_split_merge_static(w, x):
    b, c, t = x.shape
    y = x.view(b, 2, 3, t) * 2
    return y.reshape(b, c, t) + y.flatten(1, 2)


def unflatten(w, x):
    torch = _torch(w)
    y = x.unflatten(1, (3, -1)) * 2
    return torch.flatten(y, 1, 2) + torch.unflatten(x, 1, (2, 3)).flatten(1, 2)


def view_batch_time(w, x):
    """(B, C, T) -> (B*T, C) -> (B, T, C): merging the batch axis with time, and back."""
    b, c, t = x.shape
    y = x.transpose(1, 2).reshape(b * t, c) * 2
    return y.view(b, t, c).transpose(1, 2)


def view_batch_time_minus_one(w, x):
    b, c, t = x.shape
    y = x.transpose(1, 2).reshape(-1, c) + 1
    return y.view(b, -1, c)


def view_time_feature(w, x):
    """(B, C, T) -> (B, T*C) -> (B, T, C): merging time with a static axis, and back."""
    b, c, t = x.shape
    y = x.transpose(1, 2).reshape(b, t * c) * 2
    return y.view(b, t, c)


def view_flatten_minus_one(w, x):
    b, c, t = x.shape
    y = x.view(b, -1) * 2
    return y.view(b, c, -1) + x.flatten(1).view(b, c, t)


def view_frame_stacking(w, x):
    """(B, C, T) -> (B, T/2, 2*C): a regrouping of time and channels (T even)."""
    b, c, t = x.shape
    return x.transpose(1, 2).reshape(b, t // 2, 2 * c)


def view_size_one_axes(w, x):
    b, c, t = x.shape
    y = x.view(b, 1, c, 1, t) * 2
    return y.view(b, c, 1, t).reshape(b, c, t) + x.unsqueeze(1).flatten(2).view(b, c, t)


def view_all(w, x):
    return x.reshape(-1) * 2


def view_batch_time_btc(w, x):
    b, t, f = x.shape
    y = x.view(b * t, f) * 2
    return y.view(b, t, f)


def view_time_batch_tbc(w, x):
    t, b, f = x.shape
    y = x.view(t * b, f) * 2
    return y.view(t, b, f)


# -- size-1 axes and broadcasting ------------------------------------------------------

def squeeze_unsqueeze(w, x):
    torch = _torch(w)
    y = x.unsqueeze(1).unsqueeze(-1) * 2
    z = torch.unsqueeze(x, 0)
    return y.squeeze(-1).squeeze(1) + torch.squeeze(z, 0) + y.squeeze()


def expand_static(w, x):
    return x[:, :1].expand(-1, 4, -1) * 2


def expand_time(w, x):
    b, c, t = x.shape
    y = x[:, :, :1].expand(b, c, t)
    return y + x[:, :, 1:2].expand_as(x)


def expand_new_axis(w, x):
    b, c, t = x.shape
    return x.expand(3, b, c, t) * 2


# -- joining ---------------------------------------------------------------------------------

def cat_channels(w, x):
    torch = _torch(w)
    return torch.cat([x, x * 2, x[:, :2]], dim=1)[:, 2:] + torch.concat([x, x], 1)


def cat_time(w, x):
    torch = _torch(w)
    return torch.cat([x, x[:, :, :3] * 2], dim=2) + torch.concatenate([x, x[:, :, :3]], axis=-1)


def cat_time_twice(w, x):
    torch = _torch(w)
    return torch.cat([x, x * 2], dim=-1)


def stack(w, x):
    torch = _torch(w)
    return torch.stack([x, x * 2], dim=1) + torch.stack([x, x], -1).permute(0, 3, 1, 2)


# -- splitting ---------------------------------------------------------------------------------

def chunk(w, x):
    torch = _torch(w)
    a, b = x.chunk(2, dim=1)
    c, d, e = torch.chunk(x, 3, 1)
    return torch.cat([b, a, d * 2, e, c], dim=1)


def split(w, x):
    torch = _torch(w)
    a, b, c = x.split(2, dim=1)
    d, e = torch.split(x, [1, 5], dim=1)
    return torch.cat([c, a, b * 2, e, d], dim=1)


def split_time(w, x):
    torch = _torch(w)
    b, c, t = x.shape
    head, tail = x.split([3, t - 3], dim=2)
    return torch.cat([tail * 2, head], dim=2)


def unbind(w, x):
    a, b, c, d, e, f = x.unbind(1)
    return a * b + c - d + e * f


def iterate(w, x):  # unpacking a tensor iterates it: x.unbind(0) in torch's Python, recorded as __iter__
    q, k, v = _torch(w).stack([x, x * 2, x - 1])
    return q * k + v


# -- indexing -------------------------------------------------------------------------------------

def getitem_static(w, x):
    return x[:, 1:4] * 2 + x[:, ::2] + x[:, -3:] + x[:, -4:-1]


def getitem_time(w, x):
    return x[..., 1:] * 2 + x[:, :, :-1]


def getitem_time_steps(w, x):
    torch = _torch(w)
    return torch.cat([x[:, :, ::3] * 2, x[:, :, 2:-1:2], x[:, :, 1:7]], dim=2)


def getitem_time_from_end(w, x):
    return x[:, :, -3:] * 2 + x[:, :, -6:-1:2]


def getitem_time_from_shape(w, x):
    torch = _torch(w)
    b, c, t = x.shape
    return torch.cat([x[:, :, 1:t - 1] * 2, x[:, :, :t], x[:, :, :100]], dim=2)


def getitem_time_positions_from_shape(w, x):
    """Positions computed from the length count from the end, so they stay right for other lengths."""
    b, c, t = x.shape
    return x[:, :, t - 3:] * 2 + x[:, :, t - 1][:, :, None] + x.narrow(2, 1, t - 1)[:, :, -3:]


def getitem_ints(w, x):
    return (x[:, 0] * 2 + x[:, -1])[:, None] * (x[:, :, 0] + x[:, :, -1] + x[:, 2, 3][:, None])[:, :, None]


def getitem_none_ellipsis(w, x):
    torch = _torch(w)
    y = torch.cat([(x[:, None] * 2).permute(0, 2, 3, 1), x[..., None]], dim=3)
    return y + x[None, ..., 1:][0, :, :, :1, None] + x[:, :, None, 2][..., None]


def select_narrow(w, x):
    torch = _torch(w)
    y = (x.select(1, 2) * 2 + torch.select(x, 1, -1))[:, None, :3]
    return y + x.narrow(2, 1, 3) + torch.narrow(x, 1, 2, 1)[:, :, :3]


def time_slices_btc(w, x):
    return (x[:, 1:] - x[:, :-1] + x[:, -1:])[:, :, ::2]


def time_slices_tbc(w, x):
    return (x[1:] - x[:-1] + x[-1])[:, :, 1:3]


def slice_to_same_length(w, x):
    """SEW: an average pool and a strided conv of one input, each cut to the shorter length (``min`` of their
    sizes): the dims' arithmetic shows the lengths agree ((t - 2) // 2 + 1 and ceil((t + 1) / 2) - 1), so
    nothing is cut and the net stays dynamic."""
    torch = _torch(w)
    pooled = torch.nn.AvgPool1d(2, 2)(x)
    conv = torch.nn.Conv1d(6, 6, 4, stride=2, padding=2)(x)[..., :-1]
    n = min(conv.size(-1), pooled.size(-1))
    return pooled[..., :n] + conv[..., :n]


def slice_to_other_length(w, x):
    """Slices of time ending at the length of every second frame (ceil(t / 2)), from 0 and from 1."""
    half = x[..., ::2]
    n = half.shape[-1]
    return x[..., :n] * half + x[..., 1:n + 1]


def slice_to_other_length_tbc(w, x):
    half = x[::2] * 2
    return x[:half.shape[0]] + half + x[1:half.shape[0] + 1]


def broadcast_to(w, x):
    torch = _torch(w)
    b, c, t = x.shape
    return x[:, :, :1].broadcast_to(x.shape) + torch.broadcast_to(x.mean(1, keepdim=True), (b, c, t)) \
        + x[:, :1].broadcast_to((2, b, c, t))[1]


# -- refused -----------------------------------------------------------------------------------------

def chunk_time(w, x):
    """The number of pieces would depend on the length."""
    return x.chunk(2, dim=2)[0] * 2


def slice_batch(w, x):
    return x[1:] * 2


def index_with_list(w, x):
    return x[:, [0, 2]] * 2


def view_time_into_static_sizes(w, x):
    """Sizes recorded as plain ints: the net would be tied to the recorded length."""
    b, c, t = x.shape
    return x.view(b, c, 3, 4) * 2


# -- mixed cases ------------------------------------------------------------------------------------

def view_time_batch_of_batch_major_btc(w, x):
    """(B, T, F) seen as (T, B, F) by a transpose (no layer), merged time-major and split back."""
    b, t, f = x.shape
    y = x.transpose(0, 1).reshape(t * b, f) * 2
    return y.view(t, b, f).transpose(0, 1)


def view_time_batch_feature_tbc(w, x):
    t, b, f = x.shape
    y = x.reshape(t, b * f) * 2
    return y.view(t, b, f)


def parameter_views(w, x):
    torch = _torch(w)
    p = torch.nn.Parameter(torch.randn(6))
    b, c, t = x.shape
    scale = p.view(1, -1, 1)
    bias = p[None, :, None].expand(b, -1, t)
    return torch.cat([x * scale + bias, bias[:, -2:]], dim=1) + p[-1]


def merged_batch_then_slices(w, x):
    b, c, t = x.shape
    y = x.transpose(1, 2).reshape(b * t, c)[:, 1:].unsqueeze(1) * 2
    return y.squeeze(1).reshape(b, t, c - 1)


def view_batch_channels(w, x):
    """(B, C, T) -> (B*C, 1, T): each channel as a sequence of its own, and back."""
    b, c, t = x.shape
    y = x.reshape(b * c, 1, t)[:, :, 1:] * 2
    return y.view(b, c, t - 1)


def unflatten_time(w, x):
    """Time split into (time / 2, 2) by a -1 (T even), the pairs then moved into the channels."""
    return x.unflatten(2, (-1, 2)).transpose(2, 3).flatten(1, 2) * 2


def joins_tbc(w, x):
    torch = _torch(w)
    y = torch.cat([x, x[:3] * 2], dim=0)
    return torch.stack([y, y + 1], dim=2).flatten(2)[:, :, 1:7]


def upsample_by_expand_tbc(w, x):
    """Repeating each frame 3 times (as vocoders upsample): a new axis expanded, merged into time."""
    t, b, f = x.shape
    y = x.permute(1, 0, 2).reshape(b, t, 1, f).expand(b, t, 3, f).reshape(b, t * 3, f)
    return y[:, 2:] * 2
