"""The hfstyle package's model, as a user converts it (see tests/thirdparty/hfstyle)."""

import os
import sys
import typing

import numpy as np

THIRDPARTY = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "thirdparty"))
if THIRDPARTY not in sys.path:
    sys.path.insert(0, THIRDPARTY)

INPUT_SPEC = {"shape": (None, 5), "dtype": "float32", "seq_lens": [7, 4]}


def example_inputs():
    return np.random.RandomState(0).randn(2, 7, 5).astype("float32")


def model_func(wrapped_import, inputs, seq_lens):
    if typing.TYPE_CHECKING or not wrapped_import:
        import torch
        import hfstyle
    else:
        torch = wrapped_import("torch")
        hfstyle = wrapped_import("hfstyle")
    assert hfstyle.TORCH_AVAILABLE
    model = hfstyle.Model(hfstyle.Config()).eval()
    mask = torch.arange(inputs.shape[1])[None, :] < seq_lens[:, None]
    return model(inputs, mask=mask)
