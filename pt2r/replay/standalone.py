"""Step 4 of DESIGN.md: the exported config and checkpoint, alone, reproduce the outputs.

A fresh TF graph is built from the written config file only, the checkpoint
is loaded into it, and the output layers are run on the recorded input.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf
from returnn.config import Config
from returnn.tf.network import TFNetwork
from tensorflow.core.protobuf import rewriter_config_pb2

from pt2r.replay.context import BEHAVIOR_VERSION, graph_mode, set_behavior_version
from pt2r.replay.quiet import returnn_prints_silenced


def run_exported(config_path: str, checkpoint_prefix: str, inputs: np.ndarray,
                 seq_lens: dict[int, list[int]] | None = None,
                 draws: dict[str, np.ndarray] | None = None, optimize: bool = False) -> dict[str, np.ndarray]:
    """Outputs of the exported net on ``inputs``, each in torch axis order; ``draws`` gives layers
    that draw random numbers (by path) PyTorch's values, in the layer's axis order. One run: by default
    without Grappler's graph optimizations, which cost more than they save once (seconds for a large net)."""
    config = Config()
    config.load_file(config_path)
    if config.int("behavior_version", 0) != BEHAVIOR_VERSION:
        raise ValueError(f"{config_path} has behavior_version {config.int('behavior_version', 0)}, "
                         f"pt2r writes {BEHAVIOR_VERSION}")
    graph_mode()
    set_behavior_version()
    graph = tf.Graph()
    with graph.as_default():
        network = TFNetwork(config=config, train_flag=False, eval_flag=False, search_flag=False)
        with returnn_prints_silenced():
            network.construct_from_dict(config.typed_value("network"))
        output_dims = config.typed_value("pt2r_output_dims")
        session = tf.compat.v1.Session(graph=graph, config=session_config(optimize))
        try:
            network.load_params_from_file(checkpoint_prefix, session=session)
            feed = input_feed(network, inputs, seq_lens)
            feed.update((network.get_layer(path).output.placeholder, value) for path, value in (draws or {}).items())
            layers = {name: network.get_layer(name) for name in output_dims}
            values = session.run({name: layer.output.placeholder for name, layer in layers.items()}, feed_dict=feed)
        finally:
            session.close()
    out = {}
    for name, value in values.items():
        raw = list(layers[name].output.dims)
        out[name] = np.transpose(value, [raw.index(d) for d in output_dims[name]])
    return out


def session_config(optimize: bool = True) -> Any:
    """Session options; ``optimize=False`` turns Grappler's graph optimizations off, for sessions
    that run many different subgraphs once each (Grappler works anew for every subgraph run)."""
    config = tf.compat.v1.ConfigProto(device_count={"GPU": 0})  # threads: TF's default, one per core
    # Grappler's remapper fuses ops (e.g. max(x, a * x) into a leaky relu) and so removes tensors
    # the verification fetches or feeds.
    config.graph_options.rewrite_options.remapping = rewriter_config_pb2.RewriterConfig.OFF
    config.graph_options.rewrite_options.disable_meta_optimizer = not optimize
    return config


def input_feed(network: Any, inputs: np.ndarray, seq_lens: dict[int, list[int]] | None) -> dict:
    """Feed dict for the extern data: the input array and the lengths of its dynamic axes."""
    data = network.extern_data.get_default_input_data()
    feed = {data.placeholder: inputs}
    batch = inputs.shape[data.batch_dim_axis]
    for axis, d in enumerate(data.dims):
        if d.is_batch_dim() or d.dimension is not None:
            continue
        lens = (seq_lens or {}).get(axis, [inputs.shape[axis]] * batch)
        feed[d.dyn_size_ext.placeholder] = np.asarray(lens, dtype=d.dyn_size_ext.dtype)
    return feed
