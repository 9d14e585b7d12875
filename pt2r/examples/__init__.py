"""Bundled example model functions for pt2r (the tool's default job).

Each example is a spec module exposing ``INPUT_SPEC``, ``example_inputs()``
and ``model_func(wrapped_import, inputs)`` (see DESIGN.md, "The user's model
function"). The model code they run lives in subpackages written like
third-party PyTorch code, so the import wrapper has real work to do.
"""
