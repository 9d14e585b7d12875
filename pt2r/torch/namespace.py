"""Lazy namespaces of the drop-in (``torch``, ``torch.nn``, ``torch.nn.functional``, ...).

Each namespace module resolves a missing attribute here: a registered op or
leaf module of that qualified name; else, for a name real torch has
(`pt2r.torch.torch_names`), a placeholder that raises a clear "unsupported"
error naming the op and the user's line when it is used, so that importing
it (``from torch.nn import CrossEntropyLoss`` at the top of a model file)
works; else the "unsupported" error at once.
"""

from __future__ import annotations

from typing import Any

_placeholders: dict[str, Any] = {}


def resolve(qualified: str) -> Any:
    from pt2r.torch.ops import registry

    if qualified in registry.MODULES:
        return registry.MODULES[qualified]
    if qualified in registry.OPS or qualified in registry.ALIASES:
        return registry.public(qualified)
    placeholder = _placeholders.get(qualified) or _placeholder(qualified)
    if placeholder is None:
        raise registry.unsupported(qualified, attribute=True)  # an AttributeError: hasattr() probes
    return placeholder


def _placeholder(qualified: str) -> Any:
    """A stand-in for torch's ``qualified`` that fails when used; None if it is no class or function."""
    from pt2r.torch.ops import registry
    from pt2r.torch.torch_names import NAMES

    namespace, _, name = qualified.rpartition(".")
    kinds = NAMES.get(namespace, {})
    if name in kinds.get("class", "").split():
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            raise registry.unsupported(qualified)
        if namespace == "torch.nn":
            from pt2r.torch.nn.module import Module
            bases: tuple = (Module,)
        else:
            bases = (object,)
        value: Any = type(name, bases, {"__init__": __init__, "__module__": namespace, "__qualname__": name,
                                        "__doc__": f"{qualified}: not supported by pt2r's drop-in torch."})
    elif name in kinds.get("function", "").split():
        def value(*args: Any, **kwargs: Any) -> Any:
            raise registry.unsupported(qualified)
        value.__name__, value.__qualname__, value.__module__ = name, name, namespace
    else:
        return None
    _placeholders[qualified] = value
    return value
