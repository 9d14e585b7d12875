"""A model using the user's module `custompkg.layers.GatedErfcx`, which pt2r cannot convert, and the
user's function `custompkg.ops.fused_gelu`; no converters here (see custom_converter.py)."""

import os
import sys
import typing

import numpy as np

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
