"""Guarded initialisers, patched into torch while a model is built (as transformers does)."""

import contextlib
import sys

import torch

TORCH_INIT = {"normal_": torch.nn.init.normal_, "zeros_": torch.nn.init.zeros_}


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    if not getattr(tensor, "_is_initialized", False):
        return TORCH_INIT["normal_"](tensor, mean=mean, std=std, generator=generator)
    return tensor


def zeros_(tensor):
    if not getattr(tensor, "_is_initialized", False):
        return TORCH_INIT["zeros_"](tensor)
    return tensor


@contextlib.contextmanager
def guard_torch_init():
    originals = {}
    for module_name in ("torch.nn.init", "torch.nn.modules.linear"):
        module = sys.modules.get(module_name)
        for name in TORCH_INIT:
            if module is not None and hasattr(module, name):
                originals[(module, name)] = getattr(module, name)
                setattr(module, name, globals()[name])
    try:
        yield
    finally:
        for (module, name), func in originals.items():
            setattr(module, name, func)
