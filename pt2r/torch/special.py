"""The drop-in ``torch.special``: the registry's ``torch.special.*`` ops."""

from typing import Any


def __getattr__(name: str) -> Any:
    from pt2r.torch.namespace import resolve
    value = resolve(f"torch.special.{name}")
    globals()[name] = value
    return value
