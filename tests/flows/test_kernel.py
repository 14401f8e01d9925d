"""The compiled per-record pass gives exactly what the NumPy engine gives, on coded and plain columns."""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netvet.attribution.registry import Registry
from netvet.flows import cloud, kernel
from netvet.flows.aggregate import merge
from netvet.flows.attribution import FlowTables
from netvet.flows.dns import DnsIndex
from netvet.readers.flowlogs import addresses
from netvet.readers.flowlogs.records import NO_TIME, Coded, DnsChunk, FlowChunk
from tests.flows.helpers import FLOWS, fixture_sources
from tests.flows.test_audit import run

needs_c = pytest.mark.skipif(not kernel.HAVE_C, reason="the C extension is not built")


def test_the_c_extension_is_built_in_ci():
    if os.environ.get("CI") == "true":
        assert kernel.HAVE_C, "netvet.flows._flowagg did not build: pip install -e . needs gcc and Python headers"


@pytest.fixture(scope="module")
def registry():
    return Registry.load()


def _tables() -> FlowTables:
    src = fixture_sources()
    chunk = DnsChunk(name=["cdn.example.cn", "www.baidu.com"], hi=np.zeros(2, np.uint64),
                     lo=np.array([0xFFFF00000000 | 0xC6120501, 0xFFFF00000000 | 0x01020304], np.uint64),
                     ts=np.zeros(2, np.int64), line=np.array([1, 2], np.int64), file="dns.log")
    dns = DnsIndex.build([chunk], {"baidu.com": "baidu"}, {})
    return FlowTables(routes=src.routes, cloud=cloud.CloudIndex.build(src.cloud_ranges.ranges), dns=dns,
                      internal=(addresses.parse_range("203.0.113.0/28"),))


ADDRS = ["10.0.0.5", "10.0.0.6", "fd00::10", "203.0.113.4", "1.2.3.4", "198.18.5.1", "198.51.100.7",
         "2001:db8:300::1", "64:ff9b::102:304", "224.0.0.251", "0.0.0.0", "8.8.8.8", "36.110.1.1", "192.0.2.200",
         "255.255.255.255", "fe80::1", "2001:db8:200::5"]


def _chunk(rng: np.random.Generator, n: int, bidir: bool, coded: tuple[bool, bool]) -> FlowChunk:
    ok, hi, lo = addresses.from_strings(ADDRS)
    assert ok.all()
    s_codes = rng.integers(0, len(ADDRS), n).astype(np.int32)
    d_codes = rng.integers(0, len(ADDRS), n).astype(np.int32)
    start = (1_700_000_000_000_000 + rng.integers(0, 6 * 3_600_000_000, n)).astype(np.int64)
    start[rng.random(n) < 0.1] = NO_TIME
    end = np.where(start == NO_TIME, NO_TIME, start + rng.integers(0, 10_000_000, n))
    end[rng.random(n) < 0.1] = NO_TIME
    cols = dict(bytes=rng.integers(0, 10**6, n), packets=rng.integers(0, 1000, n),
                rbytes=rng.integers(0, 10**6, n) if bidir else None, rpackets=rng.integers(0, 99, n) if bidir else None,
                flows=rng.integers(1, 3, n), start=start, end=end, line=np.arange(1, n + 1))
    sides = {}
    for side, codes, is_coded in (("src", s_codes, coded[0]), ("dst", d_codes, coded[1])):
        if is_coded:
            sides[f"{side}_coded"] = Coded(codes, hi, lo)
        else:
            sides[f"{side}_hi"], sides[f"{side}_lo"] = hi[codes], lo[codes]
    return FlowChunk.build(n, **sides, **cols)


def _same(a, b) -> None:
    a, b = merge([a]), merge([b])
    for name in ("cells", "hosts", "dns", "cloud"):
        assert getattr(a, name).equals(getattr(b, name)), name
    assert a.files == b.files


