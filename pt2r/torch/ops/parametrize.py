"""Op family parametrize: ``torch.nn.utils.parametrize`` and ``parametrizations.weight_norm``.

A parametrized module (``register_parametrization``) keeps its tensor's
originals in ``module.parametrizations.<name>`` (a `ParametrizationList`:
``original``, or ``original0``, ``original1``, ... when the parametrization's
``right_inverse`` splits the tensor) and computes the tensor from them at
every access, by calling that list: a torch leaf module, recorded as a call
when model code touches the tensor outside a leaf. Its class becomes a
subclass named ``Parametrized<Class>``, which the trace names by the class it
parametrizes (``torch.nn.Conv1d``), as pt2r.record.ops.torch_base does.

The originals' values come from the trace, so a ``right_inverse`` is not
evaluated here; its outputs' shapes must be known without values, which they
are for weight norm (the one parametrization of ``torch.nn.utils.parametrizations``
this family supports) and for parametrizations without a ``right_inverse``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pt2r.errors import UnsupportedOpError
from pt2r.torch._tensor import Parameter, Tensor
from pt2r.torch.nn.module import Module, ModuleDict, ModuleList
from pt2r.torch.ops.registry import module
from pt2r.torch.values import static_dims


def _placeholder(like: Tensor, shape: list[int]) -> Tensor:
    """A tensor of ``shape`` whose value the trace supplies (a parameter's or buffer's)."""
    tensor = Tensor(static_dims(shape, "param"), like.dtype)
    return Parameter(tensor) if isinstance(like, Parameter) else tensor


@module("torch.nn.utils.parametrize.ParametrizationList")
class ParametrizationList(ModuleList):
    """The parametrizations of one tensor and its originals; calling it computes the tensor."""

    def __init__(self, modules: list[Module], original: Tensor, unsafe: bool = False):
        super().__init__(modules)
        object.__setattr__(self, "unsafe", unsafe)
        right_inverse = getattr(modules[0], "right_inverse", None)
        if right_inverse is None:
            originals: Any = original
        elif isinstance(modules[0], _WeightNorm):
            originals = modules[0].right_inverse_shapes(original)
        else:
            raise UnsupportedOpError(
                f"A parametrization with its own right_inverse ({type(modules[0]).__name__}) is not supported: "
                f"pt2r needs the shapes of the originals without computing them.")
        if isinstance(originals, Tensor):
            object.__setattr__(self, "is_tensor", True)
            self._register("original", original)
        else:
            object.__setattr__(self, "is_tensor", False)
            object.__setattr__(self, "ntensors", len(originals))
            for i, value in enumerate(originals):
                self._register(f"original{i}", value)

    def _register(self, name: str, value: Tensor) -> None:
        if isinstance(value, Parameter):
            self.register_parameter(name, value)
        else:
            self.register_buffer(name, value)

    def right_inverse(self, value: Tensor) -> None:
        raise UnsupportedOpError("Assigning to a parametrized tensor is not supported.")

    def forward(self) -> Tensor:
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for parametrization in list(self)[1:]:
            x = parametrization(x)
        return x


class _WeightNorm(Module):
    """torch.nn.utils.parametrizations._WeightNorm: ``weight = g * v / ||v||`` (norm over all axes but ``dim``)."""

    def __init__(self, dim: int | None = 0):
        super().__init__()
        if dim is None:
            raise UnsupportedOpError("weight_norm with dim=None is not supported")
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        from pt2r.torch.nn.utils import weight_norm_value
        return weight_norm_value(weight_g, weight_v, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return self.right_inverse_shapes(weight)

    def right_inverse_shapes(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        shape = [d.dimension for d in weight.dims]
        dim = self.dim % len(shape)
        g_shape = [n if i == dim else 1 for i, n in enumerate(shape)]
        return _placeholder(weight, g_shape), _placeholder(weight, shape)


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """``torch.nn.utils.parametrizations.weight_norm``."""
    register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    parametrizations = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return tensor_name is None or tensor_name in parametrizations


def type_before_parametrizations(module: Module) -> type:
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def register_parametrization(module: Module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> Module:
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    original = module._parameters.get(tensor_name, module._buffers.get(tensor_name))
    if original is None:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element "
                         f"with name '{tensor_name}'")
    parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        cls = type(module)
        module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {})
        module.parametrizations = ModuleDict()
    setattr(type(module), tensor_name, property(lambda self: self.parametrizations[tensor_name]()))
    module.parametrizations[tensor_name] = parametrizations
    return module


def remove_parametrizations(module: Module, tensor_name: str, leave_parametrized: bool = True) -> Module:
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    if not leave_parametrized:
        raise UnsupportedOpError("remove_parametrizations(leave_parametrized=False) is not supported")
    # The tensor becomes a plain parameter again; its value at the next call comes from the trace.
    value = getattr(module, tensor_name)
    delattr(type(module), tensor_name)
    del module.parametrizations._modules[tensor_name]
    module.register_parameter(tensor_name, _placeholder(Parameter(value), [d.dimension for d in value.dims]))
    if not module.parametrizations._modules:
        del module.parametrizations
        module.__class__ = type(module).__bases__[0]
    return module


@contextlib.contextmanager
def cached():
    """Caching parametrized tensors changes nothing the net computes."""
    yield
