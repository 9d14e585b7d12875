"""A model whose converted class is imported lazily, while the model function runs."""

import os
import sys
import typing

import numpy as np

import pt2r

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "thirdparty")))

INPUT_SPEC = {"shape": (None, 5), "batch_dim_axis": 0, "time_dim_axis": 1, "feature_dim_axis": 2,
              "dtype": "float32"}


def example_inputs():
    return np.random.RandomState(1).randn(2, 6, 5).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import custompkg
    else:
        custompkg = wrapped_import("custompkg")
    return custompkg.LazyNet().eval()(inputs)


@pt2r.converter("custompkg.lazy.LazyGate")
def lazy_gate(module, x):
    from pt2r.converters import eval_layer
    z = module.proj(x).abs()
    return eval_layer("tf.exp(source(0) ** 2) * tf.math.erfc(source(0))", [z], z.dims, z.dtype)