@needs_c
@pytest.mark.parametrize("coded", [(True, True), (True, False), (False, False)])
@pytest.mark.parametrize("bidir", [False, True])
def test_compiled_pass_matches_numpy_on_every_kind_of_record(coded, bidir, monkeypatch):
    rng = np.random.default_rng(7)
    tables = _tables()
    chunk = _chunk(rng, 5000, bidir, coded)
    need = np.array(sorted({int(u) for u in merge([kernel.process_chunk(chunk, tables, "f", 3)]).units()})[::2])
    for hosts_for in (None, lambda units: need[np.isin(need, units)]):
        compiled = kernel.process_chunk(chunk, tables, "f", 3, hosts_for)
        monkeypatch.setenv("NETVET_FLOWS_KERNEL", "numpy")
        numpy = kernel.process_chunk(chunk, tables, "f", 3, hosts_for)
        monkeypatch.delenv("NETVET_FLOWS_KERNEL")
        _same(compiled, numpy)
    # every kind of record is there: transit, cloud and DNS evidence, hosts, records without a remote side
    assert len(compiled.hosts) and len(compiled.dns) and len(compiled.cloud)
    att, unres, skipped = compiled.files["f"]
    assert att + unres + skipped == 5000 and min(att, unres, skipped) > 0


@needs_c
def test_a_code_outside_its_dictionary_is_refused():
    ok, hi, lo = addresses.from_strings(["10.0.0.1", "8.8.8.8"])
    chunk = FlowChunk.build(2, src_coded=Coded(np.array([0, 2], np.int32), hi, lo),
                            dst_coded=Coded(np.array([1, 1], np.int32), hi, lo), bytes=np.array([1, 2]))
    with pytest.raises(ValueError, match="outside its dictionary"):
        kernel.process_chunk(chunk, _tables(), "f", 0)


def _dictionary_parquet(path, n: int, rng: np.random.Generator) -> int:
    """A Parquet table with text addresses in dictionary pages; returns how many rows are malformed."""
    pool = [f"10.1.0.{i}" for i in range(1, 40)] + [f"fd00::{i:x}" for i in range(1, 9)] + \
        [f"36.110.{i}.{i}" for i in range(9)] + [f"8.8.4.{i}" for i in range(9)] + \
        ["198.18.5.9", "2001:db8:300::7", "192.0.2.77", "not-an-ip", "224.0.0.1"]
    src = [pool[i] for i in rng.integers(0, len(pool), n)]
    dst = [pool[i] for i in rng.integers(0, len(pool), n)]
    src[5] = None
    t = pa.table({"src": src, "dst": dst, "bytes": rng.integers(0, 10**5, n), "packets": rng.integers(1, 50, n),
                  "start": 1_700_000_000 + np.sort(rng.integers(0, 7200, n))})
    pq.write_table(t, path, row_group_size=3000)
    return sum(1 for s, d in zip(src, dst, strict=True) if s is None or "not-an-ip" in (s, d))


def _binary_parquet(path, n: int, rng: np.random.Generator) -> None:
    """16-byte binary addresses (IPv4-mapped), as ClickHouse and IPFIX exports hold them; 4-byte IPv4 for dst."""
    pool = ["10.1.0.7", "fd00::3", "36.110.1.1", "8.8.4.4", "198.18.5.9", "2001:db8:300::7", "192.0.2.77",
            "224.0.0.1", "64:ff9b::808:808"]
    ok, hi, lo = addresses.from_strings(pool)
    raw = np.empty((len(pool), 2), ">u8")
    raw[:, 0], raw[:, 1] = hi, lo
    src = rng.integers(0, len(pool), n)
    dst = rng.integers(0, 4, n)
    v4 = np.array([0x0A010007, 0x246E0101, 0x08080404, 0xC0000250], ">u4")
    t = pa.table({"src": pa.array([raw[i].tobytes() for i in src], pa.binary(16)),
                  "dst": pa.array([v4[i].tobytes() for i in dst], pa.binary(4)),
                  "bytes": rng.integers(0, 10**5, n), "start": 1_700_000_000 + np.sort(rng.integers(0, 7200, n))})
    pq.write_table(t, path, row_group_size=2500)


