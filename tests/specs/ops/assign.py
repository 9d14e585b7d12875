"""Op test models for assignment and copies: ``x[index] = value``, clone, detach, copy_.

Each function is a tiny model ``f(wrapped_import, x)``, x of shape (batch, time, 5), time dynamic.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def setitem_slices(w, x):
    y = x * 2
    y[:, :, 0] = 0.0  # a feature
    y[:, 1:3] = -1.0  # frames 1 and 2
    y[..., 3:] = 5.0
    y[:, ::3, 1] = 7.0  # every third frame
    return y


def setitem_from_the_end(w, x):  # bounds relative to the time axis' own length
    y = x + 1
    t = x.shape[1]
    y[:, t - 2:] = 0.0
    y[:, -1, :2] = 3.0
    y[:, : t - 1, 4] = x.amax()  # a 0-d tensor value
    return y


def setitem_mask(w, x):
    y = x.clone()
    y[x < 0] = 0.0
    frames = x.sum(-1) > 0  # a mask over the leading axes
    y[frames] = -2.0
    return y + x  # x itself is unchanged


def clone_detach_copy(w, x):
    torch = _torch(w)
    y = x.clone()
    y.mul_(2)
    z = torch.zeros_like(x)
    z.copy_(y[:, :, :1])  # broadcast over the features
    return x + y.detach() + z + torch.clone(x)


def setitem_tensor_value_with_step(w, x):  # refused: a tensor into a slice with a step
    y = x * 1
    y[:, ::2] = x[:, ::2] * 2
    return y


def setitem_tensor_values(w, x):  # tensors into parts: broadcast to the part, placed by the slices' bounds
    torch = _torch(w)
    y = x * 1
    y[:, 0] = x[:, 1]  # a frame
    y[:, 2:5, 1:3] = torch.ones(2) * 7  # broadcast over frames
    t = x.shape[1]
    y[:, t - 3:, 4] = x[:, :3, 0] * 2  # bounds from the time axis' own length
    y[..., :2] = x[:, :, 3:4]  # a size-1 axis broadcast
    return y


def tm_setitem_tensor_values(w, x):  # x: (time, batch, 5)
    y = x * 1
    y[2:5] = x[:3] * 2
    y[:, :, 0] = x[:, :, 1]
    y[-1] = x[0, :, :1]
    return y
