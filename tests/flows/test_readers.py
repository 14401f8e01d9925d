"""Flow and DNS readers: every format on hand-written fixtures and on the real samples, exact counts and sums."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from netvet.flows import engine
from netvet.model import InputError, ReadStats
from netvet.readers.flowlogs import problems
from netvet.readers.flowlogs.addresses import to_text
from netvet.readers.flowlogs.base import ReadOptions
from netvet.readers.flowlogs.records import NO_TIME, FlowChunk, iso_time
from tests.conftest import shared_file
from tests.flows.helpers import FLOWS


def read(path: Path, fmt: str | None = None, mapping: dict | None = None):
    f = engine.detect(path, fmt)
    stats = ReadStats(str(path), f.format)
    opts = ReadOptions(mapping=tuple(sorted((mapping or {}).items())), chunk_rows=4096)
    out = [c for part in f.parts(path, opts) for c in f.read_part(part, stats)]
    problems.finish(stats)
    if f.kind == "dns":
        return f.format, out, stats
    return f.format, FlowChunk.concat(out), stats


def issues(stats: ReadStats) -> list[tuple[int | None, str, str]]:
    return [(i.line, i.severity, i.reason) for i in stats.issues]


def sums(c: FlowChunk) -> tuple[int, ...]:
    return (len(c), int(c.bytes.sum()), int(c.rbytes.sum()), int(c.packets.sum()), int(c.rpackets.sum()),
            int(c.flows.sum()))


# --------------------------------------------------------------------------- Zeek
def test_zeek_conn_tsv_header_driven_with_bad_rows():
    fmt, c, st = read(FLOWS / "conn.log")
    assert fmt == "zeek-conn"
    assert (st.read, st.malformed) == (14, 3)
    assert issues(st) == [(19, "error", "expected 21 tab-separated fields, found 22"),
                          (20, "error", "bad id.resp_h value '192.0.2.999'"),
                          (21, "error", "bad orig_pkts value 'x1'")]
    # 10 records of the first header, 1 of the second (no orig_ip_bytes: payload bytes are used)
    assert sums(c) == (11, 1000 + 2000 + 300 + 100 + 50 + 700 + 400 + 60 + 10 + 500 + 1234,
                       5000 + 3000 + 400 + 0 + 40 + 900 + 100 + 0 + 0 + 200 + 4321,
                       10 + 20 + 3 + 1 + 1 + 7 + 4 + 1 + 1 + 5 + 3,
                       8 + 5 + 4 + 0 + 1 + 9 + 1 + 0 + 0 + 2 + 4, 11)
    assert c.line.tolist() == [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 24]
    assert to_text(c.dst_hi[-1:], c.dst_lo[-1:]) == ["2001:db8:200::5"]
    assert iso_time(int(c.start[0])) == "2023-11-14T22:13:20Z"
    assert iso_time(int(c.end[0])) == "2023-11-14T22:13:22.500000Z"
    assert c.end[3] == c.start[3]  # duration unset: the record ends when it starts


def test_zeek_conn_json_nested_ids_and_bad_lines():
    fmt, c, st = read(FLOWS / "conn.json")
    assert fmt == "zeek-conn"
    assert (st.read, st.malformed) == (5, 2)
    assert [(line, sev) for line, sev, _ in issues(st)] == [(3, "error"), (4, "error")]
    assert issues(st)[0][2].startswith("not a JSON object")
    assert issues(st)[1][2] == "bad id.resp_h value 'not-an-ip'"
    assert sums(c) == (3, 2200, 6100, 22, 19, 3)
    assert to_text(c.src_hi, c.src_lo) == ["10.0.0.5", "fd00::10", "10.0.0.6"]
    assert c.line.tolist() == [1, 2, 6]


def test_zeek_dns_tsv_and_json():
    fmt, chunks, st = read(FLOWS / "dns.log")
    assert fmt == "zeek-dns"
    assert (st.read, st.malformed, st.skipped) == (6, 1, 2)  # NXDOMAIN and a DNSKEY answer have no address
    assert issues(st) == [(14, "error", "bad ts value 'notatime'")]
    pairs = sorted((n, a) for c in chunks for n, a in zip(c.name, to_text(c.hi, c.lo), strict=True))
    assert pairs == [("ecs.huaweicloud.com", "198.51.100.7"), ("ecs.huaweicloud.com.edge.example.net", "198.51.100.7"),
                     ("example.org", "198.18.1.1"), ("www.alibabacloud.com", "2001:db8:100::1")]
    fmt, chunks, st = read(FLOWS / "dns.json")
    assert (fmt, st.read, st.malformed, st.skipped) == ("zeek-dns", 4, 1, 1)
    pairs = sorted((n, a) for c in chunks for n, a in zip(c.name, to_text(c.hi, c.lo), strict=True))
    assert pairs == [("ecs.huaweicloud.com", "198.51.100.7"), ("ecs.huaweicloud.com.edge.example.net", "198.51.100.7"),
                     ("www.alibabacloud.com", "2001:db8:100::1")]


def test_real_zeek_conn_logs():
    fmt, c, st = read(shared_file("inputs/flows/zeek_teredo_conn.log"))
    assert (fmt, st.read, st.malformed) == ("zeek-conn", 21, 0)
    assert sums(c) == (21, 8681, 28978, 55, 49, 21)
    assert to_text(c.src_hi[12:13], c.src_lo[12:13]) == ["2001:0:4137:9e50:8000:f12a:b9c8:2815"]
    fmt, c, st = read(shared_file("inputs/flows/zeek_mac-logging_conn2.log"))  # 23 columns (MACs)
    assert (st.read, st.malformed) == (2, 0)
    assert sums(c) == (2, 391, 156, 2, 1, 2)
    assert to_text(c.dst_hi, c.dst_lo) == ["208.67.220.220", "ff02::fb"]


def test_real_zeek_dns_log_with_unknown_answer_types():
    fmt, chunks, st = read(shared_file("inputs/flows/zeek_dns-key_dns.log"))
    assert (fmt, st.read, st.malformed, st.skipped) == ("zeek-dns", 1, 0, 1)
    assert sum(len(c) for c in chunks) == 0


@pytest.mark.parametrize("codec", ["gzip", "zstd"])
def test_compressed_input(tmp_path, codec):
    data = (FLOWS / "conn.log").read_bytes()
    path = tmp_path / ("conn.log.gz" if codec == "gzip" else "conn.log.zst")
    path.write_bytes(gzip.compress(data) if codec == "gzip" else zstandard.ZstdCompressor().compress(data))
    fmt, c, st = read(path)
    assert (fmt, st.read, st.malformed, len(c)) == ("zeek-conn", 14, 3, 11)
    assert int(c.bytes.sum()) == 6354


# --------------------------------------------------------------------------- AWS VPC
def test_vpc_v2_nodata_skipdata_and_bad_rows():
    fmt, c, st = read(FLOWS / "vpc-v2.log")
    assert fmt == "aws-vpc"
    assert (st.read, st.malformed, st.skipped) == (8, 2, 2)
    assert issues(st) == [(6, "warning", "SKIPDATA: AWS skipped flow records in this capture window (traffic went "
                                         "unlogged)"),
                          (8, "error", "bad packets value 'x'"),
                          (9, "error", "expected 14 space-separated fields, found 11")]
    assert sums(c) == (4, 6500, 0, 23, 0, 4)
    assert iso_time(int(c.end[0])) == "2023-11-14T22:14:20Z"


def test_vpc_v5_uses_packet_addresses_behind_a_nat_gateway():
    fmt, c, st = read(FLOWS / "vpc-v5.log")
    assert (st.read, st.malformed) == (5, 2)
    assert [r for _l, _s, r in issues(st)] == ["bad pkt-dstaddr/dstaddr value '999.1.1.1'", "bad version value"]
    assert to_text(c.src_hi, c.src_lo) == ["10.0.0.5", "fd00::10", "10.0.0.6"]
    assert sums(c) == (3, 1900, 0, 19, 0, 3)


def test_vpc_without_header_is_read_as_version_2():
    fmt, c, st = read(FLOWS / "vpc-headerless.log")
    assert (fmt, st.read, st.malformed, len(c), int(c.bytes.sum())) == ("aws-vpc", 3, 0, 3, 6100)


def test_real_vpc_sample():
    fmt, c, st = read(shared_file("inputs/flows/beats_aws-vpcflow_accept-reject-traffic.log"))
    assert (fmt, st.read, st.malformed, st.skipped) == ("aws-vpc", 4, 0, 0)
    assert sums(c) == (4, 9170, 0, 48, 0, 4)


# --------------------------------------------------------------------------- nfdump CSV
def test_nfdump_csv_with_summary():
    fmt, c, st = read(FLOWS / "nfdump.csv")
    assert fmt == "nfdump-csv"
    assert (st.read, st.malformed) == (5, 2)
    assert issues(st) == [(5, "error", "bad da value '10.0.0.x'"),
                          (6, "error", "expected 48 comma-separated fields, found 8")]
    assert sums(c) == (3, 2100, 5900, 21, 17, 3)
    assert iso_time(int(c.end[0])) == "2023-11-14T22:13:22.500000Z"


def test_nfdump_csv_summary_mismatch_is_a_warning(tmp_path):
    text = (FLOWS / "nfdump.csv").read_text().replace("\n5,8220,", "\n9,8220,")
    (tmp_path / "n.csv").write_text(text)
    _fmt, _c, st = read(tmp_path / "n.csv")
    assert (None, "warning", "nfdump's summary counts 9 flows; 5 were read") in issues(st)
    assert (st.read, st.malformed) == (5, 2)


def test_nfdump_newer_column_names_and_flow_counts():
    fmt, c, st = read(FLOWS / "nfdump-new.csv")
    assert (fmt, st.read, st.malformed) == ("nfdump-csv", 2, 0)
    assert sums(c) == (2, 1400, 5000, 14, 8, 3)


# --------------------------------------------------------------------------- tables
def test_csv_table_needs_a_mapping_for_its_own_names():
    with pytest.raises(InputError, match="no column for src, dst"):
        read(FLOWS / "flows.csv", "csv-flows")
    m = {"src": "client", "dst": "server", "bytes": "sent", "rbytes": "received", "flows": "count", "start": "begin",
         "end": "finish"}
    fmt, c, st = read(FLOWS / "flows.csv", "csv-flows", m)
    assert (st.read, st.malformed) == (6, 3)
    assert issues(st) == [(5, "error", "bad sent value '-5'"), (6, "error", "bad begin value 'yesterday'"),
                          (7, "error", "expected 8 fields, found 3")]
    assert sums(c) == (3, 2100, 5100, 0, 0, 4)  # an empty flows cell counts one flow
    starts = [iso_time(int(t)) for t in c.start]
    assert starts == ["2023-11-14T22:13:20Z", "2023-11-14T22:13:20Z", "2023-11-14T22:14:10Z"]
    assert c.end[2] == NO_TIME  # no end (the aggregation then uses the start)


def _table(tmp_path: Path, src, dst, **cols) -> Path:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"srcaddr": src, "dstaddr": dst, **cols}), path, row_group_size=3)
    return path


def _packed(texts):
    import ipaddress

    return [ipaddress.ip_address(t).packed if t else None for t in texts]


def test_parquet_binary_addresses_and_row_numbers(tmp_path):
    src = pa.array(_packed(["10.0.0.5", "fd00::10", "10.0.0.6", "10.0.0.6", None, "10.0.0.5", "10.0.0.5"]), pa.binary())
    dst = pa.array(_packed(["192.0.2.10", "2001:db8:100::1", "198.18.1.1", "198.18.1.1", "192.0.2.10", "192.0.2.10",
                            "192.0.2.10"]), pa.binary())
    path = _table(tmp_path, src, dst, bytes=pa.array([1000, 700, 400, -1, 5, 6, 7], pa.int64()),
                  packets=pa.array([10, 7, 4, 1, 1, None, 1], pa.int64()),
                  start=pa.array([1_700_000_000_000_000 + i for i in range(7)], pa.timestamp("us", tz="UTC")))
    fmt, c, st = read(path)
    assert fmt == "parquet-flows"
    assert (st.read, st.malformed) == (7, 2)
    assert issues(st) == [(4, "error", "bad bytes value -1"),
                          (5, "error", "bad srcaddr value: not a 4- or 16-byte address (or missing)")]
    assert to_text(c.src_hi, c.src_lo) == ["10.0.0.5", "fd00::10", "10.0.0.6", "10.0.0.5", "10.0.0.5"]
    assert sums(c) == (5, 1000 + 700 + 400 + 6 + 7, 0, 10 + 7 + 4 + 0 + 1, 0, 5)
    assert c.line.tolist() == [1, 2, 3, 6, 7]
    assert int(c.start[-1]) == 1_700_000_000_000_006


def test_parquet_parts_split_at_row_groups_read_the_same_rows(tmp_path):
    n = 10
    path = _table(tmp_path, [f"10.0.0.{i}" for i in range(n)], [f"192.0.2.{i}" if i != 4 else "x" for i in range(n)],
                  octets=np.arange(n, dtype=np.uint64), first=np.arange(n, dtype=np.int64) + 1_700_000_000)
    f = engine.detect(path)
    opts = ReadOptions(mapping=(("bytes", "octets"),), chunk_rows=2, part_rows=4)
    parts = f.parts(path, opts)
    assert [(p.row_groups, p.first_row, p.rows) for p in parts] == [((0,), 0, 3), ((1,), 3, 3), ((2, 3), 6, 4)]
    stats = ReadStats(str(path), f.format)
    chunks = [c for p in parts for c in f.read_part(p, stats)]
    got = FlowChunk.concat(chunks)
    assert (stats.read, stats.malformed) == (10, 1)
    assert issues(stats) == [(5, "error", "bad dstaddr value 'x'")]
    assert got.line.tolist() == [1, 2, 3, 4, 6, 7, 8, 9, 10]
    assert int(got.bytes.sum()) == sum(range(n)) - 4
    assert iso_time(int(got.start[0])) == "2023-11-14T22:13:20Z"  # epoch seconds, told by magnitude


def test_parquet_with_polars_strings_and_unmapped_columns(tmp_path):
    df = pl.DataFrame({"src_ip": ["10.0.0.5", "10.0.0.6"], "dst_ip": ["192.0.2.10", "2001:db8:100::1"],
                       "in_bytes": [1, 2], "ts": ["2023-11-14T22:13:20Z", "2023-11-14 22:13:21"]})
    df.write_parquet(tmp_path / "p.parquet")
    fmt, c, st = read(tmp_path / "p.parquet")
    assert (st.read, st.malformed, int(c.bytes.sum())) == (2, 0, 3)
    assert [iso_time(int(t)) for t in c.start] == ["2023-11-14T22:13:20Z", "2023-11-14T22:13:21Z"]


def test_parquet_list_column_is_refused_with_the_reason(tmp_path):
    """A list column where a number belongs: the file is refused whole with Polars' reason and the row, never a
    crash (nor Polars formatting the cell, which can panic on multi-byte text). The line is the first row of the
    batch that failed (it was the row after the batch)."""
    df = pl.DataFrame({"src_ip": ["10.0.0.5", "10.0.0.6"], "dst_ip": ["192.0.2.10", "192.0.2.11"],
                       "in_bytes": [["é" * 30], ["1"]], "ts": ["2023-11-14T22:13:20Z", "2023-11-14T22:13:21Z"]})
    df.write_parquet(tmp_path / "p.parquet")
    with pytest.raises(InputError, match=r"line 1: cannot read Parquet: cannot cast List type"):
        read(tmp_path / "p.parquet")


def test_unknown_and_unreadable_inputs(tmp_path):
    (tmp_path / "x.txt").write_text("hello\nworld\n")
    with pytest.raises(InputError, match="not a flow or DNS log"):
        engine.detect(tmp_path / "x.txt")
    with pytest.raises(InputError, match="file not found"):
        engine.detect(tmp_path / "missing.log")
    flow_formats = r"\(known: aws-vpc, csv-flows, nfcapd, nfdump-csv, parquet-flows, zeek-conn, zeek-dns\)"
    with pytest.raises(InputError, match="unknown format 'pcap' " + flow_formats):
        engine.detect(FLOWS / "conn.log", "pcap")
    with pytest.raises(InputError, match="unknown format 'flows' " + flow_formats):  # yields observations
        engine.detect(FLOWS / "conn.log", "flows")
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1" + b"\x00" * 20)
    with pytest.raises(InputError, match="cannot read Parquet"):
        read(bad)
    (tmp_path / "trunc.log.gz").write_bytes(gzip.compress((FLOWS / "conn.log").read_bytes())[:200])
    with pytest.raises(InputError, match="cannot decompress"):
        read(tmp_path / "trunc.log.gz")


def test_zeek_other_logs_are_not_flow_logs(tmp_path):
    text = (FLOWS / "conn.log").read_text().replace("#path\tconn", "#path\thttp")
    text = text.replace("orig_ip_bytes", "request_body_len").replace("conn_state", "method")
    (tmp_path / "http.log").write_text(text)
    with pytest.raises(InputError, match="not a flow or DNS log"):
        engine.detect(tmp_path / "http.log")
    shutil.copy(FLOWS / "conn.log", tmp_path / "c.log")
    assert engine.detect(tmp_path / "c.log").format == "zeek-conn"