@needs_c
def test_audits_agree_between_the_compiled_pass_and_numpy(registry, tmp_path, monkeypatch, shared):
    bad = _dictionary_parquet(tmp_path / "d.parquet", 10_000, np.random.default_rng(3))
    _binary_parquet(tmp_path / "b.parquet", 6000, np.random.default_rng(4))
    paths = [tmp_path / "d.parquet", tmp_path / "b.parquet", FLOWS / "conn.log", FLOWS / "conn.json",
             FLOWS / "vpc-v2.log", FLOWS / "vpc-v5.log", FLOWS / "nfdump.csv", FLOWS / "nfdump-new.csv",
             FLOWS / "dns.log",
             shared("inputs/flows/zeek_teredo_conn.log"),
             shared("inputs/flows/beats_aws-vpcflow_accept-reject-traffic.log")]
    from netvet.flows import book

    first = run(registry, paths)
    monkeypatch.setenv("NETVET_FLOWS_KERNEL", "numpy")
    second = run(registry, paths)
    monkeypatch.setattr(book, "_flowagg", None)  # as installed without a compiler: no address book either
    third = run(registry, paths)
    assert (first.engine["kernel"], second.engine["kernel"]) == ("compiled", "numpy")
    compiled, numpy = first.result(), second.result()
    assert compiled == numpy == third.result()
    d = compiled["inputs"][0]
    assert (d["read"], d["malformed"]) == (10_000, bad) and 100 < bad < 1000
    assert {r["id"] for r in compiled["remotes"]} >= {"flow:AS4134", "flow:AS15169"}
    b = compiled["inputs"][1]
    assert (b["read"], b["malformed"], b["attributed"] + b["unattributed"] + b["skipped"]) == (6000, 0, 6000)


@needs_c
def test_the_address_book_parses_each_distinct_string_once(monkeypatch):
    from netvet.flows import book as book_mod

    parsed: list[str] = []
    real = addresses.from_distinct_strings

    def spy(values):
        parsed.extend(values.to_pylist())
        return real(values)

    monkeypatch.setattr(book_mod.addresses, "from_distinct_strings", spy)
    book = book_mod.AddressBook()
    first = book.lookup(pa.array(["10.0.0.1", "8.8.8.8", "bad", None], pa.string()))
    second = book.lookup(pa.array(["8.8.8.8", "2001:db8::1", "10.0.0.1"], pa.large_string()))
    # id 0 is the empty text (a null reads as one), kept from the start for values too long to be addresses
    assert first.ids.tolist() == [1, 2, 3, 0] and second.ids.tolist() == [2, 4, 1]
    assert parsed == ["", "10.0.0.1", "8.8.8.8", "bad", "2001:db8::1"]
    assert second.ok.tolist() == [False, True, True, False, True] and len(book) == 5
    assert addresses.to_text(second.hi[[2, 4]], second.lo[[2, 4]]) == ["8.8.8.8", "2001:db8::1"]
    with pytest.raises(TypeError):
        book.lookup(pa.array([1, 2]))


@needs_c
def test_the_binary_book_gives_an_id_per_value():
    from netvet.flows import book as book_mod

    book = book_mod.AddressBook("binary")
    v4 = pa.array([bytes([10, 0, 0, 1]), bytes([8, 8, 8, 8]), bytes([10, 0, 0, 1])], pa.binary(4))
    first = book.lookup_fixed(v4)
    six = pa.array([bytes(16), bytes(range(16)), bytes(16)], pa.binary(16))
    second = book.lookup_fixed(six.slice(1))
    assert first.ids.tolist() == [0, 1, 0] and second.ids.tolist() == [2, 3]
    assert addresses.to_text(second.hi, second.lo) == ["10.0.0.1", "8.8.8.8", "1:203:405:607:809:a0b:c0d:e0f", "::"]


@needs_c
def test_chunks_of_a_parquet_file_refer_to_one_book(tmp_path):
    from netvet.flows import engine
    from netvet.flows.attribution import RunCaches
    from netvet.model import ReadStats
    from netvet.readers.flowlogs.base import ReadOptions

    bad = _dictionary_parquet(tmp_path / "d.parquet", 9000, np.random.default_rng(5))
    run = RunCaches()
    pln = engine.plan([tmp_path / "d.parquet"], ReadOptions(), session=run.session)
    stats = ReadStats("d", "parquet-flows")
    chunks = list(engine.read_part(pln.flow_parts[0], stats, run.session))
    assert sum(len(c) for c in chunks) == 9000 - bad and stats.malformed == bad and len(chunks) == 3
    books = {id(c.src_coded.book) for c in chunks} | {id(c.dst_coded.book) for c in chunks}
    assert books == {id(run.books("text"))}
    # without a session nothing is kept between chunks: no book
    assert {c.src_coded.book for c in engine.read_part(pln.flow_parts[0], ReadStats("d", "parquet-flows"))} == {None}
    row5 = [i for i in stats.issues if i.line == 6]
    assert [i.reason for i in row5] == ["missing src"]


