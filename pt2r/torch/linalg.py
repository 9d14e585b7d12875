"""The drop-in ``torch.linalg``: the registry's ``torch.linalg.*`` ops."""

from typing import Any


def __getattr__(name: str) -> Any:
    from pt2r.torch.namespace import resolve
    value = resolve(f"torch.linalg.{name}")
    globals()[name] = value
    return value
