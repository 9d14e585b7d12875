"""Steps 1 and 2 of DESIGN.md: the reference run and the traced run, written to a trace.

Needs torch, never TensorFlow or RETURNN. `record` runs the user's model
function twice, seeds reset before each run: once as written (the reference)
and once through `wrapped_import` pointing at `pt2r.record.traced_torch`,
with a `Tracer` recording every call. The traced output must match the
reference within tolerance; the trace holds everything replay needs.
"""

from __future__ import annotations

import contextlib
import datetime
import platform
import random
import sys
import time
import traceback
import types
from dataclasses import dataclass
from typing import Any, Callable

import h5py
import msgpack
import numpy as np
import torch

import pt2r
from pt2r import compare, converters as converters_mod, inputs as inputs_mod
from pt2r.errors import ModelError, NumericMismatchError
from pt2r.import_wrapper import make_wrapped_import
from pt2r.record.tracer import Tracer, record_external
from pt2r.record.values import tensor_to_numpy, tensors_in
from pt2r.spec import load_spec
from pt2r.trace import TraceWriter

TRACED_TORCH = "pt2r.record.traced_torch"
DEFAULT_SEED = 42


@dataclass
class RecordResult:
    path: str
    num_calls: int
    num_tensors: int
    unique_bytes: int
    reference_seconds: float
    traced_seconds: float
    total_seconds: float
    #: per output tensor: the traced run against the reference run
    output_check: list[dict[str, Any]]


def reset_seeds(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _run_model(model, wrapped_import, inputs: torch.Tensor, seq_lens: torch.Tensor | None,
               what: str) -> tuple[Any, float]:
    start = time.perf_counter()
    try:
        with torch.no_grad(), (wrapped_import.active() if wrapped_import else contextlib.nullcontext()):
            output = model.call(wrapped_import, inputs, seq_lens)
    except Exception as exc:
        raise ModelError(
            f"The model function raised {type(exc).__name__} during the {what} run: {exc}. "
            f"The model's traceback follows.",
            detail="".join(traceback.format_exception(type(exc), exc, exc.__traceback__))) from exc
    return output, time.perf_counter() - start


def _check_outputs(reference: Any, traced: Any, tolerances: dict | None) -> list[dict[str, Any]]:
    ref_tensors, traced_tensors = tensors_in(reference), tensors_in(traced)
    if not ref_tensors:
        raise ModelError(f"The model function returned {type(reference).__name__}, which holds no "
                         f"tensor: it must return the model output (a tensor, or a tuple/list/dict of them).")
    if len(ref_tensors) != len(traced_tensors):
        raise NumericMismatchError(f"The traced run returned {len(traced_tensors)} tensors, the plain "
                                   f"run {len(ref_tensors)}: the model behaves differently when traced.")
    checks = []
    for i, (ref, got) in enumerate(zip(ref_tensors, traced_tensors)):
        ref_np, dtype_name = tensor_to_numpy(ref)
        got_np, _ = tensor_to_numpy(got)
        if ref_np.shape != got_np.shape:
            raise NumericMismatchError(f"Output {i} of the traced run has shape {got_np.shape}, the plain "
                                       f"run's {ref_np.shape}: the model behaves differently when traced.")
        tol = compare.tolerance_for(dtype_name, tolerances)
        result = compare.compare(got_np, ref_np, **tol)
        if not result.passed:
            raise NumericMismatchError(
                f"Output {i} of the traced run differs from the plain run beyond tolerance "
                f"(atol {tol['atol']}, rtol {tol['rtol']}): {result.summary()}. Both runs reset the "
                f"seeds, so the model has a source of randomness or nondeterminism pt2r does not control.")
        checks.append(result.as_dict())
    return checks


def record(spec: str | Callable[[Any, Any], Any], output: str, *, inputs: np.ndarray | None = None,
           input_spec: dict[str, Any] | None = None, tolerances: dict[str, dict[str, float]] | None = None,
           seed: int = DEFAULT_SEED, compress: bool = False, leaf_modules: list[str] | None = None,
           converters: list[str] | None = None) -> RecordResult:
    """Record the model named by ``spec`` into the trace file ``output``.

    ``leaf_modules`` names the user's module classes (and plain functions) to record as one call each,
    nothing inside; so does every ``@pt2r.converter`` in the spec's file and in the converters files
    (or modules) ``converters`` (see `pt2r.converters`): their converters take over in the replay."""
    start = time.perf_counter()
    model = load_spec(spec)
    leaves = frozenset(leaf_modules or ()) | frozenset(converters_mod.for_run(model.file, converters))
    # a plain function among them is recorded as one op call (found in the wrapped model code)
    patches = converters_mod.Patches(functions={
        name: (lambda original, args, kwargs, name=name: record_external(name, original, args, kwargs))
        for name in leaves})
    array = inputs if inputs is not None else model.load_example_inputs()
    description = inputs_mod.describe(array, input_spec if input_spec is not None else model.input_spec)

    lengths = inputs_mod.time_lengths(array.shape, description)

    def seq_lens() -> torch.Tensor | None:
        return None if lengths is None else torch.tensor(lengths, dtype=torch.int64)

    reset_seeds(seed)
    reference, reference_seconds = _run_model(model, None, torch.from_numpy(array.copy()), seq_lens(),
                                              "plain (reference)")

    with TraceWriter(output, compress=compress) as writer:
        tracer = Tracer(writer, leaves)
        reset_seeds(seed)
        x, x_lens = torch.from_numpy(array.copy()), seq_lens()
        input_ref = tracer.encode(x)
        lens_ref = tracer.encode(x_lens) if model.wants_seq_lens and x_lens is not None else None
        with patches.hooked(make_wrapped_import(TRACED_TORCH)) as wrapped_import, tracer:
            traced, traced_seconds = _run_model(model, wrapped_import, x, x_lens, "traced")
        output_check = _check_outputs(reference, traced, tolerances)
        meta = {
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "versions": {"pt2r": pt2r.__version__, "torch": torch.__version__, "numpy": np.__version__,
                         "python": platform.python_version(), "h5py": h5py.__version__,
                         "msgpack": ".".join(map(str, msgpack.version))},
            "spec": model.spec, "spec_file": model.file, "spec_source": model.source,
            "seeds": {"python": seed, "numpy": seed, "torch": seed},
            "tolerances": {**compare.DEFAULT_TOLERANCES, **(tolerances or {})},
            "input": {"value": input_ref, "description": description,
                      **({"seq_lens": lens_ref} if lens_ref is not None else {})},
            "output": tracer.encode(traced),
            "output_check": output_check,
            "timing": {"reference_seconds": reference_seconds, "traced_seconds": traced_seconds},
            "tensors": tracer.tensors.entries,
            "modules": tracer.modules,
            "calls": tracer.calls,
        }
        writer.finish(meta)
        unique_bytes = writer.unique_bytes
    return RecordResult(path=output, num_calls=len(tracer.calls), num_tensors=len(tracer.tensors.entries),
                        unique_bytes=unique_bytes, reference_seconds=reference_seconds,
                        traced_seconds=traced_seconds, total_seconds=time.perf_counter() - start,
                        output_check=output_check)



class _CallableModule(types.ModuleType):
    """``pt2r.record(...)`` calls `record` while ``pt2r.record`` stays this package."""

    def __call__(self, *args: Any, **kwargs: Any) -> RecordResult:
        return record(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
