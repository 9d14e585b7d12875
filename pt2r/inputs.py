"""The model input: an array plus its description in RETURNN ``Data`` kwargs form.

A description means exactly what the same kwargs mean to RETURNN's ``Data`` /
``returnn.tensor.Tensor`` (``Tensor("data", **kwargs)``, the old-style kwargs
that ``extern_data`` takes): every key left out gets RETURNN's default, worked
out here without importing RETURNN (`resolve`):

- ``batch_dim_axis``: 0.
- ``shape`` (without the batch axis; ``None`` marks a dynamic axis): when left
  out, RETURNN's ad-hoc default from ``time_dim_axis``, ``feature_dim_axis`` and
  ``dim`` (dynamic axes up to the time axis, then a feature axis of size ``dim``
  unless the input is sparse or ``feature_dim_axis`` is None).
- ``time_dim_axis``: the first dynamic axis, None when ``shape`` has none.
- ``feature_dim_axis``: None for sparse input; else the last static axis other
  than batch and time, or failing that the last axis other than batch and time,
  or None when there is none.
- ``dim``: the number of classes for sparse input (required then); else the
  feature axis' size (None without a feature axis, or when it is dynamic).
- ``sparse``: False. ``dtype``: ``"int32"`` for sparse input, else ``"float32"``.

Axis numbers count the batch axis, as in RETURNN. pt2r's own key ``seq_lens``
gives per-sequence lengths for dynamic axes (a dict from the axis index in the
full array to one length per batch entry; a plain list means the time axis).

Without a description (or one with nothing but ``seq_lens``) the input is
pt2r's default, `default_description`: batch-major, axis 1 the static feature
axis, every other axis dynamic, the array's dtype.

pt2r refuses what RETURNN refuses, a few contradictions RETURNN lets pass (a
``dim`` that is not the feature axis' size), and what it cannot follow (no
batch axis, RETURNN kwargs other than the ones in `DATA_KEYS`, such as
``dims``), always with an `InputSpecError` that names the key.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from pt2r.errors import InputSpecError

DATA_KEYS = ("shape", "batch_dim_axis", "time_dim_axis", "feature_dim_axis", "sparse", "dim", "dtype")
PT2R_KEYS = ("seq_lens",)
#: RETURNN ``Data`` / ``Tensor`` kwargs that pt2r's input descriptions do not support
UNSUPPORTED_RETURNN_KEYS = ("dims", "dim_tags", "sparse_dim", "feature_dim", "vocab", "same_dim_tags_as",
                            "size_placeholder", "placeholder", "raw_tensor", "batch", "beam", "version", "name",
                            "auto_create_placeholders", "available_for_inference", "control_flow_ctx")

_UNSET = object()  # a key left out (RETURNN's NotSpecified)


def default_description(array: np.ndarray) -> dict[str, Any]:
    """Batch-major; axis 1 is the static feature axis; every other axis is dynamic."""
    if array.ndim == 0:
        raise InputSpecError("The model input is a scalar; pt2r needs at least a batch axis.")
    shape = [None] * (array.ndim - 1)
    desc: dict[str, Any] = {"batch_dim_axis": 0, "dtype": str(array.dtype), "feature_dim_axis": None}
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
    """Check ``desc`` against ``array`` and return it complete and normalized.

    The result holds ``shape``, ``batch_dim_axis``, ``time_dim_axis``, ``feature_dim_axis`` and
    ``dtype`` as RETURNN resolves them; ``sparse`` and ``dim`` when the input is sparse or the
    description gave them (a dense input's ``dim`` follows from the rest: `data_dim`); and the
    checked ``seq_lens``, if any."""
    if not isinstance(array, np.ndarray):
        raise InputSpecError(f"The model input must be a numpy array, got {type(array).__name__}.")
    if array.ndim == 0:
        raise InputSpecError("The model input is a scalar; pt2r needs at least a batch axis.")
    if desc is not None and not isinstance(desc, dict):
        raise InputSpecError(f"The input description must be a dict of RETURNN Data kwargs, "
                             f"got {type(desc).__name__}.")
    desc = dict(desc or {})
    _check_keys(desc)
    seq_lens = desc.pop("seq_lens", None)
    if not desc:  # nothing but seq_lens: pt2r's default layout
        out = default_description(array)
    else:
        _check_axes_fit(array, desc)
        _check_dtype(array, desc)
        full = resolve(desc)
        _check_shape_fits(array, full["shape"], full["batch_dim_axis"])
        out = {key: full[key] for key in ("shape", "batch_dim_axis", "time_dim_axis", "feature_dim_axis", "dtype")}
        if full["sparse"] or "sparse" in desc:
            out["sparse"] = full["sparse"]
        if full["sparse"] or "dim" in desc:
            out["dim"] = full["dim"]
    if seq_lens is not None:
        out["seq_lens"] = _check_seq_lens(array, out, seq_lens)
    return out


def resolve(desc: dict[str, Any]) -> dict[str, Any]:
    """RETURNN's meaning of the ``Data`` kwargs ``desc``: all of `DATA_KEYS`, each key left out
    set to what RETURNN's ``Tensor("data", **desc)`` has (``dim`` as its ``Tensor.dim``).

    Needs no array (replay uses it on the trace's description); ``seq_lens`` is ignored."""
    _check_keys(desc)
    batch = desc.get("batch_dim_axis", 0)
    if batch is None:
        raise InputSpecError("batch_dim_axis=None (an input without a batch axis) is not supported: pt2r "
                             "needs a batch axis.")
    if not _is_int(batch) or batch < 0:
        raise InputSpecError(f"batch_dim_axis={batch!r} is not an axis: it must be an int >= 0.")
    sparse = desc.get("sparse")
    if sparse is None:
        sparse = False
    if not isinstance(sparse, bool):
        raise InputSpecError(f"sparse={sparse!r} must be true or false.")
    dim = desc.get("dim", _UNSET)
    if dim is not _UNSET and dim is not None and (not _is_int(dim) or dim < 0):
        raise InputSpecError(f"dim={dim!r} must be a number of classes or features (an int >= 0) or None.")
    time = desc.get("time_dim_axis", _UNSET)
    feature = desc.get("feature_dim_axis", _UNSET)
    for key, axis in (("time_dim_axis", time), ("feature_dim_axis", feature)):
        if axis is not _UNSET and axis is not None and not _is_int(axis):
            raise InputSpecError(f"{key}={axis!r} must be an axis index (an int) or None.")
    if _is_int(time) and time < 0:
        raise InputSpecError(f"time_dim_axis={time!r}: RETURNN takes no negative time axis; count it from 0, "
                             f"the batch axis included.")
    if sparse:
        if _is_int(feature):
            raise InputSpecError(f"feature_dim_axis={feature!r} on a sparse input: in RETURNN a sparse input (class "
                                 f"indices) has no feature axis; leave feature_dim_axis out or set it to None.")
        if dim is _UNSET or dim is None:
            raise InputSpecError("A sparse input needs 'dim' (the number of classes) in its description.")

    shape = desc.get("shape")
    if shape is None:
        shape, infer_time = _default_shape(batch, time, feature, sparse, dim)
    else:
        shape = _checked_shape(shape)
        infer_time = time
    ndim = len(shape) + 1
    if batch >= ndim:
        raise InputSpecError(f"batch_dim_axis={batch} is not an axis of an input with shape {list(shape)} "
                             f"besides batch ({ndim} axes in all).")
    batch_shape = shape[:batch] + [None] + shape[batch:]
    if _is_int(feature) and feature < 0:
        feature += ndim
        if feature < 0:
            raise InputSpecError(f"feature_dim_axis={desc['feature_dim_axis']} is not an axis of an input with "
                                 f"{ndim} axes.")
    for key, axis in (("time_dim_axis", time), ("feature_dim_axis", feature)):
        if _is_int(axis) and (axis >= ndim or axis == batch):
            raise InputSpecError(f"{key}={desc[key]!r} is not a non-batch axis of an input with shape {list(shape)} "
                                 f"besides batch at axis {batch} ({ndim} axes in all).")
    if time is _UNSET:
        time = _default_time_dim_axis(batch, infer_time, feature, batch_shape, sparse)
    if feature is _UNSET:
        feature = _default_feature_dim_axis(batch, time, batch_shape, sparse)
    data_dim = dim if sparse else (batch_shape[feature] if feature is not None else None)
    if dim is not _UNSET and not sparse and dim != data_dim:
        where = (f"the feature axis {feature} has size {data_dim}" if feature is not None
                 else "the input has no feature axis (RETURNN's dim is None then)")
        raise InputSpecError(f"The input description says dim={dim}, but {where} (shape {list(shape)}, batch "
                             f"axis {batch}); for a dense input dim is the feature axis' size.")
    dtype = _checked_dtype(desc.get("dtype") or ("int32" if sparse else "float32")).name
    return {"shape": shape, "batch_dim_axis": int(batch), "time_dim_axis": _int_or_none(time),
            "feature_dim_axis": _int_or_none(feature), "sparse": sparse, "dim": _int_or_none(data_dim),
            "dtype": dtype}


def data_dim(desc: dict[str, Any]) -> int | None:
    """RETURNN's ``dim`` of the described input: the number of classes if sparse, else the size of
    the feature axis (None without one)."""
    return resolve(desc)["dim"]


def dynamic_axes(desc: dict[str, Any]) -> list[int]:
    """Indices (in the full array, batch included) of the axes that are dynamic."""
    batch_axis = desc.get("batch_dim_axis", 0)
    axes = [axis for axis in range(len(desc["shape"]) + 1) if axis != batch_axis]
    return [axis for axis, d in zip(axes, desc["shape"]) if d is None]


# -- RETURNN's defaults (returnn/tensor/_tensor_extra.py) -----------------------------------------

def _default_shape(batch: int, time: Any, feature: Any, sparse: bool, dim: Any) -> tuple[list, int | None]:
    """RETURNN's shape when ``shape`` is left out (``_infer_default_shape_and_time``), and the time
    axis it assumed for it."""
    if time is _UNSET:  # _default_time_dim_axis_no_shape
        taken = {batch} | ({feature} if _is_int(feature) else set())
        time = [i for i in range(max(taken) + 2) if i not in taken][0]
    if time is not None:
        if time == batch:
            raise InputSpecError(f"time_dim_axis={time} is the batch axis.")
        shape: list = [None] * (_without_batch(time, batch) + 1)
    else:
        shape = []
    if not sparse and feature is not None:
        if dim is _UNSET:
            raise InputSpecError(
                "The input description gives no 'shape', and RETURNN then infers one from time_dim_axis, "
                "feature_dim_axis and dim; a dense input with a feature axis needs 'dim' for that. Give 'shape' "
                "(the input's shape without the batch axis, null/None for dynamic axes).")
        if feature is _UNSET or feature == -1:
            shape = shape + [dim]
        else:
            if feature < 0 or feature == batch:
                raise InputSpecError(f"feature_dim_axis={feature} without 'shape': RETURNN needs a non-negative "
                                     f"non-batch feature axis (or -1) to infer the shape; give 'shape'.")
            feature_wo_batch = _without_batch(feature, batch)
            if feature_wo_batch < len(shape):  # as RETURNN has it
                shape = shape[:-feature_wo_batch] + [dim] + shape[feature_wo_batch + 1:]
            else:
                shape = shape + [None] * (feature_wo_batch - len(shape)) + [dim]
    return shape, time


def _default_time_dim_axis(batch: int, infer_time: Any, feature: Any, batch_shape: list, sparse: bool) -> int | None:
    """RETURNN's time axis when ``time_dim_axis`` is left out (``Tensor.time_dim_axis``): the first
    dynamic axis RETURNN tags as spatial, or failing that the first dynamic axis.

    Its dim tags are made with a provisional time axis (``infer_time``: the no-shape default, or
    with a shape the first dynamic axis), and a dynamic axis is tagged as feature (not spatial) when
    it is the feature axis but not that time axis."""
    dynamic = [axis for axis, d in enumerate(batch_shape) if axis != batch and d is None]
    if infer_time is _UNSET:
        infer_time = dynamic[0] if dynamic else None
    if feature is _UNSET:
        feature = _default_feature_dim_axis(batch, infer_time, batch_shape, sparse)
    spatial = [axis for axis in dynamic if not (axis == feature and axis != infer_time)]
    return spatial[0] if spatial else (dynamic[0] if dynamic else None)


def _default_feature_dim_axis(batch: int, time: int | None, batch_shape: list, sparse: bool) -> int | None:
    """RETURNN's ``_default_feature_dim_axis``: the last static axis other than batch and time, else
    the last such axis at all; None for sparse input."""
    if sparse or len(batch_shape) <= 1:
        return None
    axes = [i for i in range(len(batch_shape)) if i not in (batch, time)]
    if not axes:
        return None
    static = [i for i in axes if batch_shape[i] is not None]
    return static[-1] if static else axes[-1]


def _without_batch(axis: int, batch: int) -> int:
    return axis if axis < batch else axis - 1


# -- checks -------------------------------------------------------------------------------------

def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _check_keys(desc: dict[str, Any]) -> None:
    unsupported = sorted(k for k in desc if k in UNSUPPORTED_RETURNN_KEYS)
    if unsupported:
        raise InputSpecError(
            f"The input description uses the RETURNN Data kwarg{'s' if len(unsupported) > 1 else ''} "
            f"{unsupported}, which pt2r's input descriptions do not support; describe the input with "
            f"{list(DATA_KEYS)} (and pt2r's 'seq_lens').")
    unknown = sorted(str(k) for k in set(desc) - set(DATA_KEYS) - set(PT2R_KEYS))
    if unknown:
        raise InputSpecError(f"The input description has unknown keys {unknown}; allowed are "
                             f"{list(DATA_KEYS) + list(PT2R_KEYS)}.")


def _check_axes_fit(array: np.ndarray, desc: dict[str, Any]) -> None:
    """The axes the description names explicitly are axes of ``array`` (early, for a clear message)."""
    shape = tuple(array.shape)
    batch = desc.get("batch_dim_axis", 0)
    if batch is not None and (not _is_int(batch) or not 0 <= batch < array.ndim):
        raise InputSpecError(f"batch_dim_axis={batch!r} is not an axis of the input of shape {shape}.")
    for key in ("time_dim_axis", "feature_dim_axis"):
        axis = desc.get(key)
        if axis is None or not _is_int(axis):
            continue  # None, left out, or a wrong type (resolve says so)
        low = -array.ndim if key == "feature_dim_axis" else 0
        if not low <= axis < array.ndim or axis % array.ndim == batch:
            raise InputSpecError(f"{key}={axis!r} is not a non-batch axis of the input of shape {shape}.")


def _checked_dtype(dtype: Any) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError as exc:
        raise InputSpecError(f"dtype={dtype!r} in the input description is not a dtype name like "
                             f"'float32' or 'int64'.") from exc


def _check_dtype(array: np.ndarray, desc: dict[str, Any]) -> None:
    if desc.get("dtype"):
        if _checked_dtype(desc["dtype"]) != array.dtype:
            raise InputSpecError(f"The input description says dtype {desc['dtype']}, but the input array "
                                 f"is {array.dtype}.")
        return
    default = "int32" if desc.get("sparse") is True else "float32"
    if np.dtype(default) != array.dtype:
        raise InputSpecError(
            f"The input description leaves out 'dtype', so the input is RETURNN's default {default} "
            f"(int32 for sparse input, else float32), but the input array is {array.dtype}: add "
            f"\"dtype\": \"{array.dtype}\" to the description.")


def _checked_shape(shape: Any) -> list:
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise InputSpecError(f"shape={shape!r} must be a list of axis sizes (ints, or None for dynamic axes).")
    shape = list(shape)
    for d in shape:
        if d is not None and (not _is_int(d) or d < 0):
            raise InputSpecError(f"shape={shape!r} must list axis sizes (ints >= 0, or None for dynamic axes); "
                                 f"{d!r} is neither.")
    return [None if d is None else int(d) for d in shape]


def _check_shape_fits(array: np.ndarray, shape: list, batch: int) -> None:
    non_batch = [d for axis, d in enumerate(array.shape) if axis != batch]
    if len(shape) != len(non_batch):
        raise InputSpecError(f"The input description's shape {shape} has {len(shape)} axes besides "
                             f"batch, but the input array {tuple(array.shape)} has {len(non_batch)}.")
    for i, (want, have) in enumerate(zip(shape, non_batch)):
        if want is not None and want != have:
            raise InputSpecError(f"The input description's shape {shape} says axis {i} (without batch) "
                                 f"has size {want}, but the input array has {have} there "
                                 f"(array shape {tuple(array.shape)}).")


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


def time_lengths(array_shape: tuple[int, ...], desc: dict[str, Any]) -> list[int] | None:
    """Each sequence's length on the time axis (the full size where ``seq_lens`` gives none); None
    without a time axis. What a model function that takes ``seq_lens`` gets (pt2r.spec)."""
    time_axis = resolve(desc)["time_dim_axis"]
    if time_axis is None:
        return None
    given = {int(axis): lens for axis, lens in (desc.get("seq_lens") or {}).items()}
    batch = array_shape[resolve(desc)["batch_dim_axis"]]
    return list(given.get(time_axis, [array_shape[time_axis]] * batch))
