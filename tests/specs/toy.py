"""Model spec for the toy third-party package (tests/thirdparty/toypkg)."""

import os
import sys
import typing

import numpy as np

sys.path.insert(0, os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "thirdparty")))

INPUT_SPEC = {"shape": (4, None), "batch_dim_axis": 0, "time_dim_axis": 2, "feature_dim_axis": 1,
              "dtype": "float32", "seq_lens": [11, 7]}


def example_inputs():
    return np.random.RandomState(0).randn(2, 4, 11).astype("float32")


def model_func(wrapped_import, inputs):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
        from toypkg import models
    else:
        torch = wrapped_import("torch")
        models = wrapped_import("toypkg.models")
    model = models.ToyModel()
    assert isinstance(model, torch.nn.Module)
    return model.eval()(inputs)
