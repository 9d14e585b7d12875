"""pt2r: convert PyTorch models into RETURNN models, proven right module by module.

The package is split by phase (see DESIGN.md): `trace`, `naming` and
`import_wrapper` need neither torch nor TensorFlow; `record` needs torch only.
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # The Python API, imported on use (it needs torch and TensorFlow): pt2r.record(...),
    # pt2r.replay(...) (callable subpackages), pt2r.verify_torch_and_convert_to_returnn(...); and
    # @pt2r.converter(name), which declares a custom converter (pt2r.converters).
    import importlib
    if name in ("record", "replay"):
        return importlib.import_module(f"pt2r.{name}")
    if name == "converter":  # @pt2r.converter(name): cheap, neither torch nor TensorFlow
        from pt2r.converters import converter
        return converter
    if name == "verify_torch_and_convert_to_returnn":
        from pt2r.api import verify_torch_and_convert_to_returnn
        return verify_torch_and_convert_to_returnn
    raise AttributeError(f"module 'pt2r' has no attribute {name!r}")
