"""A model whose traced run stops and waits (the kill-mid-write test kills it there)."""

import sys
import time

import numpy as np


def example_inputs():
    return np.ones((1, 2, 3), dtype="float32")


def model_func(wrapped_import, inputs):
    torch = wrapped_import("torch") if wrapped_import else __import__("torch")
    y = torch.tanh(inputs) * 2
    if wrapped_import:
        print("TRACED-RUN-STARTED", flush=True)
        time.sleep(120)
    return y
