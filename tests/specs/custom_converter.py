"""The custom_model.py model with converters for what pt2r lacks, declared in the spec file itself
(also used as a converters file, --converters, for custom_model.py)."""

import os
import sys
import typing

import numpy as np

import pt2r

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "thirdparty")))

INPUT_SPEC = {"shape": (None, 5), "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 2,
              "dtype": "float32", "seq_lens": [7, 4]}


def example_inputs():
    return np.random.RandomState(0).randn(2, 7, 5).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        from custompkg import layers
    else:
        layers = wrapped_import("custompkg.layers")
    return layers.Net().eval()(inputs)


@pt2r.converter("custompkg.layers.GatedErfcx")
def gated_erfcx(module, x):
    """erfcx(z) = exp(z**2) * erfc(z): an eval layer (RETURNN has no erfcx layer), the rest on the drop-in."""
    from pt2r.converters import eval_layer
    z = module.proj(x).abs()
    return eval_layer("tf.exp(source(0) ** 2) * tf.math.erfc(source(0))", [z], z.dims, z.dtype) * module.scale


@pt2r.converter("custompkg.ops.fused_gelu")
def fused_gelu(x, scale=1.0):
    from pt2r.converters import torch
    return scale * torch.nn.functional.gelu(x, approximate="tanh")
