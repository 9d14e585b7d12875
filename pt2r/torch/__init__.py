"""pt2r's drop-in ``torch``: model code runs on it and builds a RETURNN network.

`wrapped_import` points model code's ``import torch`` here during replay.
What it offers is what the op registry (`pt2r.torch.ops`) maps; anything else
raises an error naming the op and the user's source line. Needs TensorFlow
and RETURNN, never the real torch.
"""

from __future__ import annotations

from typing import Any

from pt2r.torch._dtype import (  # noqa: F401
    bfloat16, bool, complex64, double, dtype, float, float16, float32, float64, half, int, int8, int16,
    int32, int64, long, short, uint8)
from pt2r.torch._size import Size  # noqa: F401
from pt2r.torch._tensor import Tensor, device  # noqa: F401
from pt2r.torch import ops as _ops  # noqa: F401  (registers every op family)
from pt2r.torch import nn  # noqa: F401
from pt2r.torch.namespace import resolve as _resolve

__version__ = "2.13.0"  # the torch version whose behaviour the drop-in follows


class no_grad:
    """Gradients are not part of a conversion: a no-op context manager and decorator."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> bool:
        return False

    def __call__(self, func):
        return func


enable_grad = inference_mode = no_grad


def manual_seed(seed: Any) -> None:
    """Random ops take their recorded values, so seeds change nothing."""


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


_SUBMODULES = ("autograd", "linalg", "special")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        import importlib
        return importlib.import_module(f"pt2r.torch.{name}")
    value = _resolve(f"torch.{name}")
    globals()[name] = value
    return value
