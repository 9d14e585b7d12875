"""Torch dtypes in the drop-in: named objects that map to numpy and TF dtype names."""

from __future__ import annotations

from typing import Any


class dtype:  # noqa: N801  (torch's name)
    def __init__(self, name: str, *, is_floating_point: bool, is_complex: bool = False, itemsize: int):
        self.name = name
        self.is_floating_point = is_floating_point
        self.is_complex = is_complex
        self.itemsize = itemsize

    def __repr__(self) -> str:
        return f"torch.{self.name}"

    def __reduce__(self):
        return (by_name, (self.name,))


float16 = half = dtype("float16", is_floating_point=True, itemsize=2)
bfloat16 = dtype("bfloat16", is_floating_point=True, itemsize=2)
float32 = float = dtype("float32", is_floating_point=True, itemsize=4)  # noqa: A001
float64 = double = dtype("float64", is_floating_point=True, itemsize=8)
complex64 = dtype("complex64", is_floating_point=False, is_complex=True, itemsize=8)
int8 = dtype("int8", is_floating_point=False, itemsize=1)
uint8 = dtype("uint8", is_floating_point=False, itemsize=1)
int16 = short = dtype("int16", is_floating_point=False, itemsize=2)
int32 = int = dtype("int32", is_floating_point=False, itemsize=4)  # noqa: A001
int64 = long = dtype("int64", is_floating_point=False, itemsize=8)
bool = dtype("bool", is_floating_point=False, itemsize=1)  # noqa: A001

ALL = {d.name: d for d in (float16, bfloat16, float32, float64, complex64, int8, uint8, int16, int32, int64, bool)}

# Torch's other dtypes exist as names (packages list them in tables, e.g. safetensors' dtype sizes);
# the replay computes with the ones above only.
complex128 = cdouble = dtype("complex128", is_floating_point=False, is_complex=True, itemsize=16)
complex32 = chalf = dtype("complex32", is_floating_point=False, is_complex=True, itemsize=4)
cfloat = complex64
uint16 = dtype("uint16", is_floating_point=False, itemsize=2)
uint32 = dtype("uint32", is_floating_point=False, itemsize=4)
uint64 = dtype("uint64", is_floating_point=False, itemsize=8)
float8_e4m3fn = dtype("float8_e4m3fn", is_floating_point=True, itemsize=1)
float8_e4m3fnuz = dtype("float8_e4m3fnuz", is_floating_point=True, itemsize=1)
float8_e5m2 = dtype("float8_e5m2", is_floating_point=True, itemsize=1)
float8_e5m2fnuz = dtype("float8_e5m2fnuz", is_floating_point=True, itemsize=1)
float8_e8m0fnu = dtype("float8_e8m0fnu", is_floating_point=True, itemsize=1)
float4_e2m1fn_x2 = dtype("float4_e2m1fn_x2", is_floating_point=True, itemsize=1)
NAMES_ONLY = (complex128, complex32, uint16, uint32, uint64, float8_e4m3fn, float8_e4m3fnuz, float8_e5m2,
              float8_e5m2fnuz, float8_e8m0fnu, float4_e2m1fn_x2)


def by_name(name: str) -> dtype:
    return ALL[name]


def result_type(*dtypes: dtype) -> dtype:
    """Type promotion of tensor operands, as torch does for same-kind categories."""
    order = [bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64]
    return max(dtypes, key=order.index)


class _TypeInfo:
    """``torch.finfo`` / ``torch.iinfo``: the dtype's figures from ml_dtypes (numpy's, and the float8 types)."""

    def __init__(self, dtype_: dtype | None, kind: str):
        import builtins

        import ml_dtypes
        import numpy as np
        dtype_ = dtype_ or float32
        np_dtype = getattr(ml_dtypes, dtype_.name, None) or np.dtype(dtype_.name)
        info: Any = (ml_dtypes.finfo if kind == "finfo" else ml_dtypes.iinfo)(np_dtype)
        number = builtins.float if kind == "finfo" else builtins.int
        self.dtype = dtype_.name
        self.bits = builtins.int(info.bits)
        self.min, self.max = number(info.min), number(info.max)
        if kind == "finfo":
            self.eps, self.tiny = number(info.eps), number(info.tiny)
            self.smallest_normal, self.resolution = number(info.smallest_normal), number(info.resolution)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dtype={self.dtype}, min={self.min}, max={self.max})"


class finfo(_TypeInfo):  # noqa: N801  (torch's name)
    def __init__(self, type: dtype | None = None):  # noqa: A002
        super().__init__(type, "finfo")


class iinfo(_TypeInfo):  # noqa: N801  (torch's name)
    def __init__(self, type: dtype):  # noqa: A002
        super().__init__(type, "iinfo")
