"""fake_torch: a tiny stand-in for a torch replacement (test fixture).

Just enough for pt2r's import-wrapper tests to prove where ``import torch``
resolves: like ``pt2r.torch`` it is a separate package that wrapped model code
sees as ``torch``. Nothing here computes. Like real torch, ``import fake_torch``
does not need ``fake_torch.nn.functional`` / ``fake_torch.nn.utils`` to be
imported; they are loaded on demand.
"""

IS_FAKE = True

float32 = "float32"


class Tensor:
    """Placeholder tensor type (used in annotations of model code)."""

    def __init__(self, *shape):
        self.shape = shape


def tanh(x):
    return ("tanh", x)


def cat(tensors, dim=0):
    return ("cat", list(tensors), dim)


from . import nn  # noqa: E402  (real torch also imports torch.nn eagerly)
