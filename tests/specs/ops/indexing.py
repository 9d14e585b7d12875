"""Op test models for indexing with integer tensors, reading values into Python, and parametrized
modules. Each function is a tiny model ``f(wrapped_import, x)``, x of shape (batch, time, 5), time
dynamic.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def index_features(w, x):  # a constant index tensor over a static axis, with a negative entry
    torch = _torch(w)
    return x[:, :, torch.tensor([4, 0, -2, 0])] * 2


def index_computed(w, x):  # indices computed in the net: each frame's argmax feature, gathered
    torch = _torch(w)
    best = x.argmax(-1)  # (batch, time)
    b = torch.arange(x.shape[0])[:, None]
    t = torch.arange(x.shape[1])[None, :]
    return x[b, t, best] + x[b, t, 0]


def index_last_frames(w, x, seq_lens):  # each sequence's last valid frame, from the lengths
    torch = _torch(w)
    return x[torch.arange(x.shape[0]), seq_lens - 1]


def assign_last_frames(w, x, seq_lens):  # transformers' attention-mask idiom
    torch = _torch(w)
    mask = torch.zeros(x.shape[0], x.shape[1], dtype=torch.long)
    mask[(torch.arange(x.shape[0]), seq_lens - 1)] = 1
    mask = mask.flip([-1]).cumsum(-1).flip([-1]).bool()
    return x * mask[:, :, None]


def branch_on_value(w, x):  # Python control flow on a value read from the net
    y = x * 2
    if (y > -100).all():
        y = y + 1
    return y * float(x.abs().max() > 0)


def weight_norm_parametrization(w, x):
    torch = _torch(w)
    torch.manual_seed(0)
    conv = torch.nn.Conv1d(5, 3, 3, padding=1)
    conv = torch.nn.utils.parametrizations.weight_norm(conv, dim=0)
    linear = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 4), name="weight", dim=1)
    y = conv(x.transpose(1, 2)).transpose(1, 2)
    return linear(y) + conv.weight.sum()  # conv.weight: computed from its parametrization, a recorded call
