"""Lazy namespaces of the drop-in (``torch``, ``torch.nn``, ``torch.nn.functional``, ...).

Each namespace module resolves a missing attribute here: a registered op or
leaf module of that qualified name, or a clear "unsupported" error naming
the op and the user's line.
"""

from __future__ import annotations

from typing import Any


def resolve(qualified: str) -> Any:
    from pt2r.torch.ops import registry

    if qualified in registry.MODULES:
        return registry.MODULES[qualified]
    if qualified in registry.OPS or qualified in registry.ALIASES:
        return registry.public(qualified)
    raise registry.unsupported(qualified)
