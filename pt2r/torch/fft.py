"""The drop-in ``torch.fft``: the registry's ``torch.fft.*`` ops."""

from typing import Any


def __getattr__(name: str) -> Any:
    from pt2r.torch.namespace import resolve
    value = resolve(f"torch.fft.{name}")
    globals()[name] = value
    return value
