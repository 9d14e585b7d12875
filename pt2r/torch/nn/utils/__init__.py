"""The drop-in ``torch.nn.utils``: weight norm (parametrizations: `pt2r.torch.ops.parametrize`).

``weight_norm`` replaces a module's ``weight`` parameter by ``weight_g`` and
``weight_v`` and recomputes ``weight = g * v / ||v||`` before every call, in
the net, as torch does; ``remove_weight_norm`` turns it back into a plain
``weight`` parameter, whose value the trace supplies at the next call.
"""

from __future__ import annotations

from typing import Any

from pt2r.errors import UnsupportedOpError
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module
from pt2r.torch.values import static_dims


def weight_norm_value(g: Tensor, v: Tensor, dim: int) -> Tensor:
    """``g * v / ||v||``, the norm over every axis of ``v`` but ``dim`` (torch's ``_weight_norm``)."""
    from pt2r.torch.ops.build import make, unify
    from pt2r.torch.ops.build import activation
    dim = dim % v.ndim
    norm_axes = [d for i, d in enumerate(v.dims) if i != dim]
    squared = activation(v, "square")
    sum_sq = make({"class": "reduce", "mode": "sum", "from": squared, "axes": norm_axes}, [v.dims[dim]],
                  dtype=v.dtype)
    g = unify(g, dim, v.dims[dim])
    g_dims = [d for i, d in enumerate(g.dims) if i != dim]
    g = make({"class": "squeeze", "from": g, "axis": g_dims}, [v.dims[dim]], dtype=g.dtype)
    scale = make({"class": "combine", "kind": "multiply", "from": [g, activation(sum_sq, "rsqrt")]}, [v.dims[dim]],
                 dtype=v.dtype)  # g / ||v||, per slice along ``dim``
    return make({"class": "combine", "kind": "multiply", "from": [v, scale], "allow_broadcast_all_sources": True},
                v.dims, dtype=v.dtype)


class WeightNorm:
    def __init__(self, name: str, dim: int):
        self.name, self.dim = name, dim

    def compute_weight(self, module: Module) -> Tensor:
        return weight_norm_value(getattr(module, self.name + "_g"), getattr(module, self.name + "_v"), self.dim)

    def __call__(self, module: Module, inputs: Any) -> None:
        object.__setattr__(module, self.name, self.compute_weight(module))


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    if dim is None:
        raise UnsupportedOpError("weight_norm with dim=None is not supported")
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, WeightNorm) and hook.name == name:
            raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    weight = module._parameters.pop(name)
    shape = [d.dimension for d in weight.dims]
    g_shape = [n if i == dim % len(shape) else 1 for i, n in enumerate(shape)]
    module.register_parameter(name + "_g", Parameter(Tensor(static_dims(g_shape, "param"), weight.dtype)))
    module.register_parameter(name + "_v", Parameter(Tensor(static_dims(shape, "param"), weight.dtype)))
    module.register_forward_pre_hook(WeightNorm(name, dim))
    # torch computes the weight once here too; model code may touch it (e.g. to re-initialise it).
    # Its value does not matter: the hook recomputes it from weight_g and weight_v at every call.
    object.__setattr__(module, name, Tensor(static_dims(shape, "param"), weight.dtype))
    return module


def remove_weight_norm(module: Module, name: str = "weight") -> Module:
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            v = module._parameters.pop(name + "_v")
            del module._parameters[name + "_g"]
            module.__dict__.pop(name, None)
            module.register_parameter(name, Parameter(Tensor(static_dims([d.dimension for d in v.dims], "param"),
                                                             v.dtype)))
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")


def __getattr__(name: str) -> Any:
    """``torch.nn.utils.rnn``, and a clear error for what the drop-in lacks."""
    if name in ("rnn", "parametrize", "parametrizations"):
        import importlib
        return importlib.import_module(f"pt2r.torch.nn.utils.{name}")
    from pt2r.torch.namespace import resolve
    return resolve(f"torch.nn.utils.{name}")
