"""The parameter map: which RETURNN variable holds which PyTorch state_dict entry, both ways.

A variable of the converted net holds a parameter or buffer of the model (or
a constant folded from the trace). It may hold it in another layout: TF's
filter order for a conv's weight (``transpose``), or a transposed conv's
weight rearranged into a plain conv's filter (``polyphase``). ``params.json``
beside the config lists every variable with its PyTorch key and the
transform; `to_torch` undoes the transform, so `export_torch` writes a
(possibly fine-tuned) RETURNN checkpoint back under PyTorch's names and
layouts, as a safetensors file, without torch.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pt2r.errors import OutputPathError, UsageError

PARAMS_NAME = "params.json"


@dataclass
class Variable:
    """A variable layer of the net, with what it holds (see the module docstring)."""

    layer: str  # its path in the exported net
    shape: list[int]
    dtype: str
    trainable: bool
    origin: int | None = None  # id() of the drop-in tensor whose value it holds (resolved by `resolve_keys`)
    transform: dict[str, Any] = field(default_factory=lambda: {"kind": "identity"})
    torch_key: str | None = None
    module: str | None = None  # the root module whose state_dict has ``torch_key``

    @property
    def tf_name(self) -> str:
        """The variable's name in the TF checkpoint (RETURNN's ``variable`` layer: ``<layer>/param``)."""
        return f"{self.layer}/param"


def to_torch(value: np.ndarray, transform: dict[str, Any]) -> np.ndarray:
    """A variable's value in PyTorch's layout (the inverse of the transform applied at export)."""
    kind = transform["kind"]
    if kind == "identity":
        return value
    if kind == "transpose":  # variable = np.transpose(torch, perm)
        return np.transpose(value, np.argsort(transform["perm"]))
    if kind == "polyphase":  # see pt2r.torch.ops.conv._phase_filter
        m, cin, phases = value.shape
        stride = transform["stride"]
        w = np.transpose(value.reshape(m, cin, stride, phases // stride), [1, 3, 0, 2])[:, :, ::-1]
        return np.ascontiguousarray(w).reshape(cin, phases // stride, m * stride)
    raise ValueError(f"unknown parameter transform {kind!r}")


def resolve_keys(variables: dict[str, Variable], roots: list[Any]) -> None:
    """Give each variable the state_dict key of the tensor it holds, from the model's root modules
    (those called from the model function); a tensor in several roots gets the key from the root with
    the most entries (a module called on its own and also held by the model)."""
    keys: dict[int, tuple[str, str]] = {}
    tables = [(name, module.state_dict(keep_vars=True)) for name, module in roots]
    for name, table in sorted(tables, key=lambda item: -len(item[1])):
        for key, tensor in table.items():
            keys.setdefault(id(tensor), (name, key))
    for var in variables.values():
        if var.origin is not None and var.origin in keys:
            var.module, var.torch_key = keys[var.origin]
        var.origin = None


def write_json(out_dir: str, variables: dict[str, Variable]) -> str:
    path = os.path.join(out_dir, PARAMS_NAME)
    entries = [{"returnn": v.tf_name, "layer": v.layer, "shape": v.shape, "dtype": v.dtype, "trainable": v.trainable,
                "module": v.module, "torch": v.torch_key, "transform": v.transform} for v in variables.values()]
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"variables": entries}, f, indent=1)
    return path


# -- pt2r export-torch -------------------------------------------------------------------

_SAFETENSORS_DTYPES = {"float32": "F32", "float64": "F64", "float16": "F16", "int64": "I64", "int32": "I32",
                       "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}


def write_safetensors(path: str, tensors: dict[str, np.ndarray], metadata: dict[str, str] | None = None) -> None:
    """The safetensors format (a little-endian u64 header size, a JSON header, the raw data), written
    here so that exporting needs neither torch nor the safetensors package."""
    header: dict[str, Any] = {"__metadata__": metadata} if metadata else {}
    offset = 0
    arrays = []
    for name, array in tensors.items():
        array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        header[name] = {"dtype": _SAFETENSORS_DTYPES[array.dtype.name], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
        arrays.append(array)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for array in arrays:
            f.write(array.tobytes())
    os.replace(tmp, path)


def read_params(out_dir: str) -> list[dict[str, Any]]:
    path = os.path.join(out_dir, PARAMS_NAME)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)["variables"]
    except FileNotFoundError:
        raise UsageError(f"{out_dir!r} has no {PARAMS_NAME}: give the output folder of a pt2r replay or "
                         f"convert.") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path!r} is damaged ({exc}); replay the trace again to rewrite it.") from None


def _scope_in(reader: Any, variables: list[dict[str, Any]], scope: str | None) -> str:
    """The prefix of the net's variables in the checkpoint: ``scope/`` when given, else found: empty
    for pt2r's own checkpoint, ``<layer>/`` when the net ran as subnetwork ``<layer>`` of a bigger one."""
    if scope is not None:
        return scope.strip("/") + "/" if scope.strip("/") else ""
    names = [v["returnn"] for v in variables]
    if not names or reader.has_tensor(names[0]):
        return ""
    prefixes = {key[:-len(names[0])] for key in reader.get_variable_to_shape_map()
                if key.endswith("/" + names[0])}
    found = [p for p in sorted(prefixes) if all(reader.has_tensor(p + n) for n in names)]
    if len(found) != 1:
        where = f"under several scopes ({', '.join(found)})" if found else f"nowhere (no variable {names[0]!r})"
        raise UsageError(f"The checkpoint holds the net's variables {where}; give --scope, the name of the "
                         f"subnetwork layer the net ran as.")
    return found[0]


