"""The user's own function: GELU, tanh approximation, written out ("fused" in a real package), and
decorated (a closure: pt2r records it as one call all the same)."""

import functools
import math

import torch


def _traced_as_is(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*args, **kwargs)
    return wrapper


@_traced_as_is
def fused_gelu(x, scale=1.0):
    return scale * 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
