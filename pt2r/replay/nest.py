"""The exported network nested as the model is: a subnetwork per call of a user module.

The replay builds and verifies one flat network, its layers named after
their calls (``MelGANGenerator.melgan.1``). The export nests it: each call
of a module with its own ``forward`` (user modules, ``Sequential``) becomes
a ``subnetwork`` layer in its caller's network, named by the module
attribute (``melgan``), holding the layers its code built (a torch leaf
module's are named by its attribute too: ``1``, ``1.weight``) and an
``output`` layer, a copy of what the call returned. References between
layers become RETURNN's relative ones: ``base:`` to go up a level,
``melgan/1`` to reach into a subnetwork. A module called twice is two
subnetwork layers, each with its variable layers; the second call's share the
first's variables by RETURNN's ``reuse_params`` (so does any variable used in
another module's subnetwork than the one it was made in, e.g. tied weights):
a subnetwork reaches no variable by reference but its parents' own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pt2r.torch.ops.build import LayerRef

#: a scope: the names of the open module calls, outermost first ("" for the root network)
Scope = tuple[str, ...]


@dataclass
class _Net:
    entries: dict[str, Any] = field(default_factory=dict)  # local name -> layer dict or _Net, in build order


def _flat_prefix(call_name: str) -> str:
    return call_name.replace("/", ".") + "."


def _local(name: str, scope: Scope, taken: set[str]) -> str:
    """A layer's name in its scope's network: its flat name less the scope's call name; ``.layer``
    appended where that is a name RETURNN gives a meaning in a subnetwork (``output``, ``data``: a
    module attribute ``output``) or the name of a child subnetwork in the same network."""
    prefix = _flat_prefix(scope[-1]) if scope else ""
    local = name[len(prefix):] if prefix and name.startswith(prefix) else name
    if (scope and local in ("output", "data")) or local in taken:  # RETURNN's own names, or a child subnetwork's
        local = f"{local}.layer"
    return local


def _refs(value: Any, is_from: bool = False) -> list[str]:
    """The layer names a layer dict's option refers to (`LayerRef`, or any string under ``"from"``;
    a ``rec`` layer's unit reaches the layers around it as ``LayerRef("base:<name>")``)."""
    if isinstance(value, LayerRef) and value.startswith("base:"):
        return [value[len("base:"):]]
    if isinstance(value, str):
        return [value] if isinstance(value, LayerRef) or is_from else []
    if isinstance(value, (list, tuple)):
        return [r for v in value for r in _refs(v, is_from)]
    if isinstance(value, dict):
        return [r for k, v in value.items() for r in _refs(v, is_from or k == "from")]
    return []


def needed(net_dict: dict[str, dict[str, Any]], roots: list[str]) -> dict[str, dict[str, Any]]:
    """The layers of ``net_dict`` that ``roots`` depend on (the verified net also holds layers no output
    needs: a parameter's computation made while building the model, a folded constant's)."""
    keep, todo = set(), list(roots)
    while todo:
        name = todo.pop()
        if name in keep or name not in net_dict:
            continue
        keep.add(name)
        todo.extend(_refs(net_dict[name]))
    return {name: layer for name, layer in net_dict.items() if name in keep}