def test_threads_and_pieces_do_not_change_the_result(registry, tmp_path, monkeypatch):
    """One thread reads ahead of the aggregation (pipeline); two or more share row groups and files."""
    from netvet.flows import audit, engine
    from netvet.pipeline import Context

    _dictionary_parquet(tmp_path / "d.parquet", 10_000, np.random.default_rng(3))
    paths = [str(tmp_path / "d.parquet"), str(FLOWS / "conn.log")]
    results = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(engine, "default_threads", lambda n=threads: n)
        results.append(audit.run(paths, Context.build(["clean-network"], registry), fixture_sources()).result())
    assert results[0] == results[1] == results[2]
    assert results[0]["inputs"][0]["read"] == 10_000


def test_a_damaged_row_group_is_an_input_error_at_its_first_row(registry, tmp_path, monkeypatch):
    from netvet.flows import audit, engine
    from netvet.model import InputError
    from netvet.pipeline import Context

    path = tmp_path / "d.parquet"
    _dictionary_parquet(path, 9000, np.random.default_rng(8))  # row groups of 3,000 rows
    col = pq.read_metadata(path).row_group(1).column(0)
    raw = bytearray(path.read_bytes())
    at = col.data_page_offset
    raw[at:at + 48] = b"\xff" * 48
    path.write_bytes(bytes(raw))
    for threads in (1, 2):
        monkeypatch.setattr(engine, "default_threads", lambda n=threads: n)
        with pytest.raises(InputError) as err:
            audit.run([str(path)], Context.build(["clean-network"], registry), fixture_sources())
        assert (err.value.issue.file, err.value.issue.line) == (str(path), 3001)
        assert "cannot read Parquet" in err.value.issue.reason


def test_one_host_spelled_two_ways_is_one_host(registry, tmp_path):
    from netvet.flows import audit
    from netvet.pipeline import Context

    t = pa.table({"src": ["fd00::10", "FD00::10", "fd00:0::10", "10.0.0.9"], "dst": ["192.0.2.10"] * 4,
                  "bytes": [100, 20, 3, 7], "start": [1_700_000_000] * 4})
    pq.write_table(t, tmp_path / "h.parquet")
    res = audit.run([str(tmp_path / "h.parquet")], Context.build(["clean-network"], registry), fixture_sources())
    hosts = {h["host"]: (h["bytes"], h["records"]) for h in res.document["exposure"]["clean-network"]["top_hosts"]}
    assert hosts == {"fd00::10": (123, 3), "10.0.0.9": (7, 1)}


@needs_c
def test_a_value_too_long_to_be_an_address_is_a_bad_row(registry, tmp_path):
    from netvet.flows import audit
    from netvet.pipeline import Context

    huge = "1" * 70_000
    t = pa.table({"src": ["10.0.0.1", huge, "10.0.0.2", ""], "dst": ["192.0.2.10"] * 4, "bytes": [1, 2, 3, 4]})
    pq.write_table(t, tmp_path / "h.parquet")
    res = audit.run([str(tmp_path / "h.parquet")], Context.build(["clean-network"], registry), fixture_sources())
    i = res.document["inputs"][0]
    assert (i["read"], i["malformed"], i["attributed"]) == (4, 2, 2)
    reasons = [(p["line"], p["reason"]) for p in i["issues"] if p["severity"] == "error"]
    assert reasons == [(2, "bad src value '" + "1" * 60 + "...' (70000 characters)"), (4, "bad src value ''")]


