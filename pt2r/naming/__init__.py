"""Unique hierarchical names for module instances, module calls and op calls.

Both phases run the same model code, one on real torch (record), one on the
drop-in (replay); this module names what happens in both, so a call in the
trace and the call replaying it meet by name. It knows nothing about torch:
the phase passes a function listing a module's children.

Invariants (tested in tests/test_naming.py):

1. Every module instance gets exactly one name, assigned when it or an
   ancestor is first called, and never changed.
2. Module names are unique in a run. A module reachable from a called module
   is named by its attribute path below it, like ``state_dict`` prefixes
   (``MelGANGenerator.melgan.1.conv``); a module's whole subtree is named when
   the module is named, in registration order, so a module reachable by two
   paths gets the first. A module called with no module call around it is a
   root, named after its class (``PQMF``). A module called inside a module
   call but not reachable from that module's tree is named ``<caller
   module>.<ClassName>``.
3. Call names are unique in a run. A call's name is its parent call's name,
   ``/``, and a local name: for a module call, the module's path relative to
   the calling module (its full name when it is not below it); for an op
   call, the op's short name (``transpose`` for ``Tensor.transpose``, ``pad``
   for ``torch.nn.functional.pad``, ``rsub`` for ``Tensor.__rsub__``, ``mul_``
   for the in-place ``Tensor.mul_``). The
   n-th repeat of a local name among siblings gets the suffix ``_n``
   (``conv``, ``conv_1``); a suffixed name that is already taken is suffixed
   again, so no two siblings share a name.
4. Names depend only on attribute names, class names, op names and the order
   of calls: never on object ids, tensor values, or which torch runs the code.
   The same model code called the same way yields the same names.
5. Names use only ``[A-Za-z0-9_.]``, plus ``/`` between call levels; other
   characters (e.g. in ``ModuleDict`` keys) become ``_``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

ChildrenOf = Callable[[Any], Iterable[tuple[str, Any]]]

_INVALID = re.compile(r"[^A-Za-z0-9_.]")


def clean(name: str) -> str:
    """Replace characters that names may not contain by ``_``."""
    return _INVALID.sub("_", name) or "_"


def op_short_name(op: str) -> str:
    """``Tensor.__rsub__`` -> ``rsub``; ``torch.nn.functional.pad`` -> ``pad``; ``Tensor.mul_`` -> ``mul_``."""
    short = op.rsplit(".", 1)[-1]
    if short.startswith("__") and short.endswith("__") and len(short) > 4:
        short = short[2:-2]
    return clean(short)


def unique(base: str, taken: set[str]) -> str:
    """``base`` if free, else ``base_1``, ``base_2``, ...; the result is added to ``taken``."""
    name, n = base, 0
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


@dataclass
class _Frame:
    call_name: str | None
    module_name: str | None
    children: set[str] = field(default_factory=set)


class Namer:
    """Names modules and calls as they happen; one instance per model run.

    ``children_of(module)`` yields ``(attribute name, child module)`` in
    registration order (``module._modules.items()`` in both phases).
    """

    def __init__(self, children_of: ChildrenOf):
        self._children_of = children_of
        self._module_names: dict[int, tuple[Any, str]] = {}  # id -> (module kept alive, name)
        self._modules_by_name: dict[str, Any] = {}
        self._taken_module_names: set[str] = set()
        self._stack: list[_Frame] = [_Frame(None, None)]

    def module_name(self, module: Any) -> str | None:
        """The module's name, or None if it has not been named yet."""
        entry = self._module_names.get(id(module))
        return entry[1] if entry else None

    def roots(self) -> list[tuple[str, Any]]:
        """``(name, module)`` of the modules named at the top (called from outside any module)."""
        return [(name, module) for name, module in self._modules_by_name.items() if "." not in name]

    def enter_module_call(self, module: Any) -> tuple[str, str]:
        """Open a module call; returns ``(call name, module name)``. Pair with `exit_call`."""
        parent = self._stack[-1]
        module_name = self._name_module(module, parent.module_name)
        if parent.module_name and module_name.startswith(parent.module_name + "."):
            local = module_name[len(parent.module_name) + 1:]
        else:
            local = module_name
        call_name = self._child_call_name(parent, local)
        self._stack.append(_Frame(call_name, module_name))
        return call_name, module_name

    def exit_call(self) -> None:
        """Close the innermost module call."""
        if len(self._stack) == 1:
            raise RuntimeError("exit_call without a matching enter_module_call")
        self._stack.pop()

    def op_call(self, op: str) -> str:
        """Name an op call made in the current context (ops have no children)."""
        return self._child_call_name(self._stack[-1], op_short_name(op))

    @property
    def depth(self) -> int:
        """Number of open module calls."""
        return len(self._stack) - 1

    def _child_call_name(self, parent: _Frame, local: str) -> str:
        local = unique(local, parent.children)
        return f"{parent.call_name}/{local}" if parent.call_name else local

    def _name_module(self, module: Any, caller_module_name: str | None) -> str:
        name = self.module_name(module)
        if name is not None:
            return name
        caller = self._modules_by_name.get(caller_module_name) if caller_module_name else None
        if caller is not None:
            self._name_subtree(caller, caller_module_name)  # picks up children added since
            name = self.module_name(module)
            if name is not None:
                return name
            base = f"{caller_module_name}.{clean(type(module).__name__)}"
        else:
            base = clean(type(module).__name__)
        name = self._assign(module, base)
        self._name_subtree(module, name)
        return name

    def _assign(self, module: Any, base: str) -> str:
        name = unique(base, self._taken_module_names)
        self._module_names[id(module)] = (module, name)
        self._modules_by_name[name] = module
        return name

    def _name_subtree(self, module: Any, name: str) -> None:
        """Name every not yet named module below ``module``, depth first."""
        todo = [(module, name)]
        while todo:
            parent, parent_name = todo.pop()
            named_children = []
            for attr, child in self._children_of(parent):
                if child is None or self.module_name(child) is not None:
                    continue
                named_children.append((child, self._assign(child, f"{parent_name}.{clean(attr)}")))
            todo.extend(reversed(named_children))
