"""netvet's MRT parser on its own fixtures: every record type, exact lines, damage handling."""

from __future__ import annotations

import gzip
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from netvet.model import InputError
from netvet.model.route import (
    AS_CONFED_SEQUENCE,
    AS_CONFED_SET,
    AS_SEQUENCE,
    AS_SET,
    MrtType,
    RouteKind,
    iter_table_routes,
)
from netvet.readers.bgpdump_text import LineFormatter
from netvet.readers.mrt import MrtParser, iter_routes, read_route_table, read_routes, sniff
from netvet.readers.mrt.wire import ntoa6

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "mrt"

SAMPLE_LINES = [
    "TABLE_DUMP2|1700000000|B|192.0.2.11|64500|192.0.2.0/24|64500 3356 64511|IGP|192.0.2.11|100|10|"
    "64500:100 no-export|AG|64511 192.0.2.99|",
    "TABLE_DUMP2|1700000000|B|192.0.2.12|4200000001|192.0.2.0/24|4200000001 174 {64511,64512}|INCOMPLETE|"
    "192.0.2.12|0|0||NAG||",
    "TABLE_DUMP2|1700000000|B|2001:db8::12|64502|192.0.2.0/24|64502 4134|EGP|192.0.2.13|0|0||NAG||",
    "TABLE_DUMP2|1700000000|B|2001:db8::12|64502|2001:db8:1000::/36|64502 6939 64513|IGP|2001:db8::12|0|0||NAG||",
    "TABLE_DUMP2|1700000000|B|192.0.2.11|64500|198.51.100.0/24|64500 64514|IGP|192.0.2.11|0|0||NAG||",
    "TABLE_DUMP2_AP|1700000000|B|192.0.2.11|64500|203.0.113.0/24|1|64500 64515|IGP|192.0.2.11|0|0||NAG||",
    "TABLE_DUMP2_AP|1700000000|B|192.0.2.11|64500|203.0.113.0/24|2|64500 3356 64515|IGP|192.0.2.11|0|0||NAG||",
    "TABLE_DUMP2|1700000000|B|192.0.2.12|4200000001|192.0.2.128/25|4200000001 64516|IGP|192.0.2.1|0|0||NAG||",
    "BGP4MP|1700000001|A|192.0.2.11|64500|198.51.100.0/25|64500 4200000002 4200000003 3356|IGP|192.0.2.11|"
    "0|0||NAG|4200000003 192.0.2.77|",
    "BGP4MP|1700000002|W|192.0.2.12|4200000001|203.0.113.0/25",
    "BGP4MP|1700000002|W|192.0.2.12|4200000001|203.0.113.128/25",
    "BGP4MP|1700000002|W|192.0.2.12|4200000001|2001:db8:2000::/36",
    "BGP4MP|1700000002|A|192.0.2.12|4200000001|198.51.100.128/25|(65001 65002) 4200000001 174 {64520,64521} "
    "[65003]|IGP|192.0.2.12|0|0||NAG||",
    "BGP4MP|1700000003|A|2001:db8::12|64502|192.0.2.64/26|64502 2914|IGP|192.0.2.13|0|0||NAG||",
    "BGP4MP|1700000004|A|2001:db8::12|64502|2001:db8:3000::/36|64502 6939|IGP|2001:db8::12|0|0||NAG||",
    "BGP4MP|1700000004|A|2001:db8::12|64502|2001:db8:4000::/36|64502 6939|IGP|2001:db8::12|0|0||NAG||",
    "BGP4MP|1700000005|A|192.0.2.11|64500|198.51.100.0/24|64500 64530|IGP|192.0.2.11|0|0||NAG||",
    "BGP4MP_ET|1700000006.123456|A|192.0.2.11|64500|192.0.2.32/27|64500 64531|IGP|192.0.2.1|0|0||NAG||",
    "BGP4MP_LOCAL|1700000007|A|192.0.2.11|64500|192.0.2.192/26|64496|IGP|192.0.2.1|0|0||NAG||",
    "BGP4MP_AP|1700000008|W|192.0.2.11|64500|192.0.2.0/28|7",
    "BGP4MP_AP|1700000008|A|192.0.2.11|64500|192.0.2.16/28|8|64500 64532|IGP|192.0.2.1|0|0||NAG||",
    "BGP4MP_AP|1700000008|A|192.0.2.11|64500|192.0.2.16/28|9|64500 64532|IGP|192.0.2.1|0|0||NAG||",
    "BGP4MP|1700000009|STATE|2001:db8::12|64502|6|1",
    "BGP4MP|1700000009|STATE|192.0.2.11|64500|1|2",
    "BGP4MP_ET|1700000009.000042|STATE|192.0.2.11|64500|2|3",
    "TABLE_DUMP|1700000012|B|192.0.2.11|64500|192.0.2.0/24|64500 64533|IGP|192.0.2.11|0|0||NAG||",
    "TABLE_DUMP|1700000012|B|2001:db8::12|64502|2001:db8:5000::/36|64502 64534|IGP|2001:db8::12|0|0||NAG||",
]
# lines bgpdump 1.6 does not print: the IPv4 multicast RIB and the RIB_GENERIC (IPv4 unicast) records
NOT_IN_BGPDUMP = {4, 7}


