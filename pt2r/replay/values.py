"""Between the trace and the drop-in: decoding recorded values, binding tensors to recorded data.

The trace's values (docs/trace-format.md, "Values") become drop-in objects;
tensors the model created without a value (parameters, buffers) are bound to
the trace's data for the call that first uses them.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator

from pt2r.errors import NameMismatchError
from pt2r.torch import _dtype
from pt2r.torch._size import Size, SizeExpr, SizeValue
from pt2r.torch._tensor import Tensor, device
from pt2r.torch.values import rename, value_tensor


def decode(ctx: Any, value: Any, *, constant_name: str) -> Any:
    """A recorded value as the drop-in sees it (tensors become values not yet in the net)."""
    if isinstance(value, list):
        return [decode(ctx, v, constant_name=f"{constant_name}.{i}") for i, v in enumerate(value)]
    if not isinstance(value, dict) or len(value) != 1:
        return value
    tag, inner = next(iter(value.items()))
    if tag == "$t":
        entry = ctx.meta["tensors"][inner]
        return value_tensor(ctx.array(inner), entry["dtype"], constant_name, entry["blob"])
    if tag == "$tuple":
        return tuple(decode(ctx, v, constant_name=f"{constant_name}.{i}") for i, v in enumerate(inner))
    if tag == "$dict":
        return OrderedDict((decode(ctx, k, constant_name=constant_name),
                            decode(ctx, v, constant_name=f"{constant_name}.{k}")) for k, v in inner)
    if tag == "$size":
        return Size(inner)
    if tag == "$dtype":
        return _dtype.by_name(inner)
    if tag == "$device":
        return device(inner)
    if tag == "$slice":
        return slice(*inner)
    if tag == "$ellipsis":
        return Ellipsis
    if tag == "$complex":
        return complex(*inner)
    return value  # "$module" / "$object": not reconstructable, kept as recorded


def _pairs(value: Any, recorded: Any) -> Iterator[tuple[Any, Any]]:
    """Walk a drop-in value and its recorded counterpart in parallel, yielding leaf pairs."""
    if isinstance(recorded, dict) and len(recorded) == 1:
        tag, inner = next(iter(recorded.items()))
        if tag == "$tuple":
            recorded = inner
        elif tag == "$dict":
            if isinstance(value, dict):
                rec = {k: v for k, v in inner if isinstance(k, (str, int))}
                for k, v in value.items():
                    if k in rec:
                        yield from _pairs(v, rec[k])
            return
    if isinstance(value, (list, tuple)) and isinstance(recorded, (list, tuple)):
        for v, r in zip(value, recorded):
            yield from _pairs(v, r)
    elif isinstance(value, dict) and isinstance(recorded, dict) and "$t" not in recorded:
        for k, v in value.items():
            if k in recorded:
                yield from _pairs(v, recorded[k])
    else:
        yield value, recorded


def pair_tensors(value: Any, recorded: Any) -> list[tuple[Tensor, int]]:
    """(drop-in tensor in the net, recorded tensor id) for every tensor in ``value``."""
    return [(v, r["$t"]) for v, r in _pairs(value, recorded)
            if isinstance(v, Tensor) and v._layer is not None and isinstance(r, dict) and "$t" in r]


def bind_tensor(ctx: Any, tensor: Tensor, tensor_id: int, name: str, dim_names: list[str] | None = None) -> None:
    """Give a tensor whose content comes from the trace (a parameter, buffer or constant) the
    recorded content ``tensor_id`` and the name ``name``; a tensor computed in the net is left alone.
    Its dims are named ``dim_names`` (default ``<name>:<axis>``) while it is not in the net."""
    if tensor._layer is not None and tensor.blob is None:
        return
    blob = ctx.meta["tensors"][tensor_id]["blob"]
    if tensor.blob == blob:
        if tensor._layer is None and tensor.name != name:  # e.g. a buffer, named by its module's path now
            rename(tensor, name, tensor.value.shape, dim_names)
        return
    array = ctx.array(tensor_id)
    if tuple(array.shape) != tuple(d.dimension for d in tensor.dims):
        raise NameMismatchError(f"The trace's value for {name} has shape {tuple(array.shape)}, the model's tensor "
                                f"{tuple(d.dimension for d in tensor.dims)}: the model code differs from the "
                                f"recording.")
    if tensor._layer is None:
        rename(tensor, name, array.shape, dim_names)
    tensor._layer = None  # a variable with another value before: a new variable
    tensor.value, tensor.blob, tensor.name = array, blob, name


def bind_inputs(ctx: Any, value: Any, recorded: Any, name: str) -> None:
    """Bind the trace-backed tensors among a call's inputs to the call's recorded inputs."""
    for i, (v, r) in enumerate(_pairs(value, recorded)):
        if isinstance(v, Tensor) and isinstance(r, dict) and "$t" in r:
            bind_tensor(ctx, v, r["$t"], v.name or f"{name}.in{i}")


def bind_module_state(ctx: Any, module: Any, module_name: str, rec: dict[str, Any]) -> None:
    """Give a module's parameters and buffers their values at this call, from the trace. A leaf
    module's submodules' are recorded with it, under dotted names (``out_proj.weight``)."""
    leaf = module._pt2r_is_leaf()
    for kind, method, own in (("params", module.named_parameters, module._parameters),
                              ("buffers", module.named_buffers, module._buffers)):
        table = dict(method()) if leaf else {k: v for k, v in own.items() if v is not None}
        recorded = rec.get(kind, {})
        missing = sorted(k for k in table if k not in recorded)
        if missing:
            raise NameMismatchError(f"Module {module_name} has {kind} {missing} that the trace does not have: the "
                                    f"model code differs from the recording.")
        for pname, ref in recorded.items():
            tensor = table.get(pname)
            if tensor is None:
                raise NameMismatchError(f"The trace has {kind[:-1]} {pname!r} of module {module_name}, the model does "
                                        f"not: the model code differs from the recording.")
            roles = type(module).axis_roles.get(pname)
            path = module_name.partition(".")[2] or module_name  # the module's attribute path in its root
            bind_tensor(ctx, tensor, ref["$t"], f"{module_name}.{pname}",
                        [f"{path}:{role}" for role in roles] if roles else None)
            tensor.is_state = True


def folded_name(args: tuple, kwargs: dict, call_layer_name: str) -> str:
    """The name of an op's result on constants: after the module parameter or buffer it is computed
    from and the op (``PQMF.updown_filter.mul``), else the call's layer name (``mul``)."""
    state = next((t for t in _tensors((args, kwargs)) if t.is_state), None)
    return f"{state.name}.{call_layer_name.rsplit('.', 1)[-1]}" if state is not None else call_layer_name


