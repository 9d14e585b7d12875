"""The drop-in ``torch.Tensor``: a RETURNN layer's output seen with torch's axis order.

A tensor is one of:

- *in the net*: ``layer`` is a RETURNN layer, ``dims`` lists its RETURNN
  dims in torch axis order (the axis mapping: torch axis i is RETURNN dim
  ``dims[i]``, wherever RETURNN keeps it);
- *a value*: ``value`` holds an array not yet in the net (what ``torch.load``
  returned, a folded constant); it becomes a variable layer when an op uses it;
- *unbound*: a parameter or buffer created by model code, whose value the
  replay takes from the trace when a call uses it.

A tensor whose values are sizes of a dynamic dim says so, so that sizes computed
from lengths stay that dim (DESIGN.md, "Sizes"): ``lengths_of`` is the dim whose
sequence lengths a tensor over the batch holds (a model function's
``seq_lens``), ``size_of`` the dim whose padded size is the tensor's maximum
(``seq_lens``, ``seq_lens.max()``, ``torch.full((b,), t)``). ``arange``, sizes
and ``item()`` take such a 0-dim tensor as the dim's size (`as_size`). So do
masks: ``positions_of`` is the dim whose positions a tensor holds
(``torch.arange(t)``), ``frames_of`` / ``padding_of`` the dim whose frames /
padding frames a bool tensor over the batch and that dim marks
(``arange(t)[None] < seq_lens[:, None]``); ``x[mask]`` then takes each
sequence's frames. Views that only add axes keep all of these.

Methods and operators are installed from the op registry
(`pt2r.torch.ops.registry`); queries (``shape``, ``dim()``, ``dtype``) are
answered here without recording, as torch does not record them either.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from pt2r.errors import UnsupportedOpError
from pt2r.torch import _dtype
from pt2r.torch._size import Size, SizeValue


class device:  # noqa: N801  (torch's name)
    def __init__(self, type: str = "cpu", index: int | None = None):  # noqa: A002
        self.type = str(type).split(":")[0]
        self.index = index

    def __repr__(self) -> str:
        return f"device(type={self.type!r})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, device) and other.type == self.type


CPU = device("cpu")


class Tensor:
    def __init__(self, dims: Sequence[Any] = (), dtype: _dtype.dtype | None = None, *sizes: int, layer: Any = None,
                 value: np.ndarray | None = None, name: str | None = None, trainable: bool = False):
        if not isinstance(dtype, _dtype.dtype):
            dims, dtype, value = _legacy_constructor(dims, dtype, sizes)
        self.dims = tuple(dims)
        self.dtype = dtype
        self._layer = layer
        self.value = value
        #: the layer name a value or unbound tensor gets when it enters the net
        self.name = name
        #: a module's parameter or buffer (its name says which): constants computed from it are named after it
        self.is_state = False
        self.trainable = trainable
        #: the trace blob of the content, for tensors whose content comes from the trace
        self.blob: str | None = None
        self.requires_grad = trainable
        self.grad = None
        self.lengths_of: Any = None
        self.size_of: Any = None
        self.positions_of: Any = None
        self.frames_of: Any = None
        self.padding_of: Any = None

    # -- the RETURNN side ----------------------------------------------------

    @property
    def is_bound(self) -> bool:
        return self._layer is not None or self.value is not None

    @property
    def layer(self) -> Any:
        """The RETURNN layer; a value or parameter becomes a variable layer on first use."""
        if self._layer is None:
            from pt2r.torch.backend import current
            ctx = current()
            if self.value is None:
                raise RuntimeError(f"tensor {self.name or ''} has no value from the trace")
            self._layer = ctx.add_variable(self.value, list(self.dims), self.dtype.name,
                                           self.name or ctx.layer_name_for() + ".const",
                                           trainable=self.trainable, origin=self)
        return self._layer

    @property
    def layer_name(self) -> str:
        return self.layer.name

    def _static_shape(self) -> list[int]:
        return [d.dimension for d in self.dims]

    def snapshot(self) -> Tensor:
        """This tensor as it is now (in-place ops rebind tensors to new layers later)."""
        copy = Tensor(self.dims, self.dtype, layer=self._layer, value=self.value, name=self.name,
                      trainable=self.trainable)
        copy.blob = self.blob
        return copy.sizes_from(self)

    _SIZES = ("lengths_of", "size_of", "positions_of", "frames_of", "padding_of")

    def sizes_from(self, other: Tensor) -> Tensor:
        """This tensor, holding the same sizes, positions or masks as ``other`` (a cast, copy or view of
        it that only adds axes); returns itself."""
        if self is not other:
            for name in self._SIZES:
                setattr(self, name, getattr(other, name))
        return self

    def as_size(self) -> Any:
        """A 0-dim tensor holding a dynamic dim's size as that size (a `SizeValue`); else itself."""
        if self.size_of is None or self.dims:
            return self
        from pt2r.torch.backend import current
        return SizeValue(current().dim_value(self.size_of), self.size_of)

    def learn_dim_values(self, ctx: Any, shape: Sequence[int]) -> None:
        """Remember the recorded sizes of this tensor's dynamic dims (for ``x.shape``)."""
        for d, n in zip(self.dims, shape):
            if d.dimension is None:
                ctx.dim_values.setdefault(d, n)

    # -- queries (never recorded) -------------------------------------------

    @property
    def shape(self) -> Size:
        from pt2r.torch.backend import current
        sizes = []
        for d in self.dims:
            if d.dimension is not None and not d.is_batch_dim():
                sizes.append(d.dimension)
            else:
                sizes.append(SizeValue(current().dim_value(d), d))
        return Size(sizes)

    def size(self, dim: int | None = None):
        shape = self.shape
        return shape if dim is None else shape[dim]

    def dim(self) -> int:
        return len(self.dims)

    ndimension = dim

    @property
    def ndim(self) -> int:
        return len(self.dims)

    def numel(self) -> int:
        return int(self.shape.numel())

    nelement = numel

    def __len__(self) -> int:
        return int(self.shape[0])

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_contiguous(self, memory_format: Any = None) -> bool:
        return True

    @property
    def device(self) -> device:
        return CPU

    @property
    def is_cuda(self) -> bool:
        return False

    @property
    def data(self) -> Tensor:
        return self

    @data.setter
    def data(self, value: Tensor) -> None:
        """``p.data = t`` gives a parameter or buffer new contents (transformers re-pads a tied output
        layer's bias so at init): its value at a call comes from the trace, so it takes the new shape and
        dtype only. A tensor computed in the net cannot take it."""
        if value is self:
            return
        if self._layer is not None or not isinstance(value, Tensor) or any(
                d.dimension is None or d.is_batch_dim() for d in value.dims):
            raise UnsupportedOpError("assigning .data is supported for parameters and buffers only, of a static shape")
        self.dims, self.dtype = value.dims, value.dtype

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    def __hash__(self) -> int:
        return id(self)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        from pt2r.torch.ops.registry import unsupported
        raise unsupported(f"Tensor.{name}", attribute=True)  # an AttributeError: hasattr(x, name) is False

    def __repr__(self) -> str:
        state = f"layer {self._layer.name!r}" if self._layer is not None else (
            "value" if self.value is not None else "unbound")
        return f"tensor(<{state}>, dims={list(self.dims)}, dtype={self.dtype!r})"


