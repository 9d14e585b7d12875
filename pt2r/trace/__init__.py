"""The trace: the one file that connects the record and replay phases.

A trace is an HDF5 file holding content-addressed tensor blobs (each distinct
tensor stored once, named by the sha256 of its dtype, shape and bytes) plus
one msgpack "meta" document describing the recording. It is written
atomically (temporary file, then rename) and read lazily with every blob
verified, so a crashed recording or a damaged file is detected, never
half-read. Opening a trace runs no code from it (msgpack, never pickle).

This package imports only the standard library, numpy, h5py and msgpack, so
both phases (torch-only and TensorFlow-only) can use it. The byte-level
specification is docs/trace-format.md.
"""

from pt2r.trace.format import FORMAT_NAME, FORMAT_VERSION, blob_key, pack_meta, unpack_meta
from pt2r.trace.reader import TraceReader
from pt2r.trace.writer import TraceWriter

__all__ = [
    "TraceWriter",
    "TraceReader",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "blob_key",
    "pack_meta",
    "unpack_meta",
]
