"""Every error pt2r reports to a user, in one place.

Each class is one kind of failure with its own exit code. The message is a
single paragraph meant for the user: what went wrong, where (call name, module
type, the user's source line when there is one) and what to do about it. The
CLI prints it without a traceback (``--debug`` shows one).
"""

from __future__ import annotations

import traceback

#: What every internal error asks of the user (the CLI says it for any exception that is not a
#: Pt2rError too: `InternalError.from_exception`).
REPORT_BUG = ("This is a bug in pt2r, not in your model: please report it to pt2r's maintainers, with this "
              "message and the traceback below.")


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
    """The model uses ops or modules pt2r cannot convert (all of them are listed), or uses an op in a
    way torch allows but pt2r cannot convert (``"... is not supported"``)."""


class UnsupportedAttributeError(UnsupportedOpError, AttributeError):
    """Model code asked the drop-in for an attribute it does not have (``torch.foo``, ``x.foo``).

    An ``AttributeError``, so probing works as on torch: ``hasattr(x, "names")`` is False,
    ``getattr(F, "foo", None)`` is None. Used for real, it reports the name as unsupported (exit 2)."""


class UnsupportedImportError(UnsupportedOpError, ImportError):
    """``from torch... import foo`` of a name the drop-in does not have.

    An ``ImportError``, so ``try: from torch.nn.functional import foo / except ImportError:`` works as
    on torch; otherwise it reports the name as unsupported (exit 2)."""


class NameMismatchError(Pt2rError):
    """Replay produced a call name that differs from the trace's (model code changed?)."""


class InternalError(Pt2rError):
    """pt2r itself failed (an op builder raised, say): a bug in pt2r, not bad input. Exit code 3.

    The message names what pt2r was doing (the op or module, the call, the user's source line) and
    asks for a report; ``detail`` is the original traceback, which is also chained."""

    exit_code = 3

    @classmethod
    def from_exception(cls, exc: BaseException, doing: str | None = None) -> InternalError:
        """The error reporting ``exc`` (not a Pt2rError) raised by pt2r while ``doing`` something."""
        what = f"pt2r failed {doing}" if doing else "pt2r failed"
        error = cls(f"{what}: {type(exc).__name__}: {exc}. {REPORT_BUG}",
                    detail="".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip())
        error.__cause__ = exc
        return error


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


def locate(error: Pt2rError, kind: str, target: str | None, call_name: str | None,
           source: tuple[str, int] | list | None) -> Pt2rError:
    """Add "(op X, in call Y at file:line)" to ``error``'s message unless it names the call and the
    line already (each part only when missing); returns ``error``.

    For errors raised inside a call (e.g. by an op's builder), which say only what went wrong."""
    message = error.message.rstrip()
    has_call = not call_name or repr(call_name) in message
    has_source = not source or f"{source[0]}:{source[1]}" in message
    if has_call and has_source:
        return error
    parts = [f"{kind} {target}"] if target and target not in message else []
    parts.append(where(None if has_call else call_name, None if has_source else source))
    error.message = f"{message.rstrip('.')} ({', '.join(parts)})."
    error.args = (error.message,)
    return error
