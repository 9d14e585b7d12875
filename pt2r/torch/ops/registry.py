"""The op registry: torch's qualified names -> builders of RETURNN layers.

Each op family module (one file per family, in this package) registers its
builders with `op`, keyed by the qualified name the trace stores
(``torch.nn.functional.conv1d``, ``Tensor.transpose``), and its leaf module
classes with `module`. The drop-in's public functions, tensor methods and
operators are thin wrappers made here (`public`): they hand each call to
the replay context, which names it, checks it against the trace and then
calls the builder. Replay looks ops up here before building anything, so
unsupported ops are reported all at once (`missing`).
"""

from __future__ import annotations

import contextlib
import dis
import os
import sys
from typing import Any, Callable, Iterator

from pt2r.errors import UnsupportedAttributeError, UnsupportedImportError, UnsupportedOpError

OPS: dict[str, Callable[..., Any]] = {}
MODULES: dict[str, type] = {}
#: extra public names that are the same object as a registered name in torch (``torch.conv1d`` is ``F.conv1d``)
ALIASES: dict[str, str] = {}
_public: dict[str, Callable[..., Any]] = {}
_TORCH_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # pt2r/torch/


def op(*names: str, aliases: tuple[str, ...] = ()) -> Callable:
    """Register a builder for each of ``names`` (each recorded under its own name)."""
    def register(builder: Callable) -> Callable:
        for name in names:
            if name in OPS:
                raise RuntimeError(f"op {name} registered twice")
            OPS[name] = builder
        for alias in aliases:
            ALIASES[alias] = names[0]
        return builder
    return register


def module(torch_name: str) -> Callable[[type], type]:
    """Register a drop-in leaf module class under torch's public class name (``torch.nn.Conv1d``)."""
    def register(cls: type) -> type:
        cls._pt2r_torch_name = torch_name
        MODULES[torch_name] = cls
        return cls
    return register


@contextlib.contextmanager
def user_ops(builders: dict[str, Callable[..., Any]]) -> Iterator[None]:
    """Torch functions pt2r lacks that the user converts (`pt2r.converters`), registered for one
    replay: model code finds them in the drop-in's namespaces (``F.fused_thing``) meanwhile."""
    added = [name for name in builders if name not in OPS]
    for name in added:
        _uncache(name)
        OPS[name] = builders[name]
    try:
        yield
    finally:
        for name in added:
            _uncache(name)
            OPS.pop(name, None)
            _public.pop(name, None)


def _uncache(name: str) -> None:
    """Forget what a drop-in namespace module keeps of ``name`` (its public function or placeholder,
    set on first use), so that the next use resolves it again."""
    from pt2r.torch.namespace import _placeholders
    prefix, _, attr = name.rpartition(".")
    module = sys.modules.get("pt2r." + prefix) if prefix == "torch" or prefix.startswith("torch.") else None
    value = vars(module).get(attr) if module is not None else None
    if value is not None and (value is _placeholders.get(name) or value is _public.get(name)):
        delattr(module, attr)


def public(name: str) -> Callable[..., Any]:
    """The function model code calls for op ``name`` (one object per name, like torch's)."""
    name = ALIASES.get(name, name)
    wrapper = _public.get(name)
    if wrapper is None:
        builder = OPS[name]

        def wrapper(*args, **kwargs):
            from pt2r.torch.backend import current
            return current().op_call(name, builder, args, kwargs, sys._getframe(1))

        wrapper.__name__ = name.rsplit(".", 1)[-1]
        wrapper.__qualname__ = name
        wrapper.__doc__ = builder.__doc__
        _public[name] = wrapper
    return wrapper


def namespace(prefix: str) -> dict[str, Callable[..., Any]]:
    """The public functions whose qualified names are ``prefix.<attr>``, by attr."""
    names = [n for n in list(OPS) + list(ALIASES) if n.rpartition(".")[0] == prefix]
    return {n.rpartition(".")[2]: public(n) for n in names}