def export_torch(out_dir: str, output: str, checkpoint: str | None = None, scope: str | None = None) -> dict[str, Any]:
    """Write the parameters of the checkpoint ``checkpoint`` (default: the one pt2r wrote in
    ``out_dir``) under their PyTorch names and layouts into the safetensors file ``output``.

    The checkpoint may be one of a bigger net that holds this one as a subnetwork layer (say,
    fine-tuned in a RETURNN training): its variables are then under ``scope`` (the layer's name,
    found when unambiguous). Keys are the state_dict keys of the model's root module; where a model
    function called several root modules, each key is prefixed by its module's name
    (``PQMF.analysis_filter``). Constants folded from the trace (no PyTorch key) are left out.
    Returns what was written."""
    import tensorflow as tf

    variables = read_params(out_dir)
    checkpoint = checkpoint or os.path.join(out_dir, "model")
    try:
        reader = tf.train.load_checkpoint(checkpoint)
    except (ValueError, tf.errors.OpError) as exc:
        raise UsageError(f"Cannot read the checkpoint {checkpoint!r}: {exc}") from None
    prefix = _scope_in(reader, variables, scope)
    mapped = [v for v in variables if v["torch"]]
    roots = sorted({v["module"] for v in mapped})
    tensors: dict[str, np.ndarray] = {}
    for var in mapped:
        name = prefix + var["returnn"]
        if not reader.has_tensor(name):
            raise UsageError(f"The checkpoint {checkpoint!r} has no variable {name!r}: it is not a checkpoint "
                             f"of the net in {out_dir!r}.")
        key = var["torch"] if len(roots) == 1 else f"{var['module']}.{var['torch']}"
        if key in tensors:
            continue  # a parameter held by several variables (one per layout)
        tensors[key] = to_torch(reader.get_tensor(name), var["transform"])
    try:
        write_safetensors(output, tensors, {"format": "pt", "pt2r_modules": ",".join(roots)})
    except OSError as exc:
        raise OutputPathError(f"Cannot write {output!r}: {exc.strerror}.") from exc
    return {"path": output, "tensors": len(tensors), "modules": roots, "scope": prefix.rstrip("/"),
            "left_out": [v["returnn"] for v in variables if not v["torch"]]}
