"""What the fuzzing found in readers, each fixed and kept as a regression test (no exception escapes read())."""

from __future__ import annotations

import pytest

from netvet.model import InputError
from netvet.readers.nmap_xml import NmapXmlReader
from tests.conftest import FIXTURES, shared_file
from tests.fuzz.mutations import mutate


def test_nmap_xml_with_an_unknown_encoding_is_refused(tmp_path):
    f = tmp_path / "scan.xml"
    f.write_bytes(b'<?xml version="1.0" encoding="TTF-8"?>\n<nmaprun scanner="nmap"></nmaprun>\n')
    with pytest.raises(InputError, match="not readable XML"):
        NmapXmlReader().read(f)


def test_apk_with_a_damaged_member_is_read_with_the_damage_counted(tmp_path):
    pytest.importorskip("androguard")
    from netvet.readers.apk import ApkReader

    data = mutate((FIXTURES / "apps" / "fuzz_seed.apk").read_bytes(), [("swap_lines", 210, 36654)])
    f = tmp_path / "app.apk"
    f.write_bytes(data)
    try:
        res = ApkReader().read(f)
    except InputError:
        return  # refused whole: also a clean answer
    st = res.stats
    assert st.malformed + st.skipped <= st.read


def test_zeek_dns_log_with_mutated_rows_counts_them(tmp_path):
    src = shared_file("inputs/flows/zeek_dns-key_dns.log").read_bytes()
    data = mutate(src, [("flip", 4089764052, 2263206555), ("big_int", 3937347315, 1901833590),
                        ("insert", 3810117218, 3399532427), ("big_int", 2236024371, 303584018)])
    f = tmp_path / "dns.log"
    f.write_bytes(data)
    from netvet.flows.evidence import FlowEvidenceReader

    try:
        res = FlowEvidenceReader().read(f)
    except InputError:
        return
    st = res.stats
    assert st.malformed + st.skipped <= st.read


def test_prefix_length_behind_a_control_character(tmp_path):
    """str.strip() drops \\x1e, int() does not: the length is parsed from the stripped text (was ValueError)."""
    from netvet.util.prefix_origins import parse_prefix, read_prefix_origins

    assert parse_prefix("12.0.0.0/\x1e8") == (4, 0x0C000000, 8, False)
    f = tmp_path / "x.pfx2as"
    f.write_text("12.0.0.0\t\x1e8\t7018\n13.0.0.0\t8\t\x1f\n")
    po = read_prefix_origins(f, "pfx2as")
    assert (po.stats.read, po.stats.malformed, po.v4_count) == (2, 1, 1)


def test_apk_whose_central_directory_needs_an_unknown_zip_version(tmp_path):
    """zipfile raises NotImplementedError for a "version needed to extract" it does not know: not an APK to the
    sniffer, a clean refusal or counted damage to the reader (was an escaped NotImplementedError)."""
    import io
    import zipfile

    from netvet.readers.apk import ApkReader, _is_apk_zip

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("AndroidManifest.xml", b"\x03\x00\x08\x00")
        z.writestr("classes.dex", b"dex\n035\x00")
    data = bytearray(buf.getvalue())
    at = data.find(b"PK\x01\x02")
    data[at + 6] = 84  # version needed to extract: 8.4
    f = tmp_path / "app.apk"
    f.write_bytes(bytes(data))
    with pytest.raises(NotImplementedError):
        zipfile.ZipFile(f)
    assert not _is_apk_zip(f)
    try:
        res = ApkReader().read(f)
    except InputError:
        return
    assert res.stats.malformed + res.stats.skipped <= res.stats.read


def test_zeek_json_line_nested_too_deep_is_malformed_not_parsed(tmp_path):
    """A JSON line nested past max_json_depth never reaches Polars' reader (seconds per few kB, and a stack
    overflow deeper still): it is counted malformed with the reason; the other lines are read."""
    from netvet.flows import engine
    from netvet.model import ReadStats
    from netvet.readers.flowlogs.base import ReadOptions

    good = ('{"ts":1700000000.0,"uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":1,"id.resp_h":"192.0.2.1",'
            '"id.resp_p":443,"proto":"tcp","orig_bytes":10,"resp_bytes":20}')
    deep = '{"a":' * 1000 + "1" + "}" * 1000
    braces_in_text = '{"uid":"' + "{" * 300 + '","ts":1700000001.0}'  # brackets inside a string: not nesting
    f = tmp_path / "conn.log"
    f.write_text("\n".join([good, deep, braces_in_text, good]) + "\n")
    reader = engine.reader_of("zeek-conn")
    stats = ReadStats(str(f), "zeek-conn")
    rows = sum(len(c) for part in reader.parts(f, ReadOptions()) for c in reader.read_part(part, stats))
    assert stats.read == 4 and rows + stats.malformed == 4
    reasons = [(i.line, i.reason) for i in stats.issues if "nested deeper" in i.reason]
    assert reasons == [(2, "JSON nested deeper than 100 levels (limit max_json_depth)")]


