"""What ``pt2r diff`` finds between two traces: did anything change, and where.

The use: archive a trace, later record it again (new torch, changed model
code) and diff the two. Structure is compared exactly, values within the
tolerances of ``pt2r.compare``; trace A is the reference (relative errors are
relative to A's values), B the one under test.

* **Calls** are matched by name, in order (names depend only on the model's
  structure, see ``pt2r.naming``); calls left over between two matched ones
  are paired by position when their kind and target agree (a rename),
  otherwise reported as removed from A / added in B. A renamed or added
  module call is reported once, with the number of calls inside it.
* **Structure** of matched calls: kind and target, the module's class,
  torch class, leaf flag and attributes (once per module), the training and
  random flags, non-tensor arguments (constants such as a slope or a dim),
  the number, shapes and dtypes of input and output tensors, the module's
  parameters and buffers (names, shapes, dtypes); plus the input description,
  the input and the final output.
* **Values**, for every tensor both traces have with equal shape and dtype:
  each matched call's outputs (and the state an in-place op left), each
  module's parameters and buffers, the input and the final output. Tensors
  stored as the same blob are equal (the blob key is a content hash) and are
  not read; the others are read one pair at a time through the reader (so
  every blob read is checked) and compared with ``pt2r.compare.compare``
  (floating dtypes within tolerance, bfloat16/float8 decoded from their bits,
  complex as (real, imaginary) pairs; integers and bools must be equal).
  Blobs that are not read are not checked: ``pt2r inspect --check`` checks
  all. Frames beyond a sequence's length are compared too: both traces
  recorded the same padding, so it must agree as well.

Versions, creation time, timing, seeds and the spec are informational: they
explain a difference but are none. Framework-free: numpy, h5py and msgpack
through ``pt2r.trace`` (rich only for printing), never torch or TensorFlow.
"""

from __future__ import annotations

from pt2r.diff.differ import _Differ
from pt2r.diff.printing import print_diff
from pt2r.diff.reading import _check_meta
from pt2r.diff.result import StructuralDifference, TraceDiff, ValueDifference
from pt2r.diff.values import FLOAT_DTYPES, _numbers, tolerance_table  # noqa: F401  (_numbers: tests use it)
from pt2r.trace import TraceReader

__all__ = [
    "diff_traces",
    "print_diff",
    "tolerance_table",
    "TraceDiff",
    "StructuralDifference",
    "ValueDifference",
    "FLOAT_DTYPES",
]


def diff_traces(path_a, path_b, *, tolerances: dict[str, dict[str, float]] | None = None) -> TraceDiff:
    """Compare trace ``path_b`` against the reference trace ``path_a``.

    ``tolerances``: dtype name -> {atol, rtol}, over ``pt2r.compare``'s defaults. A missing or
    damaged trace raises TraceFormatError (so does a damaged blob, when it is read).
    """
    table = tolerance_table(tolerances=tolerances)
    with TraceReader(path_a) as a, TraceReader(path_b) as b:
        _check_meta(a)
        _check_meta(b)
        return _Differ(a, b, table).run()