def test_reports_quote_at_most_60_characters_of_a_bad_value(registry, tmp_path):
    from netvet.flows import audit
    from netvet.pipeline import Context
    from netvet.readers.flowlogs import problems

    (tmp_path / "f.csv").write_text("src,dst,bytes\n" + "9" * 100 + ",192.0.2.1,5\n10.0.0.1,192.0.2.1,5\n")
    res = audit.run([str(tmp_path / "f.csv")], Context.build(["clean-network"], registry), fixture_sources())
    assert [p["reason"] for p in res.document["inputs"][0]["issues"]] == [
        "bad src value '" + "9" * 60 + "...' (100 characters)"]
    assert problems.shown(b"\x01" * 61) == "b'" + "\\x01" * 60 + "...' (61 bytes)"
    assert problems.shown("short") == "'short'" and problems.shown(None) == "None"


@needs_c
@pytest.mark.parametrize("dictionary", [False, True])
def test_a_cell_accumulator_gives_what_one_chunk_gives(dictionary):
    """A thread adds chunk after chunk to one compiled table: its cells, and the host rows of parties flagged
    only once their first chunk is classified, are those of the records processed as one chunk."""
    rng = np.random.default_rng(11)
    tables = _tables()
    whole = _chunk(rng, 6000, True, (True, True))
    if dictionary:  # codes into a dictionary (a Parquet row group's) whose values are ids in hi/lo
        perm = rng.permutation(len(ADDRS)).astype(np.int32)
        back = np.argsort(perm).astype(np.int32)
        for side in ("src_coded", "dst_coded"):
            c = getattr(whole, side)
            setattr(whole, side, Coded(back[c.codes], c.hi, c.lo, None, perm))
    late = ADDRS.index("36.110.1.1")  # a party that first appears in the last chunk
    book = whole.src_coded.book_codes(), whole.dst_coded.book_codes()
    has_late = (book[0] == late) | (book[1] == late)
    order = np.concatenate((np.flatnonzero(~has_late), np.flatnonzero(has_late)))
    whole = whole.take(order)
    all_units = merge([kernel.process_chunk(whole, tables, "f", 3)]).units()
    late_unit = int(kernel._entries(tables, Coded(np.zeros(1, np.int32), *addresses.from_strings([ADDRS[late]])[1:]))
                    [0].unit[0])
    flagged = np.array(sorted({*all_units[::2].tolist(), late_unit}), np.int64)

    expected = kernel.process_chunk(whole, tables, "f", 3, lambda units: flagged[np.isin(flagged, units)])

    known: list[int] = []
    reported: list[np.ndarray] = []

    def on_units(units):
        reported.append(units)
        known.extend(units.tolist())

    def hosts_for(units):
        assert units is None  # with an accumulator: every party that needs host rows
        return flagged[np.isin(flagged, known)]

    acc = kernel.CellAccumulator()
    cuts = [0, 2000, 4000, int(np.flatnonzero(has_late[order])[0]), 6000]
    parts = [kernel.process_chunk(whole.take(np.arange(a, b)), tables, "f", 3, hosts_for, on_units, acc)
             for a, b in zip(cuts, cuts[1:], strict=False) if b > a]
    assert all(len(p.cells) == 0 for p in parts)
    from netvet.flows.aggregate import Partial

    got = merge([*parts, Partial(cells=acc.frame())])
    _same(got, expected)
    units = np.concatenate(reported)
    assert sorted(units.tolist()) == all_units.tolist()  # each party reported once, when first seen
    assert late_unit in reported[-1].tolist() and late_unit in got.hosts["unit"].to_list()


@needs_c
def test_accumulators_merge_into_the_cells_of_one():
    """Two threads' accumulators, added up in the compiled tables, hold the cells of all their chunks."""
    from netvet.flows.aggregate import Partial

    rng = np.random.default_rng(12)
    tables = _tables()
    whole = _chunk(rng, 6000, True, (True, True))
    expected = merge([kernel.process_chunk(whole, tables, "f", 3)])
    accs = [kernel.CellAccumulator(), kernel.CellAccumulator()]
    for i, (a, b) in enumerate(((0, 1500), (1500, 3000), (3000, 4500), (4500, 6000))):
        kernel.process_chunk(whole.take(np.arange(a, b)), tables, "f", 3, acc=accs[i % 2])
    accs[0].merge(accs[1])
    got = merge([Partial(cells=accs[0].frame())])
    assert got.cells.equals(expected.cells)
    assert len(accs[1].frame()) < len(got.cells)  # the other is left as it was
    with pytest.raises(ValueError, match="itself"):
        accs[0].merge(accs[0])


