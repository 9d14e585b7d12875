"""Every error pt2r reports to a user, in one place.

Each class is one kind of failure with its own exit code. The message is a
single paragraph meant for the user: what went wrong, where (call name, module
type, the user's source line when there is one) and what to do about it. The
CLI prints it without a traceback (``--debug`` shows one).
"""

from __future__ import annotations


class Pt2rError(Exception):
    """Base of all errors pt2r reports. Exit code 2: bad usage or bad input."""

    exit_code = 2

    def __init__(self, message: str, *, detail: str | None = None):
        super().__init__(message)
        self.message = message
        #: extra text printed after the paragraph (e.g. the user's traceback)
        self.detail = detail

    def __str__(self) -> str:
        return self.message


class UsageError(Pt2rError):
    """The command line or the Python call was given something it cannot use."""


class SpecError(Pt2rError):
    """A model spec (``file.py:func`` or ``package.module:func``) cannot be loaded."""


class InputSpecError(Pt2rError):
    """The input array or its description (RETURNN ``Data`` kwargs) is invalid."""


class ModelError(Pt2rError):
    """The user's model function raised; ``detail`` carries the user's traceback."""


class OutputPathError(Pt2rError):
    """An output file or folder cannot be written."""


class TraceFormatError(Pt2rError):
    """A trace file is missing, damaged, not a trace, or of an unknown format version."""


class UnsupportedOpError(Pt2rError):
    """The model uses ops or modules pt2r cannot convert (all of them are listed)."""


class NameMismatchError(Pt2rError):
    """Replay produced a call name that differs from the trace's (model code changed?)."""


class NumericMismatchError(Pt2rError):
    """Two computations of the same call disagree beyond tolerance. Exit code 1."""

    exit_code = 1


def where(call_name: str | None, source: tuple[str, int] | list | None) -> str:
    """Format "in call X (file:line)" for messages about a recorded call."""
    parts = []
    if call_name:
        parts.append(f"in call {call_name!r}")
    if source:
        parts.append(f"at {source[0]}:{source[1]}")
    return " ".join(parts)
