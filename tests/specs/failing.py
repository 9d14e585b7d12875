"""Specs that fail in the ways a user's spec can fail."""

import numpy as np


def example_inputs():
    return np.zeros((1, 2, 3), dtype="float32")


def model_raises(wrapped_import, inputs):
    torch = wrapped_import("torch") if wrapped_import else __import__("torch")
    return helper_that_raises(torch.zeros(3))


def helper_that_raises(x):
    raise ValueError("the model's own error message")


def model_returns_no_tensor(wrapped_import, inputs):
    return 42


NOT_A_FUNCTION = 3
