"""Model specs that differ from tests/specs/ops/activation.py:leaky_relu (a changed model) or use
ops pt2r cannot convert."""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def leaky_relu_changed(w, x):
    y = _torch(w).nn.LeakyReLU(0.2)(x)
    return y * 2  # not in the recording


def two_unsupported_ops(w, x):
    torch = _torch(w)
    y = torch.nanmedian(x, dim=2).values
    z = torch.kthvalue(y, 1, dim=1).values
    return torch.nanmedian(z)