def lines_of(path: Path) -> tuple[list[str], object]:
    fmt = LineFormatter()
    parser = MrtParser(path)
    return [fmt(r) for r in parser.routes()], parser.stats


def issues(st) -> list[tuple]:
    return [(i.severity, i.offset, i.reason) for i in st.stats.issues]


def test_fixtures_are_what_the_generator_writes(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("mrtgen", FIX / "mrtgen.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    files = gen.write_all(tmp_path)
    for name, data in files.items():
        if name.endswith((".bz2", ".xz", ".gz")):
            continue  # compressed bytes depend on the compressor build; contents are checked below
        assert (FIX / name).read_bytes() == data, name
    assert gzip.decompress((FIX / "big.mrt.gz").read_bytes()) == gzip.decompress(files["big.mrt.gz"])


def test_sample_every_record_type_exact_lines():
    lines, st = lines_of(FIX / "sample.mrt")
    assert lines == SAMPLE_LINES
    assert st.stats.read == 23 and st.stats.malformed == 0 and not st.damaged
    assert dict(st.routes) == {"B": 10, "A": 10, "W": 4, "STATE": 3}
    assert st.rib_entries == 11  # ten routes plus one MPLS VPN RIB_GENERIC entry, skipped
    assert dict(st.records) == {
        "TABLE_DUMP_V2/PEER_INDEX_TABLE": 1,
        "TABLE_DUMP_V2/RIB_IPV4_UNICAST": 1,
        "TABLE_DUMP_V2/RIB_IPV6_UNICAST": 1,
        "TABLE_DUMP_V2/RIB_IPV4_MULTICAST": 1,
        "TABLE_DUMP_V2/RIB_IPV4_UNICAST_ADDPATH": 1,
        "TABLE_DUMP_V2/RIB_GENERIC": 2,
        "BGP4MP/MESSAGE": 1,
        "BGP4MP/MESSAGE_AS4": 7,
        "BGP4MP_ET/MESSAGE_AS4": 1,
        "BGP4MP/MESSAGE_AS4_LOCAL": 1,
        "BGP4MP/MESSAGE_AS4_ADDPATH": 1,
        "BGP4MP/STATE_CHANGE_AS4": 1,
        "BGP4MP/STATE_CHANGE": 1,
        "BGP4MP_ET/STATE_CHANGE_AS4": 1,
        "TABLE_DUMP/AFI_IPv4": 1,
        "TABLE_DUMP/AFI_IPv6": 1,
    }
    assert dict(st.bgp_messages) == {"UPDATE": 9, "KEEPALIVE": 1, "OPEN": 1}
    assert dict(st.skipped) == {
        "RIB_GENERIC entries of IPv4 MPLS VPN (AFI 1, SAFI 128): not IP unicast/multicast routes": 1,
        "announcements of IPv4 MPLS VPN (AFI 1, SAFI 128): not IP unicast/multicast routes": 1,
    }
    assert [i[0] for i in issues(st)] == ["warning", "warning"]


def test_sample_records_fields():
    recs, st = read_routes(FIX / "sample.mrt")
    first = recs[0]
    assert first.type == MrtType.TABLE_DUMP2 and first.kind == RouteKind.RIB and first.offset == 75
    assert first.as_path == (64500, 3356, 64511) and first.origin == 0 and first.origin_asn == 64511
    assert first.communities == ((64500, 100), (0xFFFF, 0xFF01)) and first.atomic_aggregate
    assert first.aggregator == (64511, "192.0.2.99") and first.local_pref == 100 and first.med == 10
    second = recs[1]
    assert second.as_path == (4200000001, 174, frozenset({64511, 64512})) and second.origin_asn == 0
    assert second.attrs.segments == ((AS_SEQUENCE, (4200000001, 174)), (AS_SET, (64511, 64512)))
    assert recs[2].attrs.large_communities == ((64502, 1, 2),)
    multicast = recs[4]
    assert multicast.safi == 2 and multicast.prefix == "198.51.100.0/24"
    assert [r.path_id for r in recs[5:7]] == [1, 2]
    as4 = recs[8]  # RFC 6793: AS_PATH 64500 23456 23456 3356 + AS4_PATH 4200000002 4200000003 3356
    assert as4.as_path == (64500, 4200000002, 4200000003, 3356)
    assert as4.aggregator == (4200000003, "192.0.2.77")
    confed = recs[12]
    assert confed.attrs.segments == (
        (AS_CONFED_SEQUENCE, (65001, 65002)),
        (AS_SEQUENCE, (4200000001, 174)),
        (AS_SET, (64520, 64521)),
        (AS_CONFED_SET, (65003,)),
    )
    assert confed.as_path == (4200000001, 174, frozenset({64520, 64521}))  # confederation segments left out
    v4_over_v6 = recs[13]
    assert v4_over_v6.peer_ip == "2001:db8::12" and v4_over_v6.prefix == "192.0.2.64/26"
    assert v4_over_v6.next_hop == "192.0.2.13" and v4_over_v6.family == 4
    mp_multicast = recs[16]
    assert mp_multicast.safi == 2 and mp_multicast.next_hop == "192.0.2.11"
    et = recs[17]
    assert et.microseconds == 123456 and et.label == "BGP4MP_ET"
    assert recs[18].local and recs[18].label == "BGP4MP_LOCAL"
    state = recs[22]
    assert (state.kind, state.old_state, state.new_state, state.peer_as) == (RouteKind.STATE, 6, 1, 64502)
    assert recs[20].to_dict()["as_path"] == [64500, 64532]
    assert recs[1].to_dict()["as_path"] == [4200000001, 174, [64511, 64512]]


@pytest.mark.parametrize("name", ["sample.mrt.bz2", "sample.mrt.xz"])
def test_compressed_inputs_give_the_same_lines(name):
    lines, st = lines_of(FIX / name)
    assert lines == SAMPLE_LINES and not st.damaged


@pytest.mark.skipif(not shutil.which("bgpdump"), reason="bgpdump not installed")
def test_sample_matches_bgpdump():
    out = subprocess.run(
        ["bgpdump", "-q", "-m", str(FIX / "sample.mrt")], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out == [line for i, line in enumerate(SAMPLE_LINES) if i not in NOT_IN_BGPDUMP]


def test_route_table_of_sample():
    table, st = read_route_table(FIX / "sample.mrt")
    assert len(table) == 24  # 27 lines less 3 state changes
    assert table.peer_ips == ["192.0.2.11", "192.0.2.12", "2001:db8::12"]
    assert table.peer_asns.tolist() == [64500, 4200000001, 64502]
    rows = list(iter_table_routes(table))
    assert rows[0] == ("B", "192.0.2.0/24", 64500, (64500, 3356, 64511))
    assert rows[1] == ("B", "192.0.2.0/24", 4200000001, (4200000001, 174, frozenset({64511, 64512})))
    assert rows[9] == ("W", "203.0.113.0/25", 4200000001, ())
    assert rows[11] == ("W", "2001:db8:2000::/36", 4200000001, ())
    assert table.origin_asn.tolist()[:4] == [64511, 0, 4134, 64513]
    assert table.safi.tolist()[:5] == [1, 1, 1, 1, 2]
    assert table.path_id.tolist()[5:7] == [1, 2]
    assert table.family.tolist()[3] == 6 and table.prefix_len.tolist()[3] == 36
    assert (int(table.prefix_hi[3]) << 64 | int(table.prefix_lo[3])) == 0x20010DB8100000000000000000000000
    assert int(table.prefix_lo[0]) == 0xC0000200 and int(table.prefix_hi[0]) == 0
    assert table.microseconds.tolist()[17] == 123456
    assert table.offset.tolist()[0] == 75
    # confederation members and AS_SETs are in the flat arrays with their marks
    confed = int(table.path_index[12])
    lo, hi = table.path_offsets[confed], table.path_offsets[confed + 1]
    assert table.path_asns[lo:hi].tolist() == [65001, 65002, 4200000001, 174, 64520, 64521, 65003]
    assert table.path_marks[lo:hi].tolist() == [3, 3, 0, 0, 1, 2, 4]


def test_ipv6_text_matches_bgpdump_conventions():
    import ipaddress

    def t(s: str) -> str:
        return ntoa6(ipaddress.IPv6Address(s).packed)

    assert t("2001:db8:0:1:1:1:1:1") == "2001:db8::1:1:1:1:1"  # a single zero group is compressed too
    assert t("2001:db8::") == "2001:db8::"
    assert t("::") == "::"
    assert t("::ffff:192.0.2.1") == "::ffff:192.0.2.1"
    assert t("::192.0.2.1") == "::192.0.2.1"
    assert t("::1") == "::1"
    assert t("1:0:0:2:0:0:0:3") == "1:0:0:2::3"
    assert t("1:0:0:2:0:0:3:4") == "1::2:0:0:3:4"  # the first of two equally long runs


def test_big_records_and_thousands_of_withdrawals():
    lines, st = lines_of(FIX / "big.mrt.gz")
    assert len(lines) == 12038 and not st.damaged
    assert dict(st.routes) == {"B": 2000, "W": 10038}
    assert st.rib_entries == 2000
    assert (
        lines[0] == "TABLE_DUMP2|1700000000|B|192.0.2.11|64500|192.0.2.0/24|64500 3356 64540|IGP|192.0.2.11|0|0||NAG||"
    )
    assert lines[1999] == (
        "TABLE_DUMP2|1700000000|B|10.0.7.249|66598|192.0.2.0/24|66598 3356 64540|IGP|192.0.2.11|0|0||NAG||"
    )
    w8 = [x for x in lines if x.startswith("BGP4MP|1700000001|W|")]
    assert len(w8) == 2038 and w8[0].endswith("|1.0.0.0/8") and w8[-1].endswith("|22.0.0.0/8")
    w = [x for x in lines if x.startswith("BGP4MP|1700000002|W|")]
    assert len(w) == 8000
    assert w[0].endswith("|10.0.0.0/24") and w[4999].endswith("|10.19.135.0/24")
    assert w[5000].endswith("|2001:db8::/48") and w[-1].endswith("|2001:db8:bb7::/48")
    table, _ = read_route_table(FIX / "big.mrt.gz")
    assert len(table) == 12038 and len(table.peer_ips) == 2000


def test_truncated_file_keeps_everything_before_the_damage():
    lines, st = lines_of(FIX / "truncated.mrt")
    assert lines == SAMPLE_LINES[:7]
    assert st.damaged and st.truncated and st.stats.malformed == 1
    assert issues(st)[0] == (
        "error",
        502,
        "record 5 (TABLE_DUMP_V2/RIB_GENERIC) at byte offset 502 is truncated: it declares 46 bytes, 10 remain",
    )


def test_truncated_gzip_reports_the_offset_in_the_decompressed_stream():
    lines, st = lines_of(FIX / "truncated.mrt.gz")
    assert lines == SAMPLE_LINES[:8]
    assert st.truncated and st.stats.malformed == 1
    sev, off, reason = issues(st)[0]
    assert (sev, off) == ("error", 605)
    assert reason.startswith("record 7 (BGP4MP/MESSAGE) at byte offset 605 is truncated: it declares 105 bytes")
    assert reason.endswith("(Compressed file ended before the end-of-stream marker was reached)")


def test_lying_lengths_are_reported_and_reading_goes_on():
    lines, st = lines_of(FIX / "lying_length.mrt")
    # record 8 claims 20 bytes too many (its message is still complete and is kept); record 10 claims
    # 10 bytes too few (its BGP message is cut: reported, not decoded); everything else is read
    assert lines == SAMPLE_LINES[:14] + SAMPLE_LINES[16:]
    # record 8 is read with damage; the two stretches skipped by resynchronising and record 10 are malformed
    assert st.stats.malformed == 3 and st.stats.damaged == 1 and st.damaged
    assert [(s, o) for s, o, _ in issues(st) if s == "error"] == [
        ("error", 722),
        ("error", 874),
        ("error", 967),
        ("error", 1105),
    ]
    reasons = [r for s, _, r in issues(st) if s == "error"]
    assert reasons[0] == (
        "record at byte offset 722: 20 bytes after the BGP message (record length does not match its content)"
    )
    assert reasons[1].endswith("resumed at the next valid record, byte offset 854")
    assert reasons[2] == (
        "record 10 (BGP4MP/MESSAGE_AS4) at byte offset 967: BGP message declares 92 bytes, the record holds 82"
    )
    assert reasons[3].endswith("resumed at the next valid record, byte offset 1115")


def test_unknown_type_is_counted_and_reported():
    lines, st = lines_of(FIX / "unknown_type.mrt")
    assert lines == SAMPLE_LINES and not st.damaged and st.stats.malformed == 0
    assert st.records["type 99/subtype 7"] == 1 and st.records["OSPFv2/subtype 0"] == 1
    assert st.stats.read == 25
    warnings = [r for s, _, r in issues(st) if s == "warning"]
    assert "record 3 at byte offset 350: unknown MRT type 99 (subtype 7, 19 bytes) counted and skipped" in warnings
    assert "1 OSPFv2/subtype 0 record(s) counted but not decoded (no routes in them for netvet)" in warnings
    assert "1 skipped: records of unknown MRT type 99" in warnings


def test_garbage_between_records_is_skipped_with_a_problem():
    lines, st = lines_of(FIX / "garbage_inside.mrt")
    assert lines == SAMPLE_LINES and st.stats.malformed == 1
    sev, off, reason = issues(st)[0]
    assert (sev, off) == ("error", 605)
    assert reason.endswith("resumed at the next valid record, byte offset 938")


def test_garbage_file_is_an_input_error():
    with pytest.raises(InputError, match="not an MRT file: no valid MRT record in its 4096 bytes"):
        list(iter_routes(FIX / "garbage.bin"))


def test_corrupt_gzip_keeps_the_records_before_the_damage():
    lines, st = lines_of(FIX / "corrupt.mrt.gz")
    good, _ = lines_of(FIX / "big.mrt.gz")
    assert lines == good[:4038]  # the RIB (2000) and the 2038-prefix UPDATE precede the damage
    assert st.damaged and st.truncated
    assert issues(st)[-1][2].startswith("decompression failed after ")


def test_empty_file_has_no_routes_and_a_warning():
    lines, st = lines_of(FIX / "empty.mrt")
    assert lines == [] and not st.damaged
    assert issues(st) == [("warning", None, "the file is empty")]


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        list(iter_routes(tmp_path / "nope.mrt"))


def test_sniff():
    assert sniff((FIX / "sample.mrt").read_bytes()[:64])
    assert not sniff((FIX / "garbage.bin").read_bytes()[:64])
    assert not sniff(b"")


def _shift_times(data: bytes, seconds: int) -> bytes:
    out = bytearray(data)
    pos = 0
    while pos < len(out):
        ts, length = struct.unpack_from(">I", out, pos)[0], struct.unpack_from(">I", out, pos + 8)[0]
        struct.pack_into(">I", out, pos, ts + seconds)
        pos += 12 + length
    return bytes(out)


def test_concatenated_dumps_years_apart_and_gzip_members(tmp_path):
    sample = (FIX / "sample.mrt").read_bytes()
    later = _shift_times(sample, 20 * 365 * 86400)  # a file of 2043 appended to one of 2023
    path = tmp_path / "two.mrt.gz"
    path.write_bytes(gzip.compress(sample) + gzip.compress(later))  # two gzip members
    lines, st = lines_of(path)
    assert len(lines) == 2 * len(SAMPLE_LINES) and not st.damaged
    assert lines[: len(SAMPLE_LINES)] == SAMPLE_LINES
    assert lines[len(SAMPLE_LINES)].startswith("TABLE_DUMP2|2330720000|B|192.0.2.11|64500|192.0.2.0/24|")


def test_unknown_type_at_the_end_and_one_whose_length_runs_past_the_end(tmp_path):
    sample = (FIX / "sample.mrt").read_bytes()
    last = tmp_path / "last.mrt"
    last.write_bytes(sample + struct.pack(">IHHI", 1700000000, 99, 0, 3) + b"abc")
    lines, st = lines_of(last)
    assert lines == SAMPLE_LINES and not st.damaged and st.records["type 99/subtype 0"] == 1
    lying = tmp_path / "lying.mrt"
    lying.write_bytes(sample + struct.pack(">IHHI", 1700000000, 99, 0, 300) + b"abc")
    lines, st = lines_of(lying)
    assert lines == SAMPLE_LINES and st.damaged
    assert issues(st)[0] == (
        "error",
        1967,
        "invalid MRT record header at byte offset 1967 (type 99, subtype 0, length 300); no valid record follows "
        "(15 bytes skipped)",
    )


def test_random_damage_never_escapes_as_an_exception(tmp_path):
    import random

    sample = bytearray((FIX / "sample.mrt").read_bytes())
    rnd = random.Random(8050)
    path = tmp_path / "damaged.mrt"
    for _ in range(300):
        data = bytearray(sample)
        for _ in range(rnd.randint(1, 4)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        cut = rnd.choice([len(data), rnd.randrange(len(data))])
        path.write_bytes(bytes(data[:cut]))
        try:
            lines, st = lines_of(path)
        except InputError:
            continue  # nothing valid left at all
        assert st.stats.read <= 23 + 5
        assert len(lines) <= 27 + 2030  # a damaged count field may at most claim what the bytes allow