def _tensors(value: Any) -> Iterator[Tensor]:
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _tensors(v)


def _dynamic_sizes(value: Any) -> bool:
    if isinstance(value, (SizeValue, SizeExpr)):
        return True
    if isinstance(value, slice):
        return _dynamic_sizes((value.start, value.stop, value.step))
    if isinstance(value, (list, tuple)):
        return any(_dynamic_sizes(v) for v in value)
    if isinstance(value, dict):
        return any(_dynamic_sizes(v) for v in value.values())
    return False


def sized_by_input(args: tuple, kwargs: dict) -> bool:
    """A random op's result takes a size from the input (``torch.randint(0, 5, (b, t))``,
    ``torch.rand_like(x)``): the net draws it, so it follows the input's sizes."""
    return _dynamic_sizes((args, kwargs)) or any(
        d.dimension is None or d.is_batch_dim() for t in _tensors((args, kwargs)) for d in t.dims)


def foldable(args: tuple, kwargs: dict) -> bool:
    """An op on constants only (no tensor in the net, no parameter, no dynamic size): take its
    recorded output instead of building layers."""
    tensors = list(_tensors((args, kwargs)))
    if any((t._layer is not None and t.blob is None) or t.trainable for t in tensors):
        return False
    return not _dynamic_sizes((args, kwargs))


