"""The model input: an array plus its description in RETURNN ``Data`` kwargs form.

The description says which axis is batch, time and feature, which axes are
dynamic (``None`` in ``shape``, which excludes the batch axis, as in RETURNN)
and, optionally, per-sequence lengths for dynamic axes (``seq_lens``: a dict
from the axis index in the full array to one length per batch entry; a plain
list means the time axis). Without a description the default is batch-major,
axis 1 the static feature axis, every other axis dynamic.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from pt2r.errors import InputSpecError

DATA_KEYS = ("shape", "batch_dim_axis", "time_dim_axis", "feature_dim_axis", "sparse", "dim", "dtype")


def default_description(array: np.ndarray) -> dict[str, Any]:
    """Batch-major; axis 1 is the static feature axis; every other axis is dynamic."""
    if array.ndim == 0:
        raise InputSpecError("The model input is a scalar; pt2r needs at least a batch axis.")
    shape = [None] * (array.ndim - 1)
    desc: dict[str, Any] = {"batch_dim_axis": 0, "dtype": str(array.dtype)}
    if array.ndim >= 2:
        shape[0] = int(array.shape[1])
        desc["feature_dim_axis"] = 1
    dynamic = [axis for axis in range(2, array.ndim)]
    desc["time_dim_axis"] = dynamic[0] if dynamic else None
    desc["shape"] = shape
    return desc


def parse_json(text: str) -> dict[str, Any]:
    """Parse ``--input-spec`` JSON (an object of ``Data`` kwargs, maybe with ``seq_lens``)."""
    try:
        desc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputSpecError(f"--input-spec is not valid JSON ({exc}); expected an object like "
                             '{"shape": [80, null], "time_dim_axis": 2}.') from exc
    if not isinstance(desc, dict):
        raise InputSpecError("--input-spec must be a JSON object of RETURNN Data kwargs.")
    return desc


def describe(array: np.ndarray, desc: dict[str, Any] | None) -> dict[str, Any]:
    """Check ``desc`` against ``array`` and return it complete and normalized."""
    if not isinstance(array, np.ndarray):
        raise InputSpecError(f"The model input must be a numpy array, got {type(array).__name__}.")
    full = default_description(array)
    if desc is None:
        return full
    unknown = sorted(set(desc) - set(DATA_KEYS) - {"seq_lens"})
    if unknown:
        raise InputSpecError(f"The input description has unknown keys {unknown}; allowed are "
                             f"{list(DATA_KEYS) + ['seq_lens']}.")
    desc = dict(desc)
    seq_lens = desc.pop("seq_lens", None)
    out = {**full, **{k: v for k, v in desc.items()}}
    batch_axis = out.get("batch_dim_axis", 0)
    if batch_axis != 0:
        # RETURNN allows other batch axes; the shape then excludes that axis instead.
        if not isinstance(batch_axis, int) or not 0 <= batch_axis < array.ndim:
            raise InputSpecError(f"batch_dim_axis={batch_axis!r} is not an axis of the input of "
                                 f"shape {tuple(array.shape)}.")
    if "shape" in desc:
        out["shape"] = list(desc["shape"])
    else:
        out["shape"] = [None if axis != out.get("feature_dim_axis") else int(array.shape[axis])
                        for axis in range(array.ndim) if axis != batch_axis]
    shape = out["shape"]
    non_batch = [d for axis, d in enumerate(array.shape) if axis != batch_axis]
    if len(shape) != len(non_batch):
        raise InputSpecError(f"The input description's shape {shape} has {len(shape)} axes besides "
                             f"batch, but the input array {tuple(array.shape)} has {len(non_batch)}.")
    for i, (want, have) in enumerate(zip(shape, non_batch)):
        if want is not None and want != have:
            raise InputSpecError(f"The input description's shape {shape} says axis {i} (without batch) "
                                 f"has size {want}, but the input array has {have} there "
                                 f"(array shape {tuple(array.shape)}).")
    for key in ("time_dim_axis", "feature_dim_axis"):
        axis = out.get(key)
        if axis is not None and (not isinstance(axis, int) or not 0 <= axis < array.ndim or axis == batch_axis):
            raise InputSpecError(f"{key}={axis!r} is not a non-batch axis of the input of shape "
                                 f"{tuple(array.shape)}.")
    if np.dtype(out["dtype"]) != array.dtype:
        raise InputSpecError(f"The input description says dtype {out['dtype']}, but the input array "
                             f"is {array.dtype}.")
    if out.get("sparse") and "dim" not in out:
        raise InputSpecError("A sparse input needs 'dim' (the number of classes) in its description.")
    if seq_lens is not None:
        out["seq_lens"] = _check_seq_lens(array, out, seq_lens)
    return out


def dynamic_axes(desc: dict[str, Any]) -> list[int]:
    """Indices (in the full array, batch included) of the axes that are dynamic."""
    batch_axis = desc.get("batch_dim_axis", 0)
    axes = [axis for axis in range(len(desc["shape"]) + 1) if axis != batch_axis]
    return [axis for axis, d in zip(axes, desc["shape"]) if d is None]


def _check_seq_lens(array: np.ndarray, desc: dict[str, Any], seq_lens: Any) -> dict[int, list[int]]:
    if isinstance(seq_lens, (list, tuple)) or isinstance(seq_lens, np.ndarray):
        if desc.get("time_dim_axis") is None:
            raise InputSpecError("seq_lens is a list, but the input has no time axis to apply it to.")
        seq_lens = {desc["time_dim_axis"]: seq_lens}
    if not isinstance(seq_lens, dict):
        raise InputSpecError("seq_lens must map an axis index to one length per sequence.")
    batch = array.shape[desc.get("batch_dim_axis", 0)]
    dynamic = dynamic_axes(desc)
    result = {}
    for axis, lens in seq_lens.items():
        axis = int(axis)
        if axis not in dynamic:
            raise InputSpecError(f"seq_lens are given for axis {axis}, which is not a dynamic axis "
                                 f"(dynamic axes: {dynamic}).")
        lens = [int(n) for n in np.asarray(lens).reshape(-1)]
        if len(lens) != batch:
            raise InputSpecError(f"seq_lens for axis {axis} has {len(lens)} entries for a batch of {batch}.")
        if min(lens) < 0 or max(lens) > array.shape[axis]:
            raise InputSpecError(f"seq_lens for axis {axis} are {lens}, but that axis has size "
                                 f"{array.shape[axis]}: each length must lie in 0..{array.shape[axis]}.")
        result[axis] = lens
    return result
