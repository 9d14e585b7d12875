"""Export: the RETURNN config (a Python file RETURNN loads), the TF checkpoint and params.json.

The network is exported nested, a subnetwork per module call (`pt2r.replay.nest`),
with only the layers its outputs need; the checkpoint names each variable by its
path in it, and params.json maps it to its PyTorch key (`pt2r.replay.params`).

The config defines every dim tag it uses (via RETURNN's own
``ReturnnDimTagsProxy``), so it loads on its own; ``pt2r_output_dims`` lists
each output layer's dims in torch axis order, so a reader of the exported net
can put its outputs back into PyTorch's layout.
"""

from __future__ import annotations

import os
from typing import Any

import tensorflow as tf
from returnn.tf.frontend_layers.layer import ReturnnDimTagsProxy
from returnn.util.pprint import pformat

from pt2r.replay import nest, params
from pt2r.replay.context import BEHAVIOR_VERSION, ReplayContext

CONFIG_NAME = "returnn.config"
CHECKPOINT_PREFIX = "model"

_HEADER = '''#!returnn.py
# RETURNN config written by pt2r {version} from the trace of {spec!r}.
# The TF checkpoint with this network's parameters is at the path prefix "model"
# beside this file (model.index, model.data-*); params.json maps each variable to
# its PyTorch state_dict key (`pt2r export-torch` writes them back for PyTorch).

import sys

from returnn.tensor import Dim, batch_dim, single_step_dim  # noqa: F401
from returnn.tf.util.data import SpatialDim, FeatureDim  # noqa: F401

# RETURNN builds layers recursively along their inputs: a deep net nested in subnetworks goes
# deeper than Python's default recursion limit.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
inf, nan = float("inf"), float("nan")  # as numbers in the network below
use_tensorflow = True
behavior_version = {behavior_version}

'''


class _DimsProxy(ReturnnDimTagsProxy):
    """RETURNN's serializer of dim tags, completed for the dim arithmetic kinds it lacks."""

    _METHODS = {"ceildiv": "ceildiv_right", "truediv": "div_right"}

    def dim_ref_repr(self, dim: Any, *, brackets: bool = True, prefer_ref: bool = True) -> str:
        op = getattr(dim, "derived_from_op", None)
        if op is not None and not (prefer_ref and dim in self.dim_refs_by_tag) and len(op.inputs) == 2:
            a, b = (self.dim_ref_repr(x) for x in op.inputs)
            if op.kind in self._METHODS:
                return f"{a}.{self._METHODS[op.kind]}({b})"
            if op.kind == "floordiv":
                return f"({a} // {b})" if brackets else f"{a} // {b}"
        return super().dim_ref_repr(dim, brackets=brackets, prefer_ref=prefer_ref)


class Exported:
    """The network as exported: nested per module call (`pt2r.replay.nest`), with each flat layer's
    path in it and each variable's name in the checkpoint."""

    def __init__(self, ctx: ReplayContext, outputs: list[str]):
        flat = nest.needed(ctx.net_dict, outputs)
        self.net_dict, self.paths = nest.nest(flat, ctx.layer_scopes, ctx.call_outputs)
        #: why each eval layer is one (its path -> a comment for the config)
        self.notes = {self.paths[name]: f"eval layer: RETURNN has no layer for {ctx.layer_targets.get(name) or 'this'} "
                                        f"(TF code over the named axes in eval_locals)"
                      for name, layer in flat.items() if layer["class"] == "eval"}
        self.variables = {}  # flat layer name -> params.Variable, of the exported net's variables
        for name, var in ctx.variables.items():
            if name in self.paths:
                var.layer = self.paths[name]
                self.variables[name] = var

    def tf_name(self, variable: Any) -> str:
        """A TF variable's name in the exported net (its layer's path, then the parameter's name)."""
        layer, slash, param = variable.op.name.partition("/")
        return f"{self.paths[layer]}/{param}" if slash and layer in self.paths else variable.op.name


def config_text(ctx: ReplayContext, exported: Exported, outputs: dict[str, list[Any]]) -> str:
    """The config as Python source; ``outputs`` maps output layer names to torch-ordered dims."""
    import pt2r

    proxy = _DimsProxy()
    config = proxy.collect_dim_tags_and_transform_config(
        {"extern_data": ctx.extern_data, "network": exported.net_dict, "pt2r_output_dims": outputs})
    return (_HEADER.format(version=pt2r.__version__, spec=ctx.meta["spec"], behavior_version=BEHAVIOR_VERSION)
            + proxy.py_code_str() + "\n"
            + f"extern_data = {pformat(config['extern_data'])}\n\n"
            + f"network = {_network_text(config['network'], exported.notes)}\n\n"
            + f"pt2r_output_dims = {pformat(config['pt2r_output_dims'])}\n")


def _network_text(net: dict[str, Any], notes: dict[str, str], prefix: str = "", indent: int = 2) -> str:
    """The network dict as Python source, a layer per entry, subnetworks indented, each eval layer with
    its note as a comment above it."""
    pad = " " * indent
    lines = ["{"]
    for name, layer in net.items():
        if layer["class"] == "subnetwork":
            head = pformat({k: v for k, v in layer.items() if k != "subnetwork"}).rstrip()[:-1]
            inner = _network_text(layer["subnetwork"], notes, f"{prefix}{name}/", indent + 2)
            lines.append(f"{pad}{name!r}: {head}, 'subnetwork': {inner}}},")
            continue
        if prefix + name in notes:
            lines.append(f"{pad}# {notes[prefix + name]}")
        lines.append(f"{pad}{name!r}: {pformat(layer).rstrip()},".replace("\n", "\n" + pad))
    lines.append(" " * (indent - 2) + "}")
    return "\n".join(lines)


def write(ctx: ReplayContext, exported: Exported, session: Any, saver: Any, out_dir: str,
          outputs: dict[str, list[Any]]) -> dict[str, str]:
    """Write the config and checkpoint (``saver``, from `make_saver`) into ``out_dir``; returns their
    paths and the config's text."""
    config_path = os.path.join(out_dir, CONFIG_NAME)
    tmp = config_path + ".partial"
    text = config_text(ctx, exported, outputs)
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, config_path)
    prefix = os.path.join(out_dir, CHECKPOINT_PREFIX)
    saver.save(session, prefix, write_meta_graph=False, write_state=False)
    params.write_json(out_dir, exported.variables)
    return {"config": config_path, "checkpoint": prefix, "config_text": text}


def make_saver(ctx: ReplayContext, exported: Exported) -> Any:
    """A saver of every variable RETURNN stores, under its name in the exported net; make it before
    initializing variables (it may add some)."""
    with ctx.graph.as_default():
        saveable = [v for v in ctx.network.get_saveable_params_list()
                    if "/" not in v.op.name or v.op.name.partition("/")[0] in exported.paths]
        return tf.compat.v1.train.Saver(var_list={exported.tf_name(v): v for v in saveable}, save_relative_paths=True)