def test_nfdump_csv_header_naming_a_column_twice(tmp_path):
    """A damaged header that names a column twice ("mpls1" twice): the rows are read, not a Polars ComputeError."""
    from netvet.flows import engine
    from netvet.model import ReadStats
    from netvet.readers.flowlogs.base import ReadOptions

    src = (FIXTURES / "flows" / "nfdump.csv").read_bytes()
    data = src.replace(b"mpls10,", b"mpls1,", 1)
    assert data != src
    f = tmp_path / "nfdump.csv"
    f.write_bytes(data)
    reader = engine.reader_of("nfdump-csv")
    stats = ReadStats(str(f), "nfdump-csv")
    rows = sum(len(c) for part in reader.parts(f, ReadOptions()) for c in reader.read_part(part, stats))
    clean = ReadStats(str(f), "nfdump-csv")
    g = tmp_path / "clean.csv"
    g.write_bytes(src)
    want = sum(len(c) for part in reader.parts(g, ReadOptions()) for c in reader.read_part(part, clean))
    assert (rows, stats.read, stats.malformed) == (want, clean.read, clean.malformed) and rows > 0


def test_lines_polars_cannot_split_are_found_and_counted(monkeypatch):
    """cut_fields' fallback: when Polars refuses a block, the lines it refuses are found by halving and counted
    malformed; the others are read."""
    import numpy as np
    import polars as pl

    from netvet.model import ReadStats
    from netvet.readers.flowlogs import text

    block = text.Block(b"1,2\n3,4\nbad,5\n6,7\n", 1)
    real = text.Block.frame

    def frame(self, rows, names, sep, quote=None):
        if any(self.line_text(int(r)).startswith("bad") for r in rows):
            raise pl.exceptions.ComputeError("refused")
        return real(self, rows, names, sep, quote)

    monkeypatch.setattr(text.Block, "frame", frame)
    stats = ReadStats("x.csv", "nfdump-csv")
    df, lines = text.cut_fields(block, np.arange(4), ["a", "b"], ",", stats)
    assert df["a"].to_list() == ["1", "3", "6"] and lines.tolist() == [1, 2, 4]
    assert stats.malformed == 1 and [(i.line, i.reason) for i in stats.issues] == [
        (3, "fields cannot be split (refused)")]


def test_date_times_are_parsed_only_from_ascii_text():
    """A time cell with multi-byte text is a bad value, never handed to chrono's parser (which panicked on one
    in the long fuzzing run: pyo3 PanicException, not an Exception)."""
    import polars as pl

    from netvet.readers.flowlogs.text import parse_times

    us, ok = parse_times(pl.Series(["2023-11-14T22:13:20Z", "2023-11-14\u042222:13:20", "T\u00e9", "1700000001"]))
    assert ok.tolist() == [True, False, False, True]
    assert us[[0, 3]].tolist() == [1_700_000_000_000_000, 1_700_000_001_000_000]


def test_csv_flow_table_with_an_empty_column_name_and_quoted_rows(tmp_path):
    """A header with an empty column name: plain rows (read by Polars) and quoted rows (read by csv) get the same
    column names, so their frames join (was a Polars ShapeError in vstack)."""
    from netvet.flows import engine
    from netvet.model import ReadStats
    from netvet.readers.flowlogs.base import ReadOptions

    f = tmp_path / "flows.csv"
    f.write_text("src_ip,dst_ip,bytes,,ts\n"
                 "10.0.0.1,192.0.2.1,100,x,1700000000\n"
                 '10.0.0.2,192.0.2.2,200,"y,z",1700000001\n')
    reader = engine.reader_of("csv-flows")
    stats = ReadStats(str(f), "csv-flows")
    chunks = [c for part in reader.parts(f, ReadOptions()) for c in reader.read_part(part, stats)]
    assert (stats.read, stats.malformed, sum(len(c) for c in chunks)) == (2, 0, 2)
    assert sorted(int(b) for c in chunks for b in c.bytes) == [100, 200]


