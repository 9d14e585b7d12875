"""The Python API of the original pytorch-to-returnn converter, on pt2r.

``verify_torch_and_convert_to_returnn`` has the same name, keywords and
meaning, so scripts written for the original port by changing one import.
It runs both phases in this process through a temporary trace (so it needs
torch and TensorFlow here; the CLI runs them apart).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any, Callable

import numpy as np

from pt2r.errors import NumericMismatchError, UsageError


class Converter:
    """What the conversion produced: the net dict, the config text, the check results."""

    def __init__(self, result: Any):
        self.result = result
        self.returnn_net_dict: dict[str, Any] = result.net_dict
        self.outputs = result.outputs

    def get_returnn_config_serialized(self) -> str:
        """The RETURNN config as Python source (what ``returnn.config`` holds)."""
        return self.result.config_text


def verify_torch_and_convert_to_returnn(
        model_func: Callable[[Any, Any], Any], *, inputs: np.ndarray,
        inputs_data_kwargs: dict[str, Any] | None = None, returnn_dummy_input_shape: tuple | None = None,
        returnn_input_seq_lens: dict[int, Any] | list | None = None,
        validate_allclose_kwargs: dict[str, float] | None = None, train: bool = False,
        export_tf_checkpoint_save_path: str | None = None, out_dir: str | None = None,
        converters: list[str] | None = None, leaf_modules: list[str] | None = None) -> Converter:
    """Record ``model_func`` on ``inputs``, replay it on RETURNN, check every call; raise
    `NumericMismatchError` when a check fails (the report names the first divergence).

    pt2r's own keywords: ``converters`` (files or modules of ``@pt2r.converter``s, besides those in
    ``model_func``'s file) and ``leaf_modules`` (see `pt2r.record.record`)."""
    from pt2r.record import record
    from pt2r.replay import replay
    from pt2r.replay.standalone import run_exported

    if train:
        raise UsageError("train=True is not supported: pt2r converts models in eval mode.")
    input_spec = dict(inputs_data_kwargs or {})
    if returnn_input_seq_lens is not None:
        input_spec["seq_lens"] = returnn_input_seq_lens
    tolerances = None
    if validate_allclose_kwargs:
        tol = {"atol": validate_allclose_kwargs.get("atol", 1e-8), "rtol": validate_allclose_kwargs.get("rtol", 1e-5)}
        tolerances = {"float32": tol, "float64": tol}
    work = tempfile.mkdtemp(prefix="pt2r-")
    try:
        trace = os.path.join(work, "trace.h5")
        record(model_func, trace, inputs=np.asarray(inputs), input_spec=input_spec or None, tolerances=tolerances,
               converters=converters, leaf_modules=leaf_modules)
        result = replay(trace, out_dir or os.path.join(work, "out"), model=model_func, tolerances=tolerances,
                        converters=converters)
        if not result.passed:
            raise NumericMismatchError(f"The RETURNN net differs from PyTorch: "
                                       f"{result.summary['first_divergence'] or result.summary['standalone']}")
        if export_tf_checkpoint_save_path:
            for name in os.listdir(os.path.dirname(result.checkpoint_prefix)):
                if name.startswith(os.path.basename(result.checkpoint_prefix) + "."):
                    shutil.copy(os.path.join(os.path.dirname(result.checkpoint_prefix), name),
                                export_tf_checkpoint_save_path + name[len(os.path.basename(result.checkpoint_prefix)):])
        if returnn_dummy_input_shape is not None:
            dummy = np.random.RandomState(0).randn(*returnn_dummy_input_shape).astype(np.asarray(inputs).dtype)
            run_exported(result.config_path, result.checkpoint_prefix, dummy)  # must build and run on it
        return Converter(result)
    finally:
        shutil.rmtree(work, ignore_errors=True)
