"""The trace container's fixed rules, shared by the writer and the reader.

Everything that decides whether two programs agree on a trace file lives here
(the format name and version, the dtype table, how a blob is named, how the
meta document is encoded), so the writer and the reader cannot drift apart.
docs/trace-format.md specifies the same rules for readers in other languages;
change both together, and bump FORMAT_VERSION for any change an existing
reader could not handle.
"""

from __future__ import annotations

import hashlib

import msgpack
import numpy as np

from pt2r.errors import TraceFormatError

#: Value of the root attribute ``format``: tells a trace from any other HDF5 file.
FORMAT_NAME = "pt2r-trace"
#: Value of the root attribute ``format_version``. Readers refuse newer versions.
FORMAT_VERSION = 1

#: Logical dtype name -> numpy dtype name of what is stored in the file.
#: Most dtypes are stored as themselves. Those numpy cannot represent (bfloat16,
#: the float8 variants) are stored as their raw bits in an unsigned integer of
#: the same width; the logical name tells the replay side how to reinterpret
#: them. The table is fixed for a format version: a v1 reader must understand
#: every name a v1 writer may produce.
STORAGE_DTYPES: dict[str, str] = {
    "bool": "bool",
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "float16": "float16",
    "float32": "float32",
    "float64": "float64",
    "complex64": "complex64",
    "complex128": "complex128",
    "bfloat16": "uint16",
    "float8_e4m3fn": "uint8",
    "float8_e4m3fnuz": "uint8",
    "float8_e5m2": "uint8",
    "float8_e5m2fnuz": "uint8",
}


def check_dtype(dtype_name: str, storage: np.dtype) -> None:
    """Refuse a logical dtype name that is unknown or does not fit the stored dtype.

    Raises TraceFormatError: the writer uses it to refuse data a v1 trace
    cannot hold, the reader to refuse a blob whose dtype it cannot interpret.
    """
    expected = STORAGE_DTYPES.get(dtype_name) if isinstance(dtype_name, str) else None
    if expected is None:
        known = ", ".join(sorted(STORAGE_DTYPES))
        raise TraceFormatError(
            f"The dtype {dtype_name!r} cannot be stored in a pt2r trace (format version "
            f"{FORMAT_VERSION}); the known dtype names are: {known}."
        )
    if np.dtype(storage).name != expected:
        raise TraceFormatError(
            f"A blob with logical dtype {dtype_name!r} must be stored as {expected}, "
            f"but the data is {np.dtype(storage).name}."
        )


def canonical(array: np.ndarray) -> np.ndarray:
    """The array in the one byte layout that is hashed and stored.

    C order, little-endian, and bools as exactly 0/1 bytes, so equal values
    always give equal bytes (and hence equal blob keys) whatever the memory
    layout of the caller's array. Copies only when the input differs.
    """
    array = np.asarray(array)
    if array.dtype.kind == "b":
        array = array.view(np.uint8) != 0
    little = array.dtype.newbyteorder("<")
    if array.dtype != little:
        array = array.astype(little)
    # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
    return array if array.flags.c_contiguous else array.copy(order="C")


def blob_key(array: np.ndarray, dtype_name: str | None = None) -> str:
    """The content address of a blob: sha256 hex of dtype name, shape and data.

    Hashed bytes, in order: the UTF-8 dtype name, ``\\n``, the shape as decimal
    dims joined by ``,`` (empty for a 0-d array), ``\\n``, then the canonical
    (C-order, little-endian) element bytes. Including dtype and shape means
    equal bytes under a different interpretation get a different key, and the
    key doubles as the blob's checksum.
    """
    array = canonical(array)
    if dtype_name is None:
        dtype_name = array.dtype.name
    shape = ",".join(str(int(d)) for d in array.shape)
    h = hashlib.sha256()
    h.update(f"{dtype_name}\n{shape}\n".encode("utf-8"))
    h.update(array.reshape(-1).view(np.uint8))
    return h.hexdigest()


def pack_meta(meta: dict) -> bytes:
    """Encode the meta document with msgpack (never pickle: reading runs no code)."""
    if not isinstance(meta, dict):
        raise TraceFormatError(
            f"The trace meta document must be a dict, not {type(meta).__name__}."
        )
    try:
        return msgpack.packb(meta, use_bin_type=True)
    except (TypeError, ValueError, OverflowError) as e:
        raise TraceFormatError(
            f"The trace meta document cannot be encoded with msgpack ({e}); it may "
            "contain only None, bool, int, float, str, bytes, lists/tuples and dicts "
            "(convert numpy scalars and other objects first)."
        ) from e


def unpack_meta(data: bytes) -> dict:
    """Decode a meta document; int map keys are allowed, bytes stay bytes."""
    try:
        meta = msgpack.unpackb(bytes(data), raw=False, strict_map_key=False)
    except Exception as e:  # msgpack raises many unrelated types on bad input
        raise TraceFormatError(f"The trace meta document cannot be decoded ({e}).") from e
    if not isinstance(meta, dict):
        raise TraceFormatError(
            f"The trace meta document decodes to {type(meta).__name__}, not a dict."
        )
    return meta
