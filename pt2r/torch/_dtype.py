"""Torch dtypes in the drop-in: named objects that map to numpy and TF dtype names."""

from __future__ import annotations


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


def by_name(name: str) -> dtype:
    return ALL[name]


def result_type(*dtypes: dtype) -> dtype:
    """Type promotion of tensor operands, as torch does for same-kind categories."""
    order = [bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64]
    return max(dtypes, key=order.index)
