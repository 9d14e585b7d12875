"""The drop-in ``torch.nn.init``: initialisers leave parameters alone (values come from the trace)."""

from typing import Any


def __getattr__(name: str) -> Any:
    from pt2r.torch.namespace import resolve
    value = resolve(f"torch.nn.init.{name}")
    globals()[name] = value
    return value