def unsupported(name: str, *, attribute: bool = False) -> Exception:
    """The error for model code touching something of torch the drop-in does not have.

    With ``attribute``, ``name`` is a missing attribute (``torch.foo``, ``x.foo``): the error is then
    also an ``AttributeError`` (so ``hasattr`` and ``getattr(obj, name, default)`` probe as on torch),
    or an ``ImportError`` for ``from torch import foo``; asked by pt2r's own code, it is a plain
    ``AttributeError`` (pt2r probing, or a bug in pt2r: not the model's use of an unsupported op)."""
    from pt2r.torch.backend import active, is_internal_frame, source_of
    frame = sys._getframe(2)
    if attribute:
        asking = _asking_frame(sys._getframe(1))
        if asking is not None and is_internal_frame(asking):
            return AttributeError(f"pt2r's drop-in torch has no {name}")
    source = source_of(frame)
    call = active().current_call_name() if active() is not None else None
    where = f" in call {call!r}" if call and call != "net" else ""
    at = f" at {source[0]}:{source[1]}" if source else ""
    message = f"{name} is not supported by pt2r's drop-in torch{where}{at}. See docs/supported-ops.md for what is."
    if not attribute:
        return UnsupportedOpError(message)
    if asking is not None and 0 <= asking.f_lasti and asking.f_code.co_code[asking.f_lasti] == _IMPORT_FROM:
        return UnsupportedImportError(message)
    return UnsupportedAttributeError(message)


_IMPORT_FROM = dis.opmap["IMPORT_FROM"]


def _asking_frame(frame: Any) -> Any:
    """The frame whose attribute access reached the drop-in's ``__getattr__`` (namespace modules and
    ``Tensor``) and this error."""
    while frame is not None and frame.f_code.co_name in ("unsupported", "resolve", "__getattr__") \
            and frame.f_code.co_filename.startswith(_TORCH_DIR):
        frame = frame.f_back
    return frame


def missing(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Recorded calls whose op or leaf module the registry lacks (one entry per distinct target)."""
    seen: dict[str, dict[str, Any]] = {}
    for call in meta["calls"]:
        target = call["target"]
        if call["kind"] == "op":
            known = target in OPS
        else:
            known = not meta["modules"][call["module"]]["leaf"] or target in MODULES
        if not known and target not in seen:
            seen[target] = {"target": target, "kind": call["kind"], "call": call["name"],
                            "source": call.get("source"), "count": 0}
        if not known:
            seen[target]["count"] += 1
    return list(seen.values())


#: ``Tensor.*`` ops that torch offers as properties (``x.T``), not methods
TENSOR_PROPERTIES = frozenset({"T", "mT", "real", "imag"})


def install_tensor_methods(tensor_class: type) -> None:
    """Tensor methods and Python operators, each the wrapper of its recorded op name."""
    from pt2r.calls import OPERATORS

    for name in list(OPS) + list(ALIASES):
        prefix, _, attr = name.rpartition(".")
        if prefix == "Tensor" and not (attr.startswith("__") and attr.endswith("__")):
            setattr(tensor_class, attr, property(public(name)) if attr in TENSOR_PROPERTIES else public(name))
    for dunder, name in OPERATORS.items():
        if name in OPS:
            setattr(tensor_class, dunder, public(name))
        else:
            setattr(tensor_class, dunder, _unsupported_operator(name))
    if "Tensor.ne" in OPS:
        tensor_class.__ne__ = _ne
    if "Tensor.__iter__" in OPS:
        tensor_class.__iter__ = _iter


def _iter(self: Any) -> Any:
    """``q, k, v = x``: torch iterates ``x.unbind(0)``, recorded as ``Tensor.__iter__``."""
    from pt2r.torch.backend import current
    return iter(current().op_call("Tensor.__iter__", OPS["Tensor.__iter__"], (self,), {}, sys._getframe(1)))


def _ne(self: Any, other: Any) -> Any:
    """``x != None`` is Python's identity comparison in torch (not recorded), not an op."""
    if other is None or not (isinstance(other, (int, float, bool)) or hasattr(other, "dims")):
        return NotImplemented
    from pt2r.torch.backend import current
    return current().op_call("Tensor.ne", OPS["Tensor.ne"], (self, other), {}, sys._getframe(1))


def _unsupported_operator(name: str) -> Callable[..., Any]:
    def operator(*args: Any, **kwargs: Any) -> Any:
        raise unsupported(name)
    operator.__name__ = name.rpartition(".")[2]
    return operator
