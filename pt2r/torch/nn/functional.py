"""The drop-in ``torch.nn.functional``: the registry's ``torch.nn.functional.*`` ops."""

from typing import Any


def __getattr__(name: str) -> Any:
    from pt2r.torch.namespace import resolve
    value = resolve(f"torch.nn.functional.{name}")
    globals()[name] = value
    return value