@needs_c
def test_an_accumulator_keeps_host_rows_by_book_id_across_books(tmp_path):
    """Chunks whose sides are address-book ids leave their host rows in the accumulator; a chunk from
    another book (a binary column) hands back those kept so far. Hosts come out as one chunk's would."""
    from netvet.flows import engine
    from netvet.flows.aggregate import Partial
    from netvet.flows.attribution import RunCaches
    from netvet.model import ReadStats
    from netvet.readers.flowlogs.base import ReadOptions

    _dictionary_parquet(tmp_path / "d.parquet", 9000, np.random.default_rng(5))
    _binary_parquet(tmp_path / "b.parquet", 5000, np.random.default_rng(6))
    read = {}
    session = RunCaches().session
    for name in ("d.parquet", "b.parquet"):
        pln = engine.plan([tmp_path / name], ReadOptions(chunk_rows=2000), session=session)
        read[name] = [c for part in pln.flow_parts
                      for c in engine.read_part(part, ReadStats(name, "parquet-flows"), session)]
    text, binary = read["d.parquet"], read["b.parquet"]
    assert len(text) == 6 and len(binary) == 4 and text[0].src_coded.book is not binary[0].src_coded.book
    chunks = text[:2] + binary + text[2:]  # text, binary, then text again
    tables = _tables()
    expected = merge([kernel.process_chunk(c, tables, "f", 0) for c in chunks])
    acc = kernel.CellAccumulator()
    parts = [kernel.process_chunk(c, tables, "f", 0, acc=acc) for c in chunks]
    handed_back = [p for p in parts if len(p.hosts)]
    assert len(handed_back) == 2  # at the switch to the binary book and back to the text book
    got = merge([*parts, acc.take_hosts(), Partial(cells=acc.frame())])
    _same(got, expected)
    assert len(got.hosts) > 0


def test_reading_parquet_flows_does_not_import_pandas(tmp_path):
    """pyarrow converts NumPy arguments through its pandas shim, which imports pandas (about a third of a
    second) the first time: the Parquet path hands Arrow its own arrays instead."""
    import subprocess
    import sys

    _dictionary_parquet(tmp_path / "d.parquet", 5000, np.random.default_rng(8))
    code = f"""
import sys
from netvet.flows import engine
from netvet.flows.attribution import FlowTables
from netvet.readers.flowlogs.base import ReadOptions
pln = engine.plan([{str(tmp_path / "d.parquet")!r}], ReadOptions())
merged = engine.run_single(pln, FlowTables(), None, threads=2)
assert len(merged.cells) > 0
print("pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@needs_c
def test_the_compiled_book_refuses_malformed_columns():
    from netvet.flows import _flowagg

    book = _flowagg.book_new()
    raw, before = _flowagg.book_intern(book, np.array([0, 7, 14, 21], np.int32), b"8.8.8.81.1.1.18.8.8.8", False)
    assert np.frombuffer(raw, np.int32).tolist() == [0, 1, 0] and before == 0
    with pytest.raises(ValueError, match="offsets outside the data"):
        _flowagg.book_intern(book, np.array([0, 7, 99], np.int32), b"8.8.8.81.1.1.1", False)
    with pytest.raises(ValueError, match="no offsets"):
        _flowagg.book_intern(book, np.zeros(0, np.int32), b"", False)
    raw, before = _flowagg.book_intern_fixed(book, np.arange(8, dtype=np.uint8), 4)
    assert np.frombuffer(raw, np.int32).tolist() == [2, 3] and before == 2
    with pytest.raises(ValueError, match="whole number of values"):
        _flowagg.book_intern_fixed(book, np.arange(7, dtype=np.uint8), 4)
    with pytest.raises(ValueError, match="1 to 50 bytes"):
        _flowagg.book_intern_fixed(book, np.arange(51, dtype=np.uint8), 51)
