"""pt2r: convert PyTorch models into RETURNN models, proven right module by module.

The package is split by phase (see DESIGN.md): `trace`, `naming` and
`import_wrapper` need neither torch nor TensorFlow; `record` needs torch only.
"""

__version__ = "0.1.0"
