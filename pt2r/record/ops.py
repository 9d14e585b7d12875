"""What the recorder calls things: canonical op names, torch leaf modules, module attributes.

Op names are the qualified names the trace stores and the replay registry is
keyed by: ``Tensor.<method>`` for tensor methods and operators (``x + y`` is
``Tensor.add``, ``1 - x`` is ``Tensor.__rsub__``), and for functions the
first public path found in ``torch.nn.functional``, ``torch``,
``torch.linalg``, ``torch.fft``, ``torch.special`` (so ``torch.conv1d``, the
same object as ``F.conv1d``, is ``torch.nn.functional.conv1d``).
"""

from __future__ import annotations

from typing import Any

import torch

from pt2r.import_wrapper import original_module_name

#: torch modules whose children are recorded (they have no computation of their own).
CONTAINERS = (torch.nn.Sequential,)

_NAMESPACES = (("torch.nn.functional", torch.nn.functional), ("torch", torch),
               ("torch.linalg", torch.linalg), ("torch.fft", torch.fft), ("torch.special", torch.special))
_function_names: dict[int, tuple[Any, str]] = {}


def _function_table() -> dict[int, tuple[Any, str]]:
    if not _function_names:
        for ns_name, ns in _NAMESPACES:
            for attr in dir(ns):
                if attr.startswith("_"):
                    continue
                obj = getattr(ns, attr, None)
                if callable(obj) and not isinstance(obj, type):
                    _function_names.setdefault(id(obj), (obj, f"{ns_name}.{attr}"))
    return _function_names


def op_name(func: Any) -> str:
    """The canonical qualified name of a function seen by ``__torch_function__``."""
    owner = getattr(func, "__self__", None)
    if type(owner).__name__ == "getset_descriptor":  # a tensor property, e.g. x.T
        return "Tensor." + owner.__name__
    entry = _function_table().get(id(func))
    if entry is not None:
        return entry[1]
    qualname = getattr(func, "__qualname__", "") or ""
    if qualname.startswith(("TensorBase.", "Tensor.")):
        return "Tensor." + func.__name__
    module = getattr(func, "__module__", None) or "torch"
    return f"{module}.{qualname or getattr(func, '__name__', repr(func))}"


def class_name(cls: type) -> str:
    """Qualified class name, public torch path for torch classes (``torch.nn.Conv1d``)."""
    if cls.__module__.startswith("torch.nn") and getattr(torch.nn, cls.__name__, None) is cls:
        return "torch.nn." + cls.__name__
    return f"{original_module_name(cls.__module__)}.{cls.__qualname__}"


def torch_base(cls: type) -> type | None:
    """The first class in the MRO that torch defines, skipping the ``Parametrized<Class>`` that
    ``torch.nn.utils.parametrize`` makes: a parametrized ``Conv1d`` is recorded as a ``Conv1d``."""
    for base in cls.__mro__:
        if base.__module__ == "torch.nn.utils.parametrize" and base.__name__.startswith("Parametrized"):
            continue
        if base.__module__ == "torch" or base.__module__.startswith("torch."):
            return base
    return None


def is_leaf(module: torch.nn.Module) -> bool:
    """A torch-defined computation: its ``forward`` is torch's and it is not a container."""
    forward = getattr(type(module), "forward", None)
    forward_module = getattr(forward, "__module__", "") or ""
    return forward_module.startswith("torch") and not isinstance(module, CONTAINERS)


def is_plain(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (tuple, list)):
        return all(is_plain(v) for v in value)
    return False


def module_attributes(module: torch.nn.Module) -> dict[str, Any]:
    """Constructor-relevant attributes: the public plain-data ones (kernel_size, stride, eps, ...)."""
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(module).items()
            if not k.startswith("_") and k != "training" and is_plain(v)}
