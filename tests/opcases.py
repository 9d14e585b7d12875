"""Op test cases, declared beside their model functions in ``tests/specs/ops/<family>.py``.

A model function is a tiny model ``f(wrapped_import, x)``. ``@case`` beside it says which registered
names (ops, leaf modules, aliases: `pt2r.torch.ops.registry`) it tests and the inputs it runs on;
``tests/test_ops.py`` records it on PyTorch and replays it on RETURNN once per input, every call checked,
and asserts that each declared name was built as layers (not just taken from the recording, as an op
on constants is). Imports nothing heavy: spec files import it on either machine.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable


#: (batch, time, 5) and (time, batch, 5), time dynamic
BATCH_MAJOR = {"shape": [None, 5], "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 2,
               "dtype": "float32"}
TIME_MAJOR = {"shape": [None, 5], "batch_dim_axis": 1, "time_dim_axis": 0, "feature_dim_axis": 2,
              "dtype": "float32"}


def torch_of(wrapped_import: Any) -> Any:
    """The ``torch`` a model function runs on: the wrapped one (record, replay), or the real one."""
    if wrapped_import:
        return wrapped_import("torch")
    import torch
    return torch


@dataclass(frozen=True)
class Inputs:
    """One input a case runs on: the array's shape, its description (RETURNN ``Data`` kwargs; None:
    pt2r's default for the array) and, for `lens`, the lengths of a batch of different lengths."""

    name: str
    shape: tuple[int, ...]
    description: dict[str, Any] | None = None
    lengths: Any = None
    #: int64 class indices below ``vocab`` instead of random floats
    vocab: int | None = None
    #: the sequence lengths this input is recorded with (None: all full)
    seq_lens: Any = None

    @property
    def lens(self) -> Inputs:
        """The same input, as a batch of different lengths (``seq_lens``: ``lengths``)."""
        assert self.lengths is not None, f"input {self.name!r} has no lengths"
        return replace(self, name=f"{self.name}_lengths", seq_lens=self.lengths)

    @property
    def input_spec(self) -> dict[str, Any] | None:
        if self.seq_lens is None:
            return self.description
        return {**(self.description or {}), "seq_lens": self.seq_lens}

    def array(self, shape: tuple[int, ...] | None = None, seed: int = 0) -> Any:
        import numpy as np
        random = np.random.RandomState(seed)
        shape = shape or self.shape
        if self.vocab is not None:
            return random.randint(0, self.vocab, size=shape).astype("int64")
        return random.randn(*shape).astype("float32")


@dataclass(frozen=True)
class Case:
    ops: tuple[str, ...]
    on: tuple[Inputs, ...]
    #: lengths of batches the exported net also runs on (after each variant with a list of seq_lens),
    #: compared with what PyTorch computes there
    other_lengths: tuple[tuple[int, ...], ...] = ()
    #: what those runs compare: "all" values, the "valid" frames (within each sequence's length: the rest is
    #: padding), or the "shapes" only (of random draws, which differ from PyTorch's)
    compared: str = "all"
    #: PyTorch computes them without gradients (its fast paths: e.g. TransformerEncoder's nested tensors)
    no_grad: bool = False
    #: a regex of the UnsupportedOpError the conversion fails with (the case is then a refusal test)
    refused: str | None = None


def case(ops: tuple[str, ...] | list[str] = (), *, on: tuple[Inputs, ...] | list[Inputs],
         other_lengths: Any = (), compared: str = "all", no_grad: bool = False,
         refused: str | None = None) -> Callable:
    """Declare the function below as an op test case (see the module docstring)."""
    assert compared in ("all", "valid", "shapes"), compared
    declared = Case(tuple(ops), tuple(on), tuple(tuple(lens) for lens in other_lengths), compared, no_grad,
                    refused)
    assert not other_lengths or any(isinstance(inputs.seq_lens, list) for inputs in on), \
        "other_lengths runs after an input with a list of seq_lens: add one (e.g. X.lens)"

    def mark(func: Callable) -> Callable:
        func.op_case = declared
        return func
    return mark


def refused(message: str, *, on: Inputs) -> Callable:
    """Declare the function below as a refusal: its conversion fails with an UnsupportedOpError matching
    ``message``."""
    return case(on=(on,), refused=message)
