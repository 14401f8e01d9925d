"""Hostile and huge input (issue 14): readers never crash, hang or exhaust memory; every limit hit is one
clear, counted problem, or an InputError for a file that is unusable as a whole."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import time
from pathlib import Path

import pytest

from netvet.model import InputError, ReadStats
from netvet.readers import base
from netvet.readers.atlas_traceroute import read_atlas, sniff
from netvet.readers.base import BoundedStream, Limits, open_input
from netvet.readers.csv_inventory import CsvInventoryReader
from netvet.readers.cyclonedx import CycloneDxReader

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
SAGAN4 = "inputs/traceroutes/ripe_atlas_sagan_traceroute_fw4460-4610_msm1000157.jsonl"


def balanced(st: ReadStats) -> bool:
    return st.malformed + st.skipped <= st.read


# ------------------------------------------------------------------------------------ ReadStats cap
def test_problems_past_the_cap_are_counted_not_stored():
    st = ReadStats("f", "x")
    for i in range(2500):
        st.problem("bad", line=i + 1)
    st.warn("odd")
    assert (st.malformed, len(st.issues), st.problems_not_shown) == (2500, 1000, 1501)
    assert [i.line for i in st.issues[:2]] == [1, 2] and st.issues[-1].line == 1000
    assert st.to_dict()["problems_not_shown"] == 1501
    assert st.not_shown_line() == "\u2026 and 1501 more problems of this input"
    assert ReadStats("f", "x").not_shown_line() is None


def test_reporters_render_the_not_shown_count():
    from netvet.model import Report
    from netvet.reporters import render

    st = ReadStats("inv.csv", "csv-inventory", read=1200, malformed=1200)
    for i in range(1200):
        st.problem("bad", line=i + 2)
    st.read, st.malformed = 1200, 1200
    report = Report("2024-06-01T00:00:00Z", "2024-06-01", "0", "0", inputs=[st])
    assert "\u2026 and 200 more problems of this input" in render(report, "table")
    assert json.loads(render(report, "json"))["inputs"][0]["problems_not_shown"] == 200
    assert "\u2026 and 200 more problems of this input" in render(report, "html")


# ------------------------------------------------------------------------------------ decompression
@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_decompression_bomb_is_refused_by_ratio(tmp_path, compress):
    bomb = tmp_path / "bomb"
    bomb.write_bytes(compress(b"\0" * (80 << 20)))  # 80 MiB of zeros: ratio far above 200
    t = time.monotonic()
    with pytest.raises(InputError, match="refused as a possible decompression bomb") as exc, open_input(bomb) as fh:
        while fh.read(1 << 20):
            pass
    assert "max_compression_ratio" in exc.value.issue.reason
    assert time.monotonic() - t < 10


def test_decompressed_size_limit_and_environment(tmp_path, monkeypatch):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(b"a,b\n" * 100_000))
    monkeypatch.setenv("NETVET_MAX_DECOMPRESSED_BYTES", "1000")
    assert base.limits().max_decompressed_bytes == 1000
    with (pytest.raises(InputError, match=r"decompresses to more than 1000 bytes \(limit max_decompressed_bytes"),
          open_input(path) as fh):
        fh.read()
    monkeypatch.setenv("NETVET_MAX_DECOMPRESSED_BYTES", "nonsense")
    assert base.limits() == Limits()


def test_bounded_stream_reads_like_the_file(tmp_path):
    data = b"".join(b"line %d\n" % i for i in range(10_000))
    path = tmp_path / "x.xz"
    path.write_bytes(lzma.compress(data))
    with open_input(path) as fh:
        assert isinstance(fh, BoundedStream) and fh.compression == "xz"
        assert fh.readline() == b"line 0\n"
        assert fh.read(7) == b"line 1\n"
        assert fh.read() == data[14:]
        assert fh.tell() == len(data)


def test_mrt_gzip_bomb_is_refused_quickly(tmp_path):
    from netvet.readers.mrt import MrtParser

    bomb = tmp_path / "rib.mrt.gz"
    bomb.write_bytes(gzip.compress(b"\0" * (100 << 20)))
    t = time.monotonic()
    with pytest.raises(InputError, match="decompression bomb"):
        MrtParser(bomb).table()
    assert time.monotonic() - t < 20


# ------------------------------------------------------------------------------------ binary input
@pytest.mark.parametrize("reader", [CsvInventoryReader, CycloneDxReader])
def test_nul_bytes_are_refused_at_once(tmp_path, reader):
    path = tmp_path / "x"
    with open(path, "wb") as fh:
        fh.truncate(256 << 20)  # sparse: 256 MiB of NUL bytes
    t = time.monotonic()
    with pytest.raises(InputError, match=r"binary data \(a NUL byte in the first 4096 bytes") as exc:
        reader().read(path)
    assert time.monotonic() - t < 2 and exc.value.issue.offset == 0


# ------------------------------------------------------------------------------------ CycloneDX
def test_cyclonedx_5000_digit_number_is_malformed_json_not_a_traceback(tmp_path):
    path = tmp_path / "a.cdx.json"
    path.write_text('{"bomFormat":"CycloneDX","specVersion":"1.5","version":' + "9" * 5000 + "}\n")
    with pytest.raises(InputError) as exc:
        CycloneDxReader().read(path)
    assert exc.value.issue.reason == ("malformed JSON: integer overflow (a number outside the 64-bit range) "
                                      "(line 1 or after)")


def test_cyclonedx_nested_1000_levels_is_one_malformed_component(tmp_path):
    doc = '{"type":"library","name":"leaf"}'
    for i in range(1000):
        doc = f'{{"type":"library","name":"c{i}","components":[{doc}]}}'
    path = tmp_path / "deep.cdx.json"
    path.write_text('{"bomFormat":"CycloneDX","specVersion":"1.5","components":[' + doc + "]}")
    res = CycloneDxReader().read(path)
    st = res.stats
    assert (st.read, st.malformed, len(res.observations)) == (50, 1, 49)
    [issue] = st.issues
    assert issue.reason == "/components/0" + "/components/0" * 49 + (
        ": nested deeper than 100 levels (limit max_json_depth)")
    assert res.observations[-1].parent == res.observations[-2].id


def test_cyclonedx_deep_value_inside_a_component(tmp_path):
    path = tmp_path / "deep.cdx.json"
    path.write_text('{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"a",'
                    '"properties":' + "[" * 1000 + "]" * 1000 + '},{"type":"library","name":"b"}]}')
    res = CycloneDxReader().read(path)
    assert (res.stats.read, res.stats.malformed) == (2, 1)
    assert [o.attributes["name"] for o in res.observations] == ["b"]
    assert [i.reason for i in res.stats.issues] == [
        "/components/0/properties: nested deeper than 100 levels (limit max_json_depth)"]


def test_cyclonedx_trailing_garbage_is_counted_as_read(tmp_path):
    path = tmp_path / "t.cdx.json"
    path.write_text('{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"type":"device","name":"a"}]}'
                    "\n garbage")
    res = CycloneDxReader().read(path)
    st = res.stats
    assert (st.unit, st.read, st.malformed, len(res.observations)) == ("component", 2, 1, 1)
    assert [(i.offset, i.reason) for i in st.issues] == [
        (0, "data after the end of the JSON document (trailing garbage)")]


def test_cyclonedx_type_and_name_after_nested_components(tmp_path):
    path = tmp_path / "late.cdx.json"
    path.write_text(json.dumps({
        "components": [{"components": [{"name": "kid", "type": "firmware"}], "type": "device", "name": "box"},
                       {"components": [{"name": "orphan", "type": "library"}], "name": "no type"}],
        "metadata": {"supplier": {"name": "Acme"}, "component": {"type": "device", "name": "root"}},
        "specVersion": "1.6", "bomFormat": "CycloneDX"}))
    res = CycloneDxReader().read(path)
    by = {o.attributes["name"]: o for o in res.observations}
    assert [o.attributes["name"] for o in res.observations] == ["root", "box", "kid", "orphan"]
    root = "late.cdx.json:/metadata/component"
    assert (by["box"].parent, by["kid"].parent, by["orphan"].parent) == (
        root, "late.cdx.json:/components/0", root)
    assert (res.stats.read, res.stats.malformed) == (5, 1)


def test_cyclonedx_streams_a_large_bom_in_bounded_memory(tmp_path):
    import tracemalloc

    path = tmp_path / "big.cdx.json"
    with open(path, "w") as fh:
        fh.write('{"bomFormat":"CycloneDX","specVersion":"1.6","components":[')
        for i in range(3000):  # ~30 MB: each component carries 10 kB the reader does not keep
            fh.write(("," if i else "") + json.dumps({"type": "library", "name": f"l{i}",
                                                       "hashes": [{"alg": "SHA-256", "content": "ab" * 5000}]}))
        fh.write("]}")
    tracemalloc.start()
    res = CycloneDxReader().read(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert res.stats.read == 3000 and len(res.observations) == 3000
    assert peak < 15 << 20  # the file is 30 MB; json.loads would hold all of it and more


# ------------------------------------------------------------------------------------ CSV inventory
def test_csv_unterminated_quote_is_fast_and_capped(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("hostname,vendor,ip\n" + '"\n' * 100_000)
    t = time.monotonic()
    st = CsvInventoryReader().read(path).stats
    assert time.monotonic() - t < 30
    assert (st.read, st.malformed, len(st.issues), st.problems_not_shown) == (100_000, 100_000, 1000, 99_000)
    assert str(st.issues[0]) == f"{path}, line 2: unterminated quoted field (stray quote)"


def test_csv_overlong_line_is_one_malformed_row(tmp_path, monkeypatch):
    monkeypatch.setenv("NETVET_MAX_LINE_BYTES", "1000")
    path = tmp_path / "long.csv"
    path.write_text("hostname,vendor\n" + "a," + "x" * 5000 + "\nb,Cisco\n")
    res = CsvInventoryReader().read(path)
    st = res.stats
    assert (st.read, st.malformed, len(res.observations)) == (2, 1, 1)
    assert [(i.line, i.reason) for i in st.issues] == [(2, "line longer than 1000 bytes (limit max_line_bytes)")]
    assert res.observations[0].id == "long.csv:3"


def test_csv_unreadable_lines_before_the_header_are_counted_as_read(tmp_path):
    path = tmp_path / "pre.csv"
    path.write_bytes(b"\xff\xfe junk\nhostname,vendor\na,Cisco\n")
    st = CsvInventoryReader().read(path).stats
    assert (st.read, st.malformed) == (2, 1) and balanced(st)


def test_csv_trailing_garbage_is_counted_as_read(tmp_path):
    path = tmp_path / "tail.csv"
    path.write_bytes(b"hostname,vendor\na,Cisco\n\x80\x81garbage\n")
    st = CsvInventoryReader().read(path).stats
    assert (st.read, st.attributed + st.unattributed + st.malformed, st.malformed) == (2, 1, 1)


# ------------------------------------------------------------------------------------ RIPE Atlas
def test_atlas_5000_digit_msm_id_is_one_malformed_result(tmp_path, shared):
    good = shared(SAGAN4).read_text().splitlines()[0]
    path = tmp_path / "a.jsonl"
    path.write_text('{"msm_id":' + "9" * 5000 + ', "type": "traceroute", "result": []}\n' + good + "\n")
    traces, st, _ = read_atlas(path)
    assert (len(traces), st.read, st.malformed) == (1, 2, 1)
    assert [(i.line, i.reason) for i in st.issues] == [
        (1, "unreadable JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits")]


def test_atlas_deep_nesting_is_one_malformed_result(tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"type":"traceroute","result":' + "[" * 2000 + "]" * 2000 + "}\n")
    traces, st, _ = read_atlas(path)
    assert (len(traces), st.read, st.malformed) == (0, 1, 1)
    assert st.issues[0].reason == "nested deeper than 100 levels (limit max_json_depth)"
    arr = tmp_path / "deep.json"
    arr.write_text('[{"type":"traceroute","result":[]},' + "[" * 2000 + "]" * 2000 + "]")
    traces, st, _ = read_atlas(arr)
    assert (len(traces), st.read, st.malformed) == (1, 2, 1)
    assert [(i.line, i.reason) for i in st.issues] == [(2, "nested deeper than 100 levels (limit max_json_depth)")]


def test_atlas_single_pretty_printed_result_with_late_type(tmp_path, shared):
    obj = json.loads(shared(SAGAN4).read_text().splitlines()[0])
    obj["result"] = obj["result"] * 10  # a long hop list pushes "type" (and msm_id) past the head
    path = tmp_path / "one.json"
    path.write_text(json.dumps(obj, indent=2))
    head = path.read_bytes()[:4096]
    assert b'"type"' not in head and sniff(head)
    traces, st, _ = read_atlas(path)
    assert (len(traces), st.read, st.malformed) == (1, 1, 0)
    assert (traces[0].msm_id, len(traces[0].hops)) == (obj["msm_id"], len(obj["result"]))
    # JSON Lines with a bad first line is still JSON Lines
    lines = tmp_path / "bad_first.jsonl"
    lines.write_text('{"type": "tracer\n' + json.dumps(obj) + "\n")
    traces, st, _ = read_atlas(lines)
    assert (len(traces), st.read, st.malformed) == (1, 2, 1)
    assert not sniff(b'{"type": "ping", "result": [{"hop": 1}], "prb_id": 1, "msm_id": 2}')


def test_atlas_trailing_garbage_after_an_array_is_counted(tmp_path):
    path = tmp_path / "t.json"
    path.write_text('[{"type":"traceroute","result":[{"hop":1,"result":[{"x":"*"}]}]}] trailing')
    traces, st, _ = read_atlas(path)
    assert (len(traces), st.read, st.malformed) == (1, 2, 1)
    assert st.issues[0].reason.startswith("not JSON after the array: trailing garbage")


# ------------------------------------------------------------------------------------ mutated inputs
def _mutants(data: bytes, n: int, seed: int):
    import random

    rnd = random.Random(seed)
    junk = [b'"', b",", b"\n", b"\r", b"\xff", b"\x00", b"{", b"[", b"]", b"}", b":", b"9" * 30, b"\\"]
    for _ in range(n):
        b = bytearray(data)
        for _ in range(rnd.randint(1, 6)):
            op, pos = rnd.randrange(3), rnd.randrange(len(b) + 1)
            if op == 0:
                b[pos:pos] = rnd.choice(junk)
            elif op == 1:
                del b[pos:pos + rnd.randint(1, 20)]
            else:
                b[pos:pos] = b[rnd.randrange(len(b)):][:rnd.randint(1, 40)]
        yield bytes(b)


@pytest.mark.parametrize(("reader", "fixture"), [
    (CsvInventoryReader, "inventory_good.csv"),
    (CycloneDxReader, "cdx16_huawei_router.cdx.json"),
])
def test_mutated_inputs_never_crash_and_counts_balance(tmp_path, reader, fixture):
    data = (FIX / fixture).read_bytes()
    path = tmp_path / fixture
    for i, mutant in enumerate(_mutants(data, 400, seed=14)):
        path.write_bytes(mutant)
        try:
            res = reader().read(path)
        except InputError:
            continue
        st = res.stats
        assert st.malformed + st.skipped <= st.read, (i, st)
        assert st.read == len(res.observations) + st.malformed + st.skipped, (i, st)


def test_mutated_atlas_results_never_crash_and_counts_balance(tmp_path, shared):
    data = b"\n".join(shared(SAGAN4).read_bytes().splitlines()[:3]) + b"\n"
    path = tmp_path / "m.jsonl"
    for i, mutant in enumerate(_mutants(data, 300, seed=14)):
        path.write_bytes(mutant)
        try:
            traces, st, _ = read_atlas(path)
        except InputError:
            continue
        assert st.malformed <= st.read and st.read == len(traces) + st.malformed, (i, st)
