"""The drop-in ``torch.nn.init``: initialisers leave parameters alone (values come from the trace).

Torch's initialisers dispatch through their module's global of their own name. A package that
replaces ``torch.nn.init.<name>`` (transformers guards its initialisers so while it builds a
model) thereby makes torch call the replacement from inside torch, where the record phase sees
no call; the drop-in's initialisers do the same (see `_dispatching`).
"""

import sys
from typing import Any, Callable


def __getattr__(name: str) -> Any:
    from pt2r.calls import DISPATCHED_INITIALISERS, INITIALISERS
    from pt2r.torch.namespace import resolve
    qualified = f"torch.nn.init.{name}"
    if qualified in DISPATCHED_INITIALISERS:
        value = _dispatching(name)
    elif qualified in INITIALISERS:
        value = _unrecorded(name)
    else:
        value = resolve(qualified)
    globals()[name] = value
    return value


def _unrecorded(name: str) -> Callable[..., Any]:
    """An initialiser torch runs unseen by the record phase (no ``__torch_function__`` dispatch): no call."""
    def initialiser(tensor: Any, *args: Any, **kwargs: Any) -> Any:
        return tensor

    initialiser.__name__ = initialiser.__qualname__ = name
    return initialiser


def _dispatching(name: str) -> Callable[..., Any]:
    qualified = f"torch.nn.init.{name}"

    def initialiser(tensor: Any, *args: Any, **kwargs: Any) -> Any:
        from pt2r.torch.ops import registry
        from pt2r.torch.backend import current
        if globals().get(name) is not initialiser:
            return tensor  # replaced: torch would dispatch to the replacement unrecorded; values are the trace's
        return current().op_call(qualified, registry.OPS[qualified], (tensor, *args), kwargs, sys._getframe(1))

    initialiser.__name__ = initialiser.__qualname__ = name
    return initialiser
