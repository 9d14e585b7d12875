"""The trace container: round-trips, dedup, laziness, and every damage case.

Each damage test builds a real trace, damages it the way it happens in
practice (truncation, a flipped bit, a foreign file, an interrupted write)
and checks that the reader refuses it with its own message.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import h5py
import msgpack
import numpy as np
import pytest

from pt2r.errors import OutputPathError, TraceFormatError
from pt2r.trace import (
    FORMAT_NAME,
    FORMAT_VERSION,
    TraceReader,
    TraceWriter,
    blob_key,
    pack_meta,
    unpack_meta,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sample_arrays() -> dict[str, tuple[np.ndarray, str | None]]:
    rng = np.random.default_rng(0)
    bf16_bits = (rng.standard_normal(40).astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    return {
        "f32": (rng.standard_normal((3, 5)).astype(np.float32), None),
        "f32_big": (rng.standard_normal((64, 64)).astype(np.float32), None),  # > 4 KiB: compressed
        "f64": (rng.standard_normal((2, 3, 4)), None),
        "f16": (rng.standard_normal(17).astype(np.float16), None),
        "i64": (np.arange(-5000, 5000, dtype=np.int64), None),
        "i32": (np.arange(12, dtype=np.int32).reshape(3, 4), None),
        "bool": (rng.random((4, 4)) > 0.5, None),
        "u8": (rng.integers(0, 256, 300).astype(np.uint8), None),
        "bf16": (bf16_bits, "bfloat16"),
        "scalar": (np.array(3.25, dtype=np.float64), None),
        "scalar_int": (np.array(7, dtype=np.int32), None),
        "empty": (np.zeros((0, 3), dtype=np.float32), None),
        "empty_1d": (np.zeros(0, dtype=np.int64), None),
        "noncontig": (np.arange(20, dtype=np.float32).reshape(4, 5).T, None),
    }


def write_trace(path, arrays=None, meta=None, compress=False) -> dict[str, str]:
    arrays = sample_arrays() if arrays is None else arrays
    with TraceWriter(path, compress=compress) as w:
        keys = {name: w.add_array(a, dtype_name=d) for name, (a, d) in arrays.items()}
        w.finish({"keys": keys, **(meta or {})})
    return keys


def flip_bit_in_dataset(path, dataset_path: str, byte_index: int = 0) -> None:
    with h5py.File(path, "r") as f:
        offset = f[dataset_path].id.get_offset()
    assert offset is not None, "dataset must be contiguous and allocated"
    with open(path, "r+b") as fh:
        fh.seek(offset + byte_index)
        b = fh.read(1)
        fh.seek(offset + byte_index)
        fh.write(bytes([b[0] ^ 0x10]))


# -- round trip ---------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_all_dtypes(tmp_path, compress):
    path = tmp_path / "t.h5"
    arrays = sample_arrays()
    meta = {"name": "demo", 3: [1, 2.5, None, True], "raw": b"\x00\x01", "nested": {"a": {"b": []}}}
    keys = write_trace(path, arrays, meta, compress=compress)
    with TraceReader(path) as r:
        assert r.format_version == FORMAT_VERSION == 1
        assert r.meta["name"] == "demo"
        assert r.meta[3] == [1, 2.5, None, True]
        assert r.meta["raw"] == b"\x00\x01"
        assert r.meta["nested"] == {"a": {"b": []}}
        assert r.meta["keys"] == keys
        assert sorted(r.keys()) == sorted(set(keys.values()))
        for name, (a, d) in arrays.items():
            k = keys[name]
            got = r.array(k)
            assert got.dtype == a.dtype, name
            assert got.shape == a.shape, name
            np.testing.assert_array_equal(got, a)
            assert r.dtype_name(k) == (d or a.dtype.name)
            assert r.shape(k) == a.shape
            assert r.nbytes(k) == a.nbytes
        assert r.dtype_name(keys["bf16"]) == "bfloat16"
        assert r.array(keys["scalar"]).ndim == 0
        assert r.verify_all() == len(set(keys.values()))
        assert r.unique_bytes == sum(a.nbytes for a, _ in arrays.values())
        assert r.file_size == os.path.getsize(path)
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == FORMAT_NAME
        assert bool(f.attrs["complete"]) is True
        big = f["tensors"][keys["f32_big"]]
        small = f["tensors"][keys["f32"]]
        assert small.compression is None and small.chunks is None
        if compress:
            assert big.compression == "gzip" and big.shuffle
        else:
            assert big.compression is None and big.chunks is None


def test_blob_key_depends_on_content_dtype_and_shape():
    a = np.arange(6, dtype=np.float32)
    assert blob_key(a) == blob_key(a.copy()) == blob_key(a, "float32")
    assert blob_key(a) == blob_key(a.astype(">f4"))  # byte order does not matter
    assert blob_key(a) != blob_key(a.reshape(2, 3))
    assert blob_key(a.view(np.int32)) != blob_key(a)
    assert blob_key(a.view(np.uint32)[:3].astype(np.uint16)) != blob_key(
        a.view(np.uint32)[:3].astype(np.uint16), "bfloat16"
    )
    # the documented example in docs/trace-format.md
    import hashlib

    expected = hashlib.sha256(b"float32\n2\n" + bytes.fromhex("0000803f00000040")).hexdigest()
    assert blob_key(np.array([1.0, 2.0], np.float32)) == expected
    assert blob_key(np.array(1.5)) == hashlib.sha256(
        b"float64\n\n" + np.array(1.5, "<f8").tobytes()
    ).hexdigest()


def test_pack_meta_round_trip_and_refuses_objects():
    meta = {"a": 1, 2: "b", "c": [1.5, b"x"]}
    assert unpack_meta(pack_meta(meta)) == meta
    with pytest.raises(TraceFormatError):
        pack_meta({"x": object()})
    with pytest.raises(TraceFormatError):
        pack_meta([1, 2])
    with pytest.raises(TraceFormatError):
        unpack_meta(msgpack.packb([1, 2]))
    with pytest.raises(TraceFormatError):
        unpack_meta(b"\xc1garbage")


def test_unknown_dtype_name_refused(tmp_path):
    with TraceWriter(tmp_path / "t.h5") as w:
        with pytest.raises(TraceFormatError, match="bfloat16"):
            w.add_array(np.zeros(3, np.float32), dtype_name="bfloat16")  # must be uint16 bits
        with pytest.raises(TraceFormatError, match="cannot be stored"):
            w.add_array(np.zeros(3, np.float32), dtype_name="float13")
        with pytest.raises(TraceFormatError):
            w.add_array(np.array(["a", "b"]))


# -- dedup and size -----------------------------------------------------------


def test_dedup_and_file_size(tmp_path):
    path = tmp_path / "t.h5"
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(16384).astype(np.float32) for _ in range(40)]  # 64 KiB each
    with TraceWriter(path) as w:
        keys = [w.add_array(a) for a in arrays]
        again = [w.add_array(a.copy()) for a in arrays]  # same content: stored once
        assert again == keys
        assert w.num_blobs == 40
        assert w.unique_bytes == 40 * 65536
        w.finish({"calls": [{"name": f"call{i}", "out": k} for i, k in enumerate(keys)]})
    size = os.path.getsize(path)
    assert 40 * 65536 <= size <= 1.1 * 40 * 65536
    with TraceReader(path) as r:
        assert len(r.keys()) == 40
        assert r.unique_bytes == 40 * 65536


def test_compression_shrinks_compressible_data(tmp_path):
    a = np.zeros((256, 256), np.float32)
    write_trace(tmp_path / "plain.h5", {"a": (a, None)})
    write_trace(tmp_path / "gz.h5", {"a": (a, None)}, compress=True)
    assert os.path.getsize(tmp_path / "gz.h5") < os.path.getsize(tmp_path / "plain.h5") / 10


# -- laziness -----------------------------------------------------------------


def test_reader_is_lazy(tmp_path):
    path = tmp_path / "t.h5"
    keys = write_trace(path)
    flip_bit_in_dataset(path, f"/tensors/{keys['i64']}", 100)
    # Opening reads only header and meta: the damaged blob goes unnoticed ...
    with TraceReader(path) as r:
        np.testing.assert_array_equal(r.array(keys["f32"]), sample_arrays()["f32"][0])
        assert r.shape(keys["i64"]) == (10000,)  # metadata of a blob needs no data read
        assert r.nbytes(keys["i64"]) == 80000
        # ... until it is read.
        with pytest.raises(TraceFormatError, match=keys["i64"]):
            r.array(keys["i64"])


def test_unknown_key(tmp_path):
    path = tmp_path / "t.h5"
    write_trace(path)
    with TraceReader(path) as r:
        with pytest.raises(TraceFormatError, match="no tensor"):
            r.array("0" * 64)


# -- damage cases -------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(TraceFormatError, match="does not exist") as ei:
        TraceReader(tmp_path / "nope.h5")
    assert "nope.h5" in str(ei.value)


def test_truncated_file(tmp_path):
    path = tmp_path / "t.h5"
    write_trace(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TraceFormatError, match="truncated or damaged") as ei:
        TraceReader(path)
    assert str(path) in str(ei.value)


def test_bit_flip_in_tensor_data(tmp_path):
    path = tmp_path / "t.h5"
    keys = write_trace(path)
    bad = keys["f32_big"]
    flip_bit_in_dataset(path, f"/tensors/{bad}", 1234)
    with TraceReader(path) as r:
        with pytest.raises(TraceFormatError, match="checksum") as ei:
            r.array(bad)
        assert bad in str(ei.value) and str(path) in str(ei.value)
        with pytest.raises(TraceFormatError, match="1 of") as ei:
            r.verify_all()
        assert bad in str(ei.value)
        assert keys["f32"] not in str(ei.value)


def test_verify_all_lists_every_damaged_blob(tmp_path):
    path = tmp_path / "t.h5"
    keys = write_trace(path)
    for name in ("f32_big", "i64"):
        flip_bit_in_dataset(path, f"/tensors/{keys[name]}", 8)
    with TraceReader(path) as r:
        with pytest.raises(TraceFormatError, match="2 of") as ei:
            r.verify_all()
    assert keys["f32_big"] in str(ei.value) and keys["i64"] in str(ei.value)


def test_bit_flip_in_meta(tmp_path):
    path = tmp_path / "t.h5"
    write_trace(path, meta={"padding": "x" * 200})
    flip_bit_in_dataset(path, "/meta", 50)
    with pytest.raises(TraceFormatError, match=r"metadata .*damaged"):
        TraceReader(path)


def test_text_file(tmp_path):
    path = tmp_path / "t.h5"
    path.write_text("this is not a trace\n" * 10)
    with pytest.raises(TraceFormatError, match="not an HDF5 file"):
        TraceReader(path)


def test_empty_file(tmp_path):
    path = tmp_path / "t.h5"
    path.write_bytes(b"")
    with pytest.raises(TraceFormatError, match="not an HDF5 file"):
        TraceReader(path)


def test_hdf5_but_not_a_trace(tmp_path):
    path = tmp_path / "t.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(TraceFormatError, match="is an HDF5 file but not a pt2r trace"):
        TraceReader(path)
    with h5py.File(path, "a") as f:
        f.attrs["format"] = "something-else"
    with pytest.raises(TraceFormatError, match="is an HDF5 file but not a pt2r trace"):
        TraceReader(path)


def test_newer_format_version(tmp_path):
    path = tmp_path / "t.h5"
    write_trace(path)
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = np.int64(2)
    with pytest.raises(TraceFormatError, match="format version 2") as ei:
        TraceReader(path)
    msg = str(ei.value)
    assert "newer" in msg and "this pt2r reads version 1" in msg


@pytest.mark.parametrize("version", [0, -1, "1"])
def test_invalid_format_version(tmp_path, version):
    path = tmp_path / "t.h5"
    write_trace(path)
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = version
    with pytest.raises(TraceFormatError, match="this pt2r reads version 1"):
        TraceReader(path)


def test_missing_complete(tmp_path):
    path = tmp_path / "t.h5"
    write_trace(path)
    with h5py.File(path, "a") as f:
        del f.attrs["complete"]
    with pytest.raises(TraceFormatError, match="incomplete"):
        TraceReader(path)


def test_directory_as_trace(tmp_path):
    with pytest.raises(TraceFormatError, match="directory"):
        TraceReader(tmp_path)


def test_closed_reader(tmp_path):
    path = tmp_path / "t.h5"
    keys = write_trace(path)
    r = TraceReader(path)
    r.close()
    r.close()
    with pytest.raises(TraceFormatError, match="closed"):
        r.array(keys["f32"])


# -- atomic writing -------------------------------------------------------------


def test_exception_in_with_block_keeps_earlier_file(tmp_path):
    path = tmp_path / "t.h5"
    write_trace(path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="boom"):
        with TraceWriter(path) as w:
            w.add_array(np.ones(1000))
            raise RuntimeError("boom")
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["t.h5"]


def test_exit_without_finish_keeps_earlier_file(tmp_path):
    path = tmp_path / "t.h5"
    write_trace(path)
    before = path.read_bytes()
    with TraceWriter(path) as w:
        w.add_array(np.ones(1000))
        assert os.path.exists(w.temp_path)
        assert os.path.basename(w.temp_path).startswith(".t.h5.partial-")
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["t.h5"]


def test_no_file_at_path_before_finish(tmp_path):
    path = tmp_path / "t.h5"
    with TraceWriter(path) as w:
        w.add_array(np.ones(10))
        assert not path.exists()
        w.finish({})
        assert path.exists()
    assert os.listdir(tmp_path) == ["t.h5"]
    with TraceReader(path) as r:
        assert r.meta == {}


def test_bad_meta_keeps_earlier_file(tmp_path):
    path = tmp_path / "t.h5"
    write_trace(path)
    before = path.read_bytes()
    with pytest.raises(TraceFormatError):
        with TraceWriter(path) as w:
            w.finish({"x": object()})
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["t.h5"]


def test_kill_mid_write_keeps_earlier_file(tmp_path):
    path = tmp_path / "t.h5"
    keys = write_trace(path)
    before = path.read_bytes()
    script = textwrap.dedent(
        f"""
        import sys, time
        import numpy as np
        from pt2r.trace import TraceWriter
        w = TraceWriter({str(path)!r})
        for i in range(20):
            w.add_array(np.full(10000, i, dtype=np.float32))
        print("WRITING", flush=True)
        time.sleep(60)
        """
    )
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "WRITING"
        partial = [n for n in os.listdir(tmp_path) if n != "t.h5"]
        assert len(partial) == 1 and partial[0].startswith(".t.h5.partial-")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    with TraceReader(path) as r:
        assert r.verify_all() == len(set(keys.values()))
    # the stale temporary file is never mistaken for a trace
    (partial_name,) = [n for n in os.listdir(tmp_path) if n != "t.h5"]
    with pytest.raises(TraceFormatError):
        TraceReader(tmp_path / partial_name)


# -- output path errors ---------------------------------------------------------


def test_missing_output_directory(tmp_path):
    path = tmp_path / "no" / "such" / "dir" / "t.h5"
    with pytest.raises(OutputPathError, match="does not exist") as ei:
        TraceWriter(path)
    assert str(path) in str(ei.value)


def test_output_path_is_directory(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputPathError, match="directory") as ei:
        TraceWriter(tmp_path / "d")
    assert str(tmp_path / "d") in str(ei.value)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_output_directory(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    try:
        with pytest.raises(OutputPathError, match="not writable"):
            TraceWriter(d / "t.h5")
    finally:
        d.chmod(0o700)


def test_writer_refuses_use_after_finish(tmp_path):
    with TraceWriter(tmp_path / "t.h5") as w:
        w.finish({})
        with pytest.raises(OutputPathError):
            w.add_array(np.ones(3))
        with pytest.raises(OutputPathError):
            w.finish({})
