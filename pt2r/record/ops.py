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

#: Tensor queries that compute nothing: never recorded (the drop-in answers them itself).
NOT_RECORDED = frozenset(
    "Tensor." + name for name in (
        "shape dtype device ndim size dim numel nelement __len__ is_floating_point is_complex "
        "is_contiguous stride requires_grad requires_grad_ is_leaf layout grad_fn grad names "
        "data_ptr element_size is_cuda is_sparse is_quantized is_meta storage_offset get_device "
        "__repr__ __format__ __hash__ __reduce_ex__ __deepcopy__ __setstate__ __getstate__ "
        "__array__ __dlpack__ __dlpack_device__ retain_grad _version output_nr _base"
    ).split())

#: Ops whose output is random: replay takes their recorded output.
RANDOM_OPS = frozenset(
    ["torch." + n for n in "rand randn randint rand_like randn_like randint_like normal bernoulli "
     "multinomial randperm poisson".split()]
    + ["Tensor." + n for n in "uniform_ normal_ bernoulli_ random_ exponential_ geometric_ "
       "cauchy_ log_normal_ bernoulli multinomial".split()]
    + ["torch.nn.functional." + n for n in "dropout dropout1d dropout2d dropout3d alpha_dropout "
       "feature_alpha_dropout gumbel_softmax rrelu".split()])

def is_random(name: str) -> bool:
    """Whether an op's output is random (parameter initialisers included)."""
    return name in RANDOM_OPS or name.startswith("torch.nn.init.")


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


def is_in_place(name: str) -> bool:
    short = name.rsplit(".", 1)[-1]
    return (short.endswith("_") and not short.endswith("__")) or short in (
        "__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__",
        "__imod__", "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__")


def class_name(cls: type) -> str:
    """Qualified class name, public torch path for torch classes (``torch.nn.Conv1d``)."""
    if cls.__module__.startswith("torch.nn") and getattr(torch.nn, cls.__name__, None) is cls:
        return "torch.nn." + cls.__name__
    return f"{original_module_name(cls.__module__)}.{cls.__qualname__}"


def torch_base(cls: type) -> type | None:
    """The first class in the MRO that torch defines."""
    for base in cls.__mro__:
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
