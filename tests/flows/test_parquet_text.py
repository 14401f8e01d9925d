"""Parquet flow tables whose names, metadata or text are not UTF-8 (issue 14): Polars' Arrow import panics on
them (a pyo3 ``PanicException``, not an ``Exception``), so the reader must never hand them over. Every file
here is generated, then damaged byte for byte in its footer or data."""

from __future__ import annotations

import base64
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netvet.flows import engine
from netvet.model import InputError, ReadStats
from netvet.readers.flowlogs import problems
from netvet.readers.flowlogs.addresses import to_text
from netvet.readers.flowlogs.base import ReadOptions
from netvet.readers.flowlogs.records import FlowChunk
from netvet.readers.flowlogs.tables import _polars_frame

SRC = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
DST = ["8.8.8.8", "1.1.1.1", "9.9.9.9"]


def _read(path: Path, mapping: dict | None = None) -> tuple[FlowChunk, ReadStats]:
    f = engine.detect(path, "parquet-flows")
    stats = ReadStats(str(path), f.format)
    opts = ReadOptions(mapping=tuple(sorted((mapping or {}).items())))
    chunks = [c for part in f.parts(path, opts) for c in f.read_part(part, stats)]
    problems.finish(stats)
    return FlowChunk.concat(chunks), stats


def _patched(path: Path, old: bytes, new: bytes, count: int = 1) -> Path:
    """``path`` with ``old`` replaced by ``new`` (same length), which must occur ``count`` times."""
    assert len(old) == len(new)
    data = path.read_bytes()
    assert data.count(old) == count, data.count(old)
    out = path.with_name("bad-" + path.name)
    out.write_bytes(data.replace(old, new))
    return out


def _strings(values: list[bytes | None]) -> pa.Array:
    """An Arrow string array holding ``values`` as they are (Arrow's builders would refuse bad UTF-8)."""
    data = b"".join(v or b"" for v in values)
    offsets = np.concatenate(([0], np.cumsum([len(v or b"") for v in values]))).astype(np.int32)
    valid = np.packbits(np.array([v is not None for v in values]), bitorder="little")
    buffers = [pa.py_buffer(valid.tobytes()), pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)]
    return pa.Array.from_buffers(pa.string(), len(values), buffers)


def test_a_non_utf8_metadata_key_is_not_handed_to_polars(tmp_path):
    # the long fuzzing run's input: one byte of the footer's key "ARROW:schema" damaged; Polars panicked on it
    path = tmp_path / "f.parquet"
    table = pa.table({"src": SRC, "dst": DST, "bytes": ["10", "20", "x"]},
                     metadata={b"netvet-key": b"netvet-value"})
    pq.write_table(table, path)
    before, before_stats = _read(path)
    bad = _patched(path, b"netvet-key", b"netvet\xff\xfeey")
    after, stats = _read(bad)
    assert to_text(after.src_hi, after.src_lo) == ["10.0.0.1", "10.0.0.2"] == to_text(before.src_hi, before.src_lo)
    assert after.bytes.tolist() == [10, 20] == before.bytes.tolist()
    assert (stats.read, stats.malformed) == (3, 1) == (before_stats.read, before_stats.malformed)
    assert [(i.line, i.reason) for i in stats.issues] == [(3, "bad bytes value 'x'")]


def test_the_file_key_arrow_schema_damaged_as_the_fuzzer_did(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"src": SRC, "dst": DST, "n": ["1", "2", "3"]}), path)
    bad = _patched(path, b"ARROW:schema", b"\xffRROW:schema")
    after, stats = _read(bad, {"bytes": "n"})
    assert after.bytes.tolist() == [1, 2, 3] and (stats.read, stats.malformed) == (3, 0)


def test_a_non_utf8_column_name_is_an_input_error(tmp_path):
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"src": SRC, "dst": DST, "colxx": [1, 2, 3]}), path, store_schema=False)
    bad = _patched(path, b"colxx", b"co\xff\xfex", count=2)  # the schema element and the column chunk's path
    with pytest.raises(InputError) as exc:
        _read(bad)
    assert exc.value.issue.reason.startswith("cannot read Parquet: 'utf-8' codec can't decode byte 0xff")


def test_a_time_zone_that_is_not_utf8_refuses_the_file(tmp_path):
    # the time zone lives in the Arrow schema stored in the footer (base64); with a null the column takes the
    # general path, through Polars
    path = tmp_path / "f.parquet"
    start = pa.array([1_600_000_000_000_000, None, 1_600_000_001_000_000], pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({"src": SRC, "dst": DST, "start": start}), path)
    meta = pq.read_metadata(path).metadata[b"ARROW:schema"]
    raw = base64.b64decode(meta)
    assert raw.count(b"UTC") == 1
    damaged = base64.b64encode(raw.replace(b"UTC", b"U\xffC"))
    assert len(damaged) == len(meta)
    bad = _patched(path, meta, damaged)
    with pytest.raises(InputError) as exc:
        _read(bad)
    assert exc.value.issue.reason == "cannot read Parquet: column 'start': its type names text that is not UTF-8"
    assert exc.value.issue.line == 1


def test_text_cells_that_are_not_utf8_make_their_rows_malformed(tmp_path):
    path = tmp_path / "f.parquet"
    table = pa.table({"src": _strings([b"10.0.0.1", b"10.0.0.\xff", b"10.0.0.3", b"10.0.0.4", b"10.0.0.5"]),
                      "dst": DST + ["8.8.4.4", "8.8.8.8"],
                      "bytes": _strings([b"10", b"20", b"3\xc3", None, b"5"]),
                      "end": _strings([b"2024-01-01T00:00:00Z", b"1700000000", b"1700000000", b"\xe2\x82",
                                       b"1700000001"])})
    pq.write_table(table, path)
    got, stats = _read(path)
    assert to_text(got.src_hi, got.src_lo) == ["10.0.0.1", "10.0.0.5"]
    assert got.bytes.tolist() == [10, 5]
    assert got.end.tolist() == [1_704_067_200_000_000, 1_700_000_001_000_000]
    assert (stats.read, stats.malformed) == (5, 3)
    assert [(i.line, i.reason) for i in stats.issues] == [
        (2, "bad src value b'10.0.0.\\xff'"), (3, "bad bytes value: not UTF-8 text"),
        (4, "bad end value: not UTF-8 text")]


def test_dictionary_text_that_is_not_utf8(tmp_path):
    counts = pa.DictionaryArray.from_arrays(pa.array([0, 1, 0, None], pa.int8()), _strings([b"7", b"\xff"]))
    # in memory (a batch of another Arrow source): the bad value is nulled, its rows reported
    batch = pa.RecordBatch.from_arrays([counts, _strings([b"a", b"b", None, b"\xfe"])], names=["n", "t"])
    frame, bad = _polars_frame(batch, ["n", "t"])
    assert frame["n"].to_list() == ["7", None, "7", None] and frame["t"].to_list() == ["a", "b", None, None]
    assert {k: v.tolist() for k, v in bad.items()} == {"n": [False, True, False, False],
                                                       "t": [False, False, False, True]}
    # in a file: Arrow checks a dictionary page itself, and the file is refused
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({"src": SRC + ["10.0.0.4"], "dst": DST + ["8.8.4.4"], "bytes": counts}), path)
    with pytest.raises(InputError) as exc:
        _read(path)
    assert exc.value.issue.reason == "cannot read Parquet: Invalid UTF8 payload"
