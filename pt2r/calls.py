"""Which torch calls are recorded and how they are classified: shared by record and replay.

Both phases must agree on what counts as a call, or the names would drift
apart. Framework-free.
"""

from __future__ import annotations

#: Tensor queries that compute nothing, and ``torch.device``: never recorded (the drop-in answers them).
NOT_RECORDED = frozenset(
    "Tensor." + name for name in (
        "shape dtype device ndim size dim numel nelement __len__ is_floating_point is_complex "
        "is_contiguous stride requires_grad requires_grad_ is_leaf layout grad_fn grad names "
        "data_ptr element_size is_cuda is_sparse is_quantized is_meta storage_offset get_device "
        "__repr__ __format__ __hash__ __reduce_ex__ __deepcopy__ __setstate__ __getstate__ "
        "__array__ __dlpack__ __dlpack_device__ retain_grad _version output_nr _base data"
    ).split()) | {"torch.device"}

#: Ops whose output is random: replay takes their recorded output.
RANDOM_OPS = frozenset(
    ["torch." + n for n in "rand randn randint rand_like randn_like randint_like normal bernoulli "
     "multinomial randperm poisson".split()]
    + ["Tensor." + n for n in "uniform_ normal_ bernoulli_ random_ exponential_ geometric_ "
       "cauchy_ log_normal_ bernoulli multinomial".split()]
    + ["torch.nn.functional." + n for n in "gumbel_softmax".split()])

#: The parameter initialisers torch dispatches through ``__torch_function__`` (so the record phase
#: sees them as calls). The others (``xavier_uniform_``, ``zeros_``, ...) run inside torch, unseen.
DISPATCHED_INITIALISERS = frozenset("torch.nn.init." + n for n in "normal_ uniform_ constant_ kaiming_uniform_".split())
#: All of torch's initialisers: the drop-in's leave parameters as they are (values come from the trace).
INITIALISERS = DISPATCHED_INITIALISERS | frozenset("torch.nn.init." + n for n in (
    "ones_ zeros_ xavier_uniform_ xavier_normal_ kaiming_normal_ trunc_normal_ orthogonal_ eye_ dirac_ "
    "sparse_").split())

#: Ops random only while training: (position of ``training``, its default, position of ``p``).
RANDOM_WHEN_TRAINING = {
    **{f"torch.nn.functional.{n}": (2, True, 1) for n in "dropout dropout1d dropout2d dropout3d".split()},
    **{f"torch.nn.functional.{n}": (2, False, 1) for n in "alpha_dropout feature_alpha_dropout".split()},
    "torch.nn.functional.rrelu": (3, False, None),
}

#: What the model consumed from outside, recorded through pt2r.record.traced_torch.
EXTERNAL = frozenset(["torch.load", "torch.from_numpy"])

#: Python operators on tensors and the op name torch reports for them (``1 + x`` is ``Tensor.add(x, 1)``).
OPERATORS = {
    "__add__": "Tensor.add", "__radd__": "Tensor.add", "__sub__": "Tensor.sub", "__rsub__": "Tensor.__rsub__",
    "__mul__": "Tensor.mul", "__rmul__": "Tensor.mul", "__truediv__": "Tensor.div",
    "__rtruediv__": "Tensor.__rdiv__", "__floordiv__": "Tensor.__floordiv__",
    "__rfloordiv__": "Tensor.__rfloordiv__", "__mod__": "Tensor.remainder", "__rmod__": "Tensor.__rmod__",
    "__pow__": "Tensor.pow", "__rpow__": "Tensor.__rpow__", "__matmul__": "Tensor.matmul",
    "__rmatmul__": "Tensor.__rmatmul__",
    "__neg__": "Tensor.neg", "__pos__": "Tensor.positive", "__abs__": "Tensor.abs",
    "__invert__": "Tensor.__invert__", "__and__": "Tensor.__and__", "__or__": "Tensor.__or__",
    "__xor__": "Tensor.__xor__", "__gt__": "Tensor.gt", "__ge__": "Tensor.ge", "__lt__": "Tensor.lt",
    "__le__": "Tensor.le", "__eq__": "Tensor.__eq__", "__ne__": "Tensor.ne",
    "__getitem__": "Tensor.__getitem__", "__setitem__": "Tensor.__setitem__",
    "__iadd__": "Tensor.add_", "__isub__": "Tensor.sub_", "__imul__": "Tensor.mul_", "__itruediv__": "Tensor.div_",
    "__float__": "Tensor.__float__", "__int__": "Tensor.__int__", "__bool__": "Tensor.__bool__",
    "__contains__": "Tensor.__contains__",
}


def is_random(name: str, args: tuple = (), kwargs: dict | None = None) -> bool:
    """Whether this call's output is random (parameter initialisers and training dropout included)."""
    if name in RANDOM_OPS or name.startswith("torch.nn.init."):
        return True
    if name not in RANDOM_WHEN_TRAINING:
        return False
    kwargs = kwargs or {}
    training_pos, default, p_pos = RANDOM_WHEN_TRAINING[name]
    training = kwargs.get("training", args[training_pos] if len(args) > training_pos else default)
    p = kwargs.get("p", args[p_pos] if p_pos is not None and len(args) > p_pos else None)
    return bool(training) and p != 0


def is_in_place(name: str) -> bool:
    short = name.rsplit(".", 1)[-1]
    return (short.endswith("_") and not short.endswith("__")) or short in (
        "__setitem__", "__iadd__", "__isub__", "__imul__", "__itruediv__", "__ifloordiv__",
        "__imod__", "__ipow__", "__iand__", "__ior__", "__ixor__", "__ilshift__", "__irshift__")
