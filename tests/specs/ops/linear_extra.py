"""Op test models for products beyond the reduce family's: the reflected ``@`` (``Tensor.__rmatmul__``).

Each function is a tiny model ``f(wrapped_import, x)`` on (batch, time, 5) input, or time-major
(time, batch, 5). ``w @ x`` with a tensor or parameter ``w`` on the left is recorded as
``Tensor.matmul`` (tested with the reduce family); ``Tensor.__rmatmul__`` is what torch records
when the reflected operator is called by name.
"""


def _torch(wrapped_import):
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


def _param(w, *shape):
    torch = _torch(w)
    return torch.nn.Parameter(torch.randn(*shape))


def param_on_the_left(w, x):
    """``w @ x`` with a parameter ``w``: recorded as ``Tensor.matmul``, not ``__rmatmul__``."""
    return _param(w, 3, 5) @ x.transpose(1, 2)


def rmatmul_param(w, x):
    """(3, 5) @ (B, 5, T): the parameter is the left operand."""
    return x.transpose(1, 2).__rmatmul__(_param(w, 3, 5))


def rmatmul_vector(w, x):
    """(5,) @ (B, 5, T) -> (B, T)."""
    return x.transpose(1, 2).__rmatmul__(_param(w, 5)) * 2


def rmatmul_over_time(w, x):
    """(B, 5, T) @ (B, T, 5), called on the right operand: contracts time, padding frames included."""
    torch = _torch(w)
    return torch.Tensor.__rmatmul__(x, x.transpose(1, 2))


def rmatmul_tbc(w, x):
    """Time-major (T, B, 5): (B, 4, T) from a (4, 5) parameter."""
    return x.permute(1, 2, 0).__rmatmul__(_param(w, 4, 5))
