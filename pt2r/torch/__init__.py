"""pt2r's drop-in ``torch``: model code runs on it and builds a RETURNN network.

`wrapped_import` points model code's ``import torch`` here during replay.
What it offers is what the op registry (`pt2r.torch.ops`) maps; anything else
raises an error naming the op and the user's source line. Needs TensorFlow
and RETURNN, never the real torch.
"""

from __future__ import annotations

from typing import Any

from pt2r.torch._dtype import (  # noqa: F401
    bfloat16, bool, cdouble, cfloat, chalf, complex32, complex64, complex128, double, dtype, float, float16,
    float32, float64, float4_e2m1fn_x2, float8_e4m3fn, float8_e4m3fnuz, float8_e5m2, float8_e5m2fnuz,
    float8_e8m0fnu, finfo, half, iinfo, int, int8, int16, int32, int64, long, short, uint8, uint16, uint32, uint64)
from pt2r.torch._size import Size  # noqa: F401
from pt2r.torch._tensor import LEGACY_CLASSES, Tensor, device  # noqa: F401
from pt2r.torch import ops as _ops  # noqa: F401  (registers every op family)
from pt2r.torch import nn  # noqa: F401
from pt2r.torch.ops.linear import einsum_function as einsum  # noqa: F401  (also the sublist format)
from pt2r.torch.namespace import resolve as _resolve
from pt2r.torch import _platform
from pt2r.torch import _einops

__version__ = "2.13.0"  # the torch version whose behaviour the drop-in follows
globals().update(LEGACY_CLASSES)  # torch.FloatTensor, torch.LongTensor, ...


class no_grad:
    """Gradients are not part of a conversion: a no-op context manager and decorator (also bare:
    ``@torch.no_grad``)."""

    def __new__(cls, orig_func: Any = None):
        return super().__new__(cls) if orig_func is None else orig_func

    def __init__(self, orig_func: Any = None) -> None:
        pass

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


# Global state model code queries or sets: the drop-in is torch on the CPU, in float32, without gradients
# (the record runs under no_grad).
def get_default_device() -> device:
    return device("cpu")


def get_default_dtype() -> dtype:
    return float32


def set_default_dtype(d: dtype) -> None:
    if d is not float32:
        from pt2r.torch.ops.registry import unsupported
        raise unsupported(f"torch.set_default_dtype({d})")


def is_grad_enabled() -> bool:
    return False


def is_inference_mode_enabled() -> bool:
    return False


def is_autocast_enabled(*args: Any) -> bool:
    return False


def set_grad_enabled(mode: bool) -> no_grad:
    return no_grad()


_SUBMODULES = ("autograd", "linalg", "special")
_platform.install()
_einops.install()  # einops knows the drop-in's tensors


def __getattr__(name: str) -> Any:
    from pt2r.torch.torch_names import SUBMODULES
    if name in _SUBMODULES or f"torch.{name}" in SUBMODULES:
        import importlib
        return importlib.import_module(f"pt2r.torch.{name}")
    value = _resolve(f"torch.{name}")
    globals()[name] = value
    return value
