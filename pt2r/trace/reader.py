"""Reading a trace: verified on open, blobs loaded lazily and checked on read.

Why it looks like this:

* Traces may come from elsewhere (archives, other machines, bug reports), so
  nothing is trusted: opening checks the signature, the format name and
  version, the completeness mark and the meta checksum, each failure with its
  own message, and every blob read is checked against its content hash. No
  data is ever returned from a damaged file.
* Replay holds the activations of one call at a time, so opening reads only
  the attributes and the meta document; blobs are read when asked for.
* Every h5py/OS error becomes a TraceFormatError naming the file, so users
  see one paragraph, not an HDF5 stack dump.
"""

from __future__ import annotations

import contextlib
import hashlib
import os

import h5py
import numpy as np

from pt2r.errors import TraceFormatError
from pt2r.trace.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    blob_key,
    canonical,
    check_dtype,
    unpack_meta,
)

#: The 8 bytes every HDF5 file written by pt2r starts with (no user block).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

_H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError, IndexError)


class TraceReader:
    """An open trace file. Use as a context manager or call ``close()``."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        self._file = None
        self._verified: set[str] = set()  # blobs whose hash was checked (replay reads many twice)
        self._check_signature()
        try:
            self._file = h5py.File(self.path, "r")
        except _H5_ERRORS as e:
            raise TraceFormatError(
                f"The trace {self.path!r} is truncated or damaged: it starts like an "
                f"HDF5 file but HDF5 cannot open it ({_short(e)}). It may have been cut "
                "short by an incomplete copy or download; record or copy it again."
            ) from e
        try:
            self.file_size = os.path.getsize(self.path)
            self._check_header()
            self.meta = self._read_meta()
            self._tensors = self._file["tensors"]
            self._check_blob_count()
        except TraceFormatError:
            self.close()
            raise
        except _H5_ERRORS as e:
            self.close()
            raise TraceFormatError(
                f"The trace {self.path!r} is truncated or damaged: reading its header "
                f"failed ({_short(e)}). Record or copy it again."
            ) from e

    # -- opening checks, in order: each failure gets its own message ---------

    def _check_signature(self) -> None:
        try:
            with open(self.path, "rb") as f:
                head = f.read(len(HDF5_SIGNATURE))
        except FileNotFoundError as e:
            raise TraceFormatError(
                f"The trace {self.path!r} does not exist. Check the path, or record a "
                "trace first with `pt2r record`."
            ) from e
        except IsADirectoryError as e:
            raise TraceFormatError(
                f"The trace path {self.path!r} is a directory, not a trace file."
            ) from e
        except OSError as e:
            raise TraceFormatError(
                f"The trace {self.path!r} cannot be read ({_short(e)}). Check its permissions."
            ) from e
        if head != HDF5_SIGNATURE:
            raise TraceFormatError(
                f"The file {self.path!r} is not an HDF5 file, so it is not a pt2r trace "
                "(a trace is an HDF5 file written by `pt2r record`). Check that you "
                "passed the right file."
            )

    def _check_header(self) -> None:
        attrs = self._file.attrs
        fmt = attrs.get("format")
        if isinstance(fmt, bytes):
            fmt = fmt.decode("utf-8", "replace")
        if not isinstance(fmt, str) or fmt != FORMAT_NAME:
            what = "has no 'format' attribute" if fmt is None else f"has format {fmt!r}"
            raise TraceFormatError(
                f"The file {self.path!r} is an HDF5 file but not a pt2r trace: it {what}, "
                f"where a trace has format {FORMAT_NAME!r}. Check that you passed the "
                "right file."
            )
        version = attrs.get("format_version")
        if not isinstance(version, (int, np.integer)) or isinstance(version, (bool, np.bool_)):
            raise TraceFormatError(
                f"The trace {self.path!r} has an invalid format version {version!r}; "
                f"this pt2r reads version {FORMAT_VERSION}. The file is damaged or was "
                "not written by pt2r."
            )
        version = int(version)
        if version > FORMAT_VERSION:
            raise TraceFormatError(
                f"The trace {self.path!r} has format version {version}, which is newer "
                f"than this pt2r understands: this pt2r reads version {FORMAT_VERSION}. "
                "Upgrade pt2r on this machine, or record the trace with a matching pt2r."
            )
        if version < 1:
            raise TraceFormatError(
                f"The trace {self.path!r} has format version {version}, which is not a "
                f"valid version (versions start at 1); this pt2r reads version "
                f"{FORMAT_VERSION}. The file is damaged or was not written by pt2r."
            )
        # FORMAT_VERSION is 1, so every accepted version is the current one. When
        # it grows, older versions are either still readable here or refused here.
        complete = attrs.get("complete")
        if not (isinstance(complete, (bool, np.bool_, np.integer)) and complete == 1):
            raise TraceFormatError(
                f"The trace {self.path!r} is incomplete: it lacks the mark that the "
                "writer sets when it finished. The recording was probably interrupted "
                "or the file was copied from a temporary file; record it again."
            )
        self.format_version = version

    def _read_meta(self) -> dict:
        def damaged(why: str, cause: Exception | None = None) -> TraceFormatError:
            err = TraceFormatError(
                f"The metadata of the trace {self.path!r} is damaged ({why}). The file "
                "cannot be used; record or copy it again."
            )
            err.__cause__ = cause
            return err

        attrs = self._file.attrs
        expected = attrs.get("meta_sha256")
        if isinstance(expected, bytes):
            expected = expected.decode("ascii", "replace")
        if "meta" not in self._file:
            raise damaged("the /meta dataset is missing")
        try:
            dset = self._file["meta"]
            if dset.dtype != np.uint8 or dset.ndim != 1:
                raise damaged(f"/meta is {dset.dtype} of shape {dset.shape}, not 1-d uint8")
            data = dset[...].tobytes()
        except _H5_ERRORS as e:
            raise damaged(f"reading /meta failed: {_short(e)}", e) from e
        if not isinstance(expected, str) or hashlib.sha256(data).hexdigest() != expected:
            raise damaged("its sha256 checksum does not match meta_sha256")
        try:
            return unpack_meta(data)
        except TraceFormatError as e:
            raise damaged(str(e), e) from e

    def _check_blob_count(self) -> None:
        attrs = self._file.attrs
        expected = attrs.get("num_blobs")
        actual = len(self._tensors)
        if not isinstance(expected, np.integer) or int(expected) != actual:
            raise TraceFormatError(
                f"The trace {self.path!r} is damaged: its header says it holds "
                f"{expected} tensors but it holds {actual}. Record or copy it again."
            )
        unique_bytes = attrs.get("unique_bytes")
        if not isinstance(unique_bytes, np.integer) or unique_bytes < 0:
            raise TraceFormatError(
                f"The trace {self.path!r} is damaged: its unique_bytes attribute is "
                f"{unique_bytes!r}, not a byte count. Record or copy it again."
            )
        self._unique_bytes = int(unique_bytes)

    # -- blob access ---------------------------------------------------------

    @property
    def unique_bytes(self) -> int:
        """Sum of ``nbytes`` over the distinct blobs (as the writer recorded it)."""
        return self._unique_bytes

    def keys(self) -> list[str]:
        """All blob keys, sorted."""
        with self._converting("listing its tensors"):
            return sorted(self._tensors_checked().keys())

    def __contains__(self, key: str) -> bool:
        with self._converting("listing its tensors"):
            return key in self._tensors_checked()

    def dtype_name(self, key: str) -> str:
        """The logical dtype name of blob ``key`` (e.g. "float32", "bfloat16")."""
        with self._converting(f"reading tensor {key}"):
            name = self._dataset(key).attrs["dtype"]
            return name.decode("utf-8") if isinstance(name, bytes) else str(name)

    def shape(self, key: str) -> tuple[int, ...]:
        with self._converting(f"reading tensor {key}"):
            return tuple(int(d) for d in self._dataset(key).shape)

    def nbytes(self, key: str) -> int:
        """Size of the blob's data in memory (not on disk; compression ignored)."""
        with self._converting(f"reading tensor {key}"):
            dset = self._dataset(key)
            return int(np.prod(dset.shape, dtype=np.int64)) * dset.dtype.itemsize

    def array(self, key: str) -> np.ndarray:
        """Read blob ``key`` and verify it against its content hash (on its first read)."""
        with self._converting(f"reading tensor {key}"):
            dset = self._dataset(key)
            dtype_name = self.dtype_name(key)
            try:
                check_dtype(dtype_name, dset.dtype)
            except TraceFormatError as e:
                raise TraceFormatError(
                    f"The trace {self.path!r} is damaged: tensor {key} has a bad dtype "
                    f"({e.message}) Record or copy the trace again."
                ) from e
            arr = canonical(dset[...])
        if key not in self._verified and blob_key(arr, dtype_name) != key:
            raise TraceFormatError(
                f"The trace {self.path!r} is damaged: tensor {key} does not match its "
                "checksum (its data, dtype or shape changed after it was written). "
                "Record or copy the trace again."
            )
        self._verified.add(key)
        return arr.astype(arr.dtype.newbyteorder("="), copy=False)

    def verify_all(self) -> int:
        """Read and check every blob; raise one error listing all damaged ones."""
        keys = self.keys()
        damaged: dict[str, str] = {}
        for key in keys:
            try:
                self.array(key)
            except TraceFormatError as e:
                damaged[key] = e.message
        if damaged:
            raise TraceFormatError(
                f"The trace {self.path!r} is damaged: {len(damaged)} of {len(keys)} "
                f"tensors fail their check: {', '.join(damaged)}. Record or copy the "
                "trace again.",
                detail="\n".join(damaged.values()),
            )
        return len(keys)

    # -- helpers -------------------------------------------------------------

    def _file_checked(self) -> h5py.File:
        if self._file is None:
            raise TraceFormatError(f"The trace reader for {self.path!r} is closed.")
        return self._file

    def _tensors_checked(self) -> h5py.Group:
        self._file_checked()
        return self._tensors

    def _dataset(self, key: str) -> h5py.Dataset:
        tensors = self._tensors_checked()
        if not isinstance(key, str) or key not in tensors:
            raise TraceFormatError(
                f"The trace {self.path!r} has no tensor {key!r}. The trace's metadata "
                "refers to data that is not in the file: it is damaged or inconsistent."
            )
        return tensors[key]

    @contextlib.contextmanager
    def _converting(self, doing: str):
        try:
            yield
        except _H5_ERRORS as e:
            raise TraceFormatError(
                f"The trace {self.path!r} is damaged: {doing} failed ({_short(e)}). "
                "Record or copy the trace again."
            ) from e

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None

    def __enter__(self) -> "TraceReader":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close()


def _short(e: BaseException) -> str:
    """First line of an exception, so HDF5 stack dumps stay out of messages."""
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
