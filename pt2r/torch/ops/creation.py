"""Tensors from outside the model: ``torch.load``, ``torch.from_numpy``, parameter initialisers.

``torch.load``, ``torch.from_numpy`` and random ops take their recorded
results (the replay context does that for them, so their builder never runs). Initialisers (``torch.nn.init.*``) leave parameters as
they are: a parameter's value always comes from the trace.
"""

from __future__ import annotations

from typing import Any

from pt2r.calls import EXTERNAL, RANDOM_OPS
from pt2r.torch._tensor import Tensor
from pt2r.torch.ops.registry import op


@op(*sorted(EXTERNAL | RANDOM_OPS))
def recorded(*args: Any, **kwargs: Any) -> Any:
    """External inputs and random ops take their recorded values; this never runs."""
    raise AssertionError("external inputs and random ops take their recorded values")


@op(*[f"torch.nn.init.{name}" for name in (
    "normal_ uniform_ constant_ ones_ zeros_ xavier_uniform_ xavier_normal_ kaiming_uniform_ "
    "kaiming_normal_ trunc_normal_ orthogonal_ eye_ dirac_").split()])
def init_(tensor: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Parameter initialisers: the parameter's value comes from the trace."""
    return tensor
