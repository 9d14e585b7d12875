"""The drop-in ``torch.nn``: modules, containers, and the leaf modules of the op registry."""

from typing import Any

from pt2r.torch._tensor import Buffer, Parameter  # noqa: F401
from pt2r.torch.nn.module import Module, ModuleDict, ModuleList, Sequential  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in ("functional", "utils", "init"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    from pt2r.torch.namespace import resolve
    value = resolve(f"torch.nn.{name}")
    globals()[name] = value
    return value
