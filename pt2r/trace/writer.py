"""Writing a trace: content-addressed blobs plus one meta document, atomically.

Why it looks like this:

* A recording can crash or be killed at any moment. The file is therefore
  built under a hidden temporary name next to the target and only renamed
  onto it by ``finish()``, after everything has been flushed and fsynced. A
  reader can never see a half-written trace at the real path, and an earlier
  trace there stays intact until the new one is complete.
* Models share tensors (tied weights, the same activation logged as one
  call's output and the next call's input), so blobs are named by a hash of
  their content and stored once.
* Traces can be large; ``add_array`` writes to the file immediately and keeps
  only the keys in memory.
"""

from __future__ import annotations

import hashlib
import os
import secrets

import h5py
import numpy as np

from pt2r.errors import OutputPathError
from pt2r.trace.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    blob_key,
    canonical,
    check_dtype,
    pack_meta,
)

#: Blobs at least this large are compressed when ``compress=True``. Smaller
#: ones gain little and would pay the chunk-index overhead.
COMPRESS_MIN_BYTES = 4096
GZIP_LEVEL = 4


class TraceWriter:
    """Builds one trace file; use as a context manager and call ``finish(meta)``.

    Leaving the ``with`` block by an exception, or without ``finish()``,
    deletes the temporary file and leaves whatever was at ``path`` untouched.
    """

    def __init__(self, path: str | os.PathLike, compress: bool = False):
        self.path = os.fspath(path)
        self.compress = bool(compress)
        self._keys: set[str] = set()
        self._unique_bytes = 0
        self._finished = False
        self._closed = False
        directory = os.path.dirname(os.path.abspath(self.path))
        self._check_output_path(directory)
        name = f".{os.path.basename(self.path)}.partial-{os.getpid()}-{secrets.token_hex(4)}"
        self.temp_path = os.path.join(directory, name)
        self._dir = directory
        try:
            # "x": never clobber a file that happens to exist under that name.
            self._file = h5py.File(self.temp_path, "x")
            self._tensors = self._file.create_group("tensors")
        except (OSError, ValueError) as e:
            self._remove_temp()
            raise OutputPathError(
                f"Cannot write the trace {self.path!r}: creating the temporary file "
                f"{self.temp_path!r} in the output directory failed ({e}). Check that "
                "the directory is writable and the disk is not full."
            ) from e

    def _check_output_path(self, directory: str) -> None:
        if os.path.isdir(self.path):
            raise OutputPathError(
                f"Cannot write the trace {self.path!r}: that path is an existing "
                "directory. Give a file name (e.g. trace.h5) instead."
            )
        if not os.path.isdir(directory):
            raise OutputPathError(
                f"Cannot write the trace {self.path!r}: the output directory "
                f"{directory!r} does not exist. Create it first or choose another path."
            )
        if not os.access(directory, os.W_OK | os.X_OK):
            raise OutputPathError(
                f"Cannot write the trace {self.path!r}: the output directory "
                f"{directory!r} is not writable. Choose another path or fix its permissions."
            )

    # -- properties ----------------------------------------------------------

    @property
    def unique_bytes(self) -> int:
        """Sum of ``nbytes`` over the distinct blobs stored so far."""
        return self._unique_bytes

    @property
    def num_blobs(self) -> int:
        """Number of distinct blobs stored so far."""
        return len(self._keys)

    # -- writing -------------------------------------------------------------

    def _check_open(self) -> None:
        if self._finished or self._closed:
            raise OutputPathError(
                f"The trace writer for {self.path!r} is already "
                f"{'finished' if self._finished else 'closed'}; nothing more can be written."
            )

    def add_array(self, array: np.ndarray, dtype_name: str | None = None) -> str:
        """Store ``array`` (once per distinct content) and return its blob key.

        ``dtype_name`` is the logical dtype (default: the numpy dtype name). Use
        it for dtypes numpy lacks, e.g. bfloat16 passed as its uint16 bits with
        ``dtype_name="bfloat16"``.
        """
        self._check_open()
        array = canonical(array)
        if dtype_name is None:
            dtype_name = array.dtype.name
        check_dtype(dtype_name, array.dtype)
        key = blob_key(array, dtype_name)
        if key in self._keys:
            return key
        kwargs = {}
        if self.compress and array.nbytes >= COMPRESS_MIN_BYTES:
            kwargs = dict(chunks=True, compression="gzip", compression_opts=GZIP_LEVEL, shuffle=True)
        try:
            dset = self._tensors.create_dataset(key, data=array, **kwargs)
            dset.attrs["dtype"] = dtype_name
        except (OSError, ValueError, RuntimeError) as e:
            raise OutputPathError(
                f"Writing a tensor to the trace {self.path!r} failed ({e}). The disk "
                "may be full; the trace was not written."
            ) from e
        self._keys.add(key)
        self._unique_bytes += int(array.nbytes)
        return key

    def finish(self, meta: dict) -> None:
        """Store the meta document, seal the file and rename it onto ``path``."""
        self._check_open()
        data = pack_meta(meta)
        try:
            f = self._file
            f.create_dataset("meta", data=np.frombuffer(data, dtype=np.uint8))
            f.attrs["format"] = FORMAT_NAME
            f.attrs["format_version"] = np.int64(FORMAT_VERSION)
            f.attrs["meta_sha256"] = hashlib.sha256(data).hexdigest()
            f.attrs["num_blobs"] = np.int64(self.num_blobs)
            f.attrs["unique_bytes"] = np.int64(self._unique_bytes)
            f.attrs["complete"] = True  # last: marks everything above as written
            f.flush()
            f.close()
            self._closed = True
            _fsync_path(self.temp_path)
            os.replace(self.temp_path, self.path)
            self._finished = True
            _fsync_dir(self._dir)
        except (OSError, ValueError, RuntimeError) as e:
            raise OutputPathError(
                f"Finishing the trace {self.path!r} failed ({e}); the trace was not "
                "written and any earlier file at that path is unchanged."
            ) from e

    # -- cleanup -------------------------------------------------------------

    def abort(self) -> None:
        """Close and delete the temporary file (no-op after ``finish``)."""
        if self._finished:
            return
        if not self._closed:
            self._closed = True
            try:
                self._file.close()
            except Exception:  # already failing; deleting the file is what matters
                pass
        self._remove_temp()

    def _remove_temp(self) -> None:
        try:
            os.unlink(self.temp_path)
        except FileNotFoundError:
            pass

    def __enter__(self) -> "TraceWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if not self._finished:
            self.abort()


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: str) -> None:
    """Make the rename durable. Some platforms cannot open directories; skip there."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