def _legacy_constructor(first: Any, second: Any, rest: tuple, dtype: _dtype.dtype = _dtype.float32,
                        name: str = "tensor") -> tuple[list, _dtype.dtype, np.ndarray | None]:
    """Model code's ``torch.Tensor(2, 3)`` (a float tensor whose content the next in-place op, e.g.
    ``uniform_``, gives: not recorded, as torch does not dispatch it) or ``torch.Tensor([1., 2.])``; the
    typed forms (``torch.FloatTensor(1, 1, d)``, ``torch.LongTensor([1, 2])``) of ``dtype``."""
    from pt2r.torch.values import static_dims
    if isinstance(first, (list, tuple, np.ndarray)) and second is None and not rest and not (
            len(first) and all(isinstance(n, int) for n in first) and isinstance(first, Size)):
        value = np.asarray(first, dtype=dtype.name)
        return static_dims(value.shape, name), dtype, value
    sizes = list(first) if isinstance(first, (list, tuple)) else [first, *([] if second is None else [second]), *rest]
    return static_dims([int(n) for n in sizes], name), dtype, None


#: torch's legacy tensor types (``torch.FloatTensor``, ...) by the name before ``Tensor``
LEGACY_TYPES = {"Float": _dtype.float32, "Double": _dtype.float64, "Half": _dtype.float16,
                "BFloat16": _dtype.bfloat16, "Long": _dtype.int64, "Int": _dtype.int32, "Short": _dtype.int16,
                "Char": _dtype.int8, "Byte": _dtype.uint8, "Bool": _dtype.bool}


class _LegacyTypeMeta(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and instance.dtype is cls.dtype


class _LegacyType(metaclass=_LegacyTypeMeta):
    """``torch.FloatTensor`` and its kin: a constructor of a tensor of their dtype (sizes, or data), and
    a type that tensors of that dtype are instances of (``isinstance(x, torch.LongTensor)``,
    ``x.type(torch.FloatTensor)``)."""

    dtype: _dtype.dtype

    def __new__(cls, first: Any = (), second: Any = None, *rest: Any) -> Tensor:
        dims, dtype, value = _legacy_constructor(first, second, rest, cls.dtype, cls.__name__)
        return Tensor(dims, dtype, value=value)


def _legacy_type(prefix: str) -> type:
    return _LegacyTypeMeta(f"{prefix}Tensor", (_LegacyType,), {"dtype": LEGACY_TYPES[prefix]})


LEGACY_CLASSES = {f"{prefix}Tensor": _legacy_type(prefix) for prefix in LEGACY_TYPES}


class Parameter(Tensor):
    """``torch.nn.Parameter``: a trainable tensor; its value always comes from the trace."""

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True):
        if data is None:
            data = Tensor([], _dtype.float32)
        # Only the shape and dtype of ``data`` matter: the value is bound from the trace at call time.
        super().__init__(data.dims, data.dtype, value=data.value, trainable=requires_grad)


class _BufferMeta(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """``torch.nn.Buffer``: assigned to a module attribute, it registers a buffer (its value at a call
    comes from the trace, as any buffer's). As in torch, it makes a plain tensor marked as a buffer: of
    a class of its own, it would take Python's reflected operators first (``x > buffer`` would call
    ``buffer.__lt__`` where torch calls ``x.__gt__``: another op than the recording's)."""

    def __new__(cls, data: Tensor, *, persistent: bool = True) -> Tensor:
        tensor = Tensor(data.dims, data.dtype, layer=data._layer, value=data.value, name=data.name)
        tensor.blob = data.blob
        tensor.persistent = persistent
        tensor._is_buffer = True
        return tensor