def test_huge_times_and_durations_are_malformed_without_numpy_overflow():
    """Found by long fuzz run 7 (a RuntimeWarning, not an escape): a time or duration of 1e300 or inf was
    multiplied into microseconds before being set aside; now only the values kept are converted."""
    import warnings

    import numpy as np
    import polars as pl

    from netvet.readers.flowlogs.text import NO_TIME, Converter

    frame = pl.DataFrame({"ts": ["1700000000.5", "1e300", "inf", "-"], "dur": ["1.5", "1e300", "-inf", "-"]})
    conv = Converter(frame, np.arange(1, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ts, dur = conv.seconds("ts"), conv.duration("dur")
    assert ts.tolist() == [1_700_000_000_500_000, NO_TIME, NO_TIME, NO_TIME]
    assert dur.tolist() == [1_500_000, 0, 0, 0]
    assert conv.bad.tolist() == [False, True, True, False]


def _read_flow_log(fmt: str, path, mapping=()) -> tuple:
    from netvet.flows import engine
    from netvet.model import ReadStats
    from netvet.readers.flowlogs import problems
    from netvet.readers.flowlogs.base import ReadOptions
    from tests.fuzz.test_fuzz_flows import _records

    reader = engine.reader_of(fmt)
    stats = ReadStats(str(path), fmt)
    options = ReadOptions(mapping=mapping, chunk_rows=64)
    n = sum(_records(reader.read_part(part, stats)) for part in reader.parts(path, options))
    problems.finish(stats)
    return n, stats


@pytest.mark.parametrize("fmt,seed,ops", [
    ("zeek-conn", 3, [("dup_span", 4, 32)]),
    ("zeek-dns", 1040, [("dup_span", 3496867, 236)]),
])
def test_zeek_json_pieces_whose_field_types_do_not_join(fmt, seed, ops, tmp_path):
    """Found by long fuzz run 8: JSON lines read in pieces whose types for one field differ (a struct or list here,
    a number there) made Polars' concat raise; now the lines whose types do not join are malformed, each."""
    from tests.fuzz.mutations import load_seeds
    from tests.fuzz.test_fuzz_flows import FLOW_SEEDS

    seeds = load_seeds(*FLOW_SEEDS[fmt])
    f = tmp_path / "log"
    f.write_bytes(mutate(seeds[seed % len(seeds)].data, ops))
    n, stats = _read_flow_log(fmt, f)
    assert stats.malformed + stats.skipped <= stats.read


def test_zeek_json_line_with_a_field_of_another_type_is_malformed(tmp_path):
    import json

    rows = [{"ts": 1700000000 + i, "uid": f"C{i}", "id.orig_h": "10.0.0.1", "id.orig_p": 5000,
             "id.resp_h": f"192.0.2.{i + 1}", "id.resp_p": 443, "proto": "tcp", "orig_bytes": 10, "resp_bytes": 20}
            for i in range(64)]
    rows[40]["orig_bytes"] = ["x", "y"]
    f = tmp_path / "conn.json"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    n, stats = _read_flow_log("zeek-conn", f)
    assert (stats.read, stats.malformed, n) == (64, 1, 63)
    assert [i.line for i in stats.issues] == [41]
    assert stats.issues[0].reason.startswith("a field's JSON type differs from the same field in the file's other")


def test_parquet_dictionary_index_past_its_dictionary(tmp_path):
    """Found by long fuzz run 8: a flipped byte in a Parquet data page gave a dictionary index past the dictionary
    (Arrow does not check it): IndexError. Now such a row is malformed."""
    from tests.fuzz.test_fuzz_flows import MAPPING, _parquet_seed

    f = tmp_path / "flows.parquet"
    f.write_bytes(mutate(_parquet_seed().data, [("flip", 610, 2)]))
    try:
        n, stats = _read_flow_log("parquet-flows", f, MAPPING)
    except InputError:
        return
    assert stats.malformed + stats.skipped <= stats.read and n + stats.malformed + stats.skipped == stats.read


def test_cyclonedx_metadata_component_given_twice(tmp_path):
    """Found by a long fuzz run: a /metadata whose "component" key comes twice counted the first one read but
    dropped it (read 5, 4 observations, nothing malformed). The last one is read, as a JSON parser does; the
    earlier one and its nested components are malformed, said once."""
    from netvet.readers.cyclonedx import CycloneDxReader

    f = tmp_path / "twice.cdx.json"
    f.write_text('{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {'
                 '"component": {"type": "device", "name": "first", "components": [{"type": "firmware", "name": "fw"}]},'
                 '"component": {"type": "device", "name": "second"}},'
                 '"components": [{"type": "library", "name": "lib"}]}')
    res = CycloneDxReader().read(f)
    st = res.stats
    assert [(o.id, o.attributes["name"]) for o in res.observations] == [
        ("twice.cdx.json:/metadata/component", "second"), ("twice.cdx.json:/components/0", "lib")]
    assert (st.read, st.malformed) == (4, 2)
    assert [i.reason for i in st.issues] == [
        "/metadata/component: given more than once in /metadata; the last one is read, this one and the 1 "
        "components nested in it are not"]
    assert CycloneDxReader().stream(f).stats is not None and [o.id for o in CycloneDxReader().stream(f)] == [
        o.id for o in res.observations]
