"""The drop-in ``torch.nn.utils.parametrizations``: weight norm (built in `pt2r.torch.ops.parametrize`)."""

from typing import Any

from pt2r.torch.ops.parametrize import _WeightNorm, weight_norm  # noqa: F401


def __getattr__(name: str) -> Any:
    from pt2r.torch.namespace import resolve
    return resolve(f"torch.nn.utils.parametrizations.{name}")