def nest(net_dict: dict[str, dict[str, Any]], scopes: dict[str, Scope],
         outputs: dict[str, list[str]]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """The nested network of the flat ``net_dict``, and each flat layer's path in it (``a/b/x``).

    ``scopes`` gives each layer's scope (layers without one are the root's); ``outputs`` each
    module call's output layers (the first becomes its subnetwork's ``output``).
    """
    outputs = {call: [n for n in names if n in net_dict] for call, names in outputs.items()}
    call_local: dict[Scope, str] = {}  # scope -> its subnetwork layer's name in its parent's network
    children_taken: dict[Scope, set[str]] = {}
    used = {scopes.get(name, ()) for name in net_dict}
    for scope in sorted({s[:i] for s in used for i in range(1, len(s) + 1)}, key=len):
        parent = scope[:-1]
        local = _local(scope[-1].replace("/", "."), parent, set())
        children_taken.setdefault(parent, set()).add(local)
        call_local[scope] = local
    path: dict[str, tuple[Scope, str]] = {}
    for name in net_dict:
        scope = scopes.get(name, ())
        path[name] = (scope, _local(name, scope, children_taken.get(scope, set())))

    def scope_path(scope: Scope) -> list[str]:
        return [call_local[scope[:i]] for i in range(1, len(scope) + 1)]

    def ref(target: str, at: Scope) -> str:
        if target == "data" or target.startswith("data:"):
            return "base:" * len(at) + target
        scope, local = path[target]
        while scope and (outputs.get(scope[-1]) or [None])[0] == target and at[:len(scope)] != scope:
            scope, local = scope[:-1], call_local[scope]  # a call's result, from outside: the subnetwork layer
        common = 0
        while common < min(len(at), len(scope)) and at[common] == scope[common]:
            common += 1
        down = scope_path(scope)[common:]
        return "base:" * (len(at) - common) + "/".join(down + [local])

    root = _Net()

    def net_of(scope: Scope) -> _Net:
        net = root
        for i in range(1, len(scope) + 1):
            net = net.entries.setdefault(call_local[scope[:i]], _Net())
        return net

    taken: dict[Scope, set[str]] = {}
    for scope, local in path.values():
        taken.setdefault(scope, set(children_taken.get(scope, ()))).add(local)
    shared: dict[tuple[Scope, str], str] = {}  # (scope, variable layer made elsewhere) -> its local copy

    def variable_ref(target: str, at: Scope) -> str:
        """A reference to ``target``; a variable layer made in another module's subnetwork than ``at``
        or its parents gets a local variable layer that reuses its parameters."""
        scope, local = path[target]
        if net_dict[target]["class"] != "variable" or at[:len(scope)] == scope:
            return ref(target, at)
        if (at, target) not in shared:
            mine = local
            while mine in taken.setdefault(at, set()):
                mine += "_shared"
            taken[at].add(mine)
            shared[(at, target)] = mine
            net_of(at).entries[mine] = {**net_dict[target], "reuse_params": ref(target, at)}
        return shared[(at, target)]

    def rewrite(value: Any, at: Scope, is_from: bool = False) -> Any:
        if isinstance(value, LayerRef) and value.startswith("base:") and value[len("base:"):] in path:
            return "base:" + variable_ref(value[len("base:"):], at)  # from inside a rec layer's unit
        if isinstance(value, str):
            is_ref = (isinstance(value, LayerRef) or is_from) and \
                (value in path or value == "data" or value.startswith("data:"))
            return (ref(value, at) if value not in path else variable_ref(value, at)) if is_ref else value
        if isinstance(value, list):
            return [rewrite(v, at, is_from) for v in value]
        if isinstance(value, tuple):
            return tuple(rewrite(v, at, is_from) for v in value)
        if isinstance(value, dict):
            return {k: rewrite(v, at, is_from) for k, v in value.items()}
        return value

    for name, layer in net_dict.items():
        scope, local = path[name]
        net_of(scope).entries[local] = {k: rewrite(v, scope, k == "from") for k, v in layer.items()}
    for scope in call_local:
        results = outputs.get(scope[-1]) or []
        net = net_of(scope)
        layers = [local for local, entry in net.entries.items() if isinstance(entry, dict)]
        if results and results[0] in path:
            net.entries["output"] = {"class": "copy", "from": ref(results[0], scope)}
        else:  # a call returning no tensor of the net: its last layer stands for it
            net.entries["output"] = {"class": "copy", "from": layers[-1] if layers else "base:" * len(scope) + "data"}

    def as_dict(net: _Net) -> dict[str, dict[str, Any]]:
        return {local: {"class": "subnetwork", "from": [], "subnetwork": as_dict(entry)} if isinstance(entry, _Net)
                else entry for local, entry in net.entries.items()}

    return as_dict(root), {name: "/".join(scope_path(scope) + [local]) for name, (scope, local) in path.items()}
