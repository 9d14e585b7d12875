"""The drop-in's one way to the network being built: the backend.

The drop-in (`pt2r.torch`) builds RETURNN layers but knows nothing of traces:
model code's calls go to the active backend (`current`), which names them,
builds them through the op registry and checks them. `pt2r.replay` implements
it (`pt2r.replay.context.ReplayContext`) and activates it while the model runs,
so the dependency runs one way: replay -> torch.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Protocol

from returnn.tensor import Dim

import pt2r
from pt2r.errors import Pt2rError

_PT2R_DIR = os.path.dirname(pt2r.__file__) + os.sep
_EXAMPLES_DIR = os.path.join(_PT2R_DIR, "examples") + os.sep


class Backend(Protocol):
    """What the drop-in asks of the network under construction."""

    #: the sizes dynamic dims had in the recorded run (for ``x.shape`` before the net runs)
    dim_values: dict[Dim, int]

    def op_call(self, name: str, impl: Callable, args: tuple, kwargs: dict, caller: Any) -> Any:
        """An op called by model code (``name``: its qualified torch name; ``impl``: its builder)."""

    def module_call(self, module: Any, args: tuple, kwargs: dict, caller: Any) -> Any:
        """A module called by model code."""

    def add_layer(self, layer_dict: dict[str, Any], name: str | None = None) -> Any:
        """Add a layer (named after the current call unless ``name``) and construct it."""

    def add_variable(self, value: Any, dims: list[Dim], dtype: str, name: str, *, trainable: bool,
                     origin: Any = None, transform: dict[str, Any] | None = None) -> Any:
        """A variable layer holding ``value`` (the drop-in tensor ``origin``'s, in the layout ``transform``
        makes of it)."""

    def layer_name_for(self, index: int | None = None) -> str:
        """A layer name for the current call."""

    def current_call_name(self) -> str:
        """The current call's name ("net" outside any call)."""

    def current_target(self) -> str:
        """The qualified torch name of the op or module being built."""

    def recorded_output(self) -> Any:
        """The current call's output as the recording saw it (values not in the net)."""

    def bind_recorded_inputs(self, args: Any, kwargs: Any) -> None:
        """Give the current call's parameters and constants, passed as ``args``/``kwargs`` the way the
        recording passed them, their recorded values."""

    def memo(self, name: str) -> dict:
        """A dict of an op family's own, kept for this network."""

    def dim_value(self, dim: Dim) -> int:
        """The size ``dim`` had in the recorded run."""

    def note_dynamic_branch(self, what: str) -> None:
        """Say in the report that the net follows the recorded run here (code branched on a value)."""

    def drawn(self, tensor: Any, low: float | None = None, high: float | None = None) -> None:
        """``tensor``, the current call's result, is drawn at random (within [low, high] if given) or
        undefined (``torch.empty``): its values are not PyTorch's, so verification feeds it the recorded
        ones and checks its shape and range."""


_current: Backend | None = None


def current() -> Backend:
    if _current is None:
        raise Pt2rError("pt2r's drop-in torch computes only inside a replay (pt2r replay / pt2r.replay(...)).")
    return _current


def active() -> Backend | None:
    """The active backend, or None outside a replay."""
    return _current


def activate(backend: Backend | None) -> None:
    global _current
    _current = backend


def is_internal_frame(frame: Any) -> bool:
    """A frame of pt2r's own code (not of the bundled examples, which are model code)."""
    filename = frame.f_code.co_filename
    return filename.startswith(_PT2R_DIR) and not filename.startswith(_EXAMPLES_DIR)


def user_frame(frame: Any) -> Any:
    """The first frame, from ``frame`` outwards, that is user code (not pt2r's own)."""
    while frame is not None and is_internal_frame(frame):
        frame = frame.f_back
    return frame


def source_of(frame: Any) -> list | None:
    """``[file, line]`` of the user code at or outside ``frame``."""
    frame = user_frame(frame)
    return [frame.f_code.co_filename, frame.f_lineno] if frame is not None else None
