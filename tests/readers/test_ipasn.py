"""pyasn IPASN and CAIDA pfx2as readers: fixtures with good and bad lines, and the real pyasn databases."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import numpy as np
import pytest

from netvet.model import InputError
from netvet.readers.base import open_input
from netvet.readers.ipasn import (
    BadRecord,
    _parse_line,
    parse_asn,
    parse_origins_ipasn,
    parse_origins_pfx2as,
    read_ipasn,
    read_pfx2as,
    read_prefix_origins,
    sniff,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ipasn"
IPASN = FIXTURES / "nested.dat"
PFX2AS = FIXTURES / "routeviews.pfx2as"

NESTED_ROWS = [
    ("0.0.0.0/0", (64496,)),
    ("10.0.0.0/8", (64497,)),
    ("10.1.0.0/16", (64498,)),
    ("10.1.2.0/24", (64499,)),
    ("10.1.2.128/25", (64500,)),
    ("10.1.2.192/26", (64501, 64502)),
    ("10.1.2.200/32", (64503,)),
    ("10.1.2.201/32", (64504,)),
    ("10.255.255.255/32", (64505,)),
    ("192.0.2.0/24", (64506,)),
    ("192.0.2.0/24", (64507,)),
    ("198.51.100.0/23", (64508,)),
    ("198.51.100.0/24", (64509,)),
    ("203.0.113.0/24", (64510, 64511)),
    ("255.255.255.255/32", (64512,)),
    ("::/0", (64513,)),
    ("2001:db8::/32", (64514,)),
    ("2001:db8:1::/48", (64515,)),
    ("2001:db8:1:2::/64", (64516,)),
    ("2001:db8:1:2::/96", (64517,)),
    ("2001:db8:1:2::1/128", (64518,)),
    ("2001:db8:1:2:8000::/65", (64519, 64520)),
    ("2001:db8:1:3::/64", (64521,)),
]
NESTED_ISSUES = [
    (15, "warning", "prefix 198.51.100.7/24 has host bits set; read as the network with them cleared"),
    (28, "error", "expected 2 tab-separated fields (prefix, origin), got 1"),
    (29, "error", "bad AS number 'AS-FOO'"),
    (30, "error", "prefix length 33 out of range for IPv4"),
    (31, "error", "bad IP address '10.5.0.0.0'"),
    (32, "error", "AS0 is not a valid origin (RFC 7607)"),
    (33, "error", "AS number '4294967296' is larger than 4294967295"),
    (34, "error", "bad origin AS set '{}'"),
    (35, "error", "bad IP address '2001:db8:zz::'"),
    (36, "error", "bad prefix '10.9.0.0' (no '/length')"),
]


def _issues(stats):
    return [(i.line, i.severity, i.reason) for i in stats.issues]


def test_ipasn_fixture_rows_and_problems():
    po = read_ipasn(IPASN)
    assert list(po.prefixes()) == NESTED_ROWS
    assert (po.v4_count, po.v6_count) == (15, 8)
    assert po.stats.format == "ipasn"
    assert po.stats.read == 32  # data lines; the 3 comment lines and the blank line are not records
    assert po.stats.malformed == 9
    assert _issues(po.stats) == NESTED_ISSUES
    assert all(i.file == str(IPASN) for i in po.stats.issues)
    assert po.origin_sets[0] == ()
    assert po.v4_net.dtype == np.uint32 and po.v6_hi.dtype == np.uint64 and po.v4_set.dtype == np.uint32


@pytest.mark.parametrize("opener,suffix", [(gzip.open, ".gz"), (bz2.open, ".bz2"), (lzma.open, ".xz")])
def test_compressed_input_reads_the_same(tmp_path, opener, suffix):
    target = tmp_path / f"nested.dat{suffix}"
    with opener(target, "wb") as fh:
        fh.write(IPASN.read_bytes())
    po = read_prefix_origins(target)
    assert list(po.prefixes()) == NESTED_ROWS
    assert [(i.line, i.reason) for i in po.stats.issues] == [(a, c) for a, _, c in NESTED_ISSUES]


def test_crlf_and_space_separated_lines(tmp_path):
    path = tmp_path / "crlf.dat"
    path.write_bytes(b"; c\r\n1.2.3.0/24\t64500\r\n5.6.0.0/16 64501\r\n\r\n7.0.0.0/8\t{64502, 64503}")
    po = read_ipasn(path)
    assert list(po.prefixes()) == [
        ("1.2.3.0/24", (64500,)),
        ("5.6.0.0/16", (64501,)),
        ("7.0.0.0/8", (64502, 64503)),
    ]
    assert po.stats.read == 3 and po.stats.issues == []


def test_pfx2as_fixture_moas_and_as_sets():
    po = read_pfx2as(PFX2AS)
    assert list(po.prefixes()) == [
        ("1.0.0.0/24", (13335,)),
        ("1.0.4.0/22", (38803,)),
        ("1.0.4.0/24", (38803, 56203)),
        ("1.0.5.0/24", (4134, 4837)),
        ("1.0.6.0/24", (64500, 64501, 64502)),
        ("1.0.6.128/25", (64503,)),
        ("1.0.11.0/24", (64500,)),
        ("1.0.12.0/24", (64504,)),
        ("2001:200::/32", (2500,)),
        ("2001:200:900::/40", (7660, 2500)),
    ]
    assert po.stats.read == 14 and po.stats.malformed == 4
    assert _issues(po.stats) == [
        (9, "error", "expected 3 tab-separated fields (prefix, length, origins), got 2"),
        (10, "error", "bad prefix length 'xx'"),
        (11, "error", "bad origin AS list '64500__64501'"),
        (12, "error", "bad IP address '1.0.10.0/24'"),
        (14, "warning", "prefix 1.0.12.1/24 has host bits set; read as the network with them cleared"),
    ]


def test_sniffing_and_errors(tmp_path):
    assert sniff(IPASN.read_bytes()) == "ipasn"
    assert sniff(PFX2AS.read_bytes()) == "pfx2as"
    assert sniff(b"; IP-ASN32-DAT file\n") == "ipasn"
    assert sniff(b"# format:org_id|changed|org_name|country|source\nA|1|B|US|ARIN\n") is None
    assert read_prefix_origins(PFX2AS).stats.format == "pfx2as"
    other = tmp_path / "other.txt"
    other.write_text("hello world, this is not a prefix file\n")
    with pytest.raises(InputError, match="neither a pyasn IPASN file nor a CAIDA pfx2as file"):
        read_prefix_origins(other)
    with pytest.raises(InputError, match="file not found"):
        read_prefix_origins(tmp_path / "missing.dat")
    with pytest.raises(InputError, match="unknown prefix-origin format 'mrt'"):
        read_prefix_origins(IPASN, "mrt")
    broken = tmp_path / "broken.dat.gz"
    broken.write_bytes(gzip.compress(IPASN.read_bytes())[:200])
    with pytest.raises(InputError, match="cannot read"):
        read_prefix_origins(broken, "ipasn")


def test_field_parsers():
    assert parse_asn("4134") == 4134
    assert parse_asn("AS4134") == 4134
    assert parse_asn("1.10") == 65546  # asdot
    assert parse_asn("4294967295") == 4294967295
    for bad in ("0", "-1", "4294967296", "1.65536", "x", "", "१२"):
        with pytest.raises(BadRecord):
            parse_asn(bad)
    assert parse_origins_ipasn("{1,2,1}") == (1, 2)
    assert parse_origins_ipasn("set([3, 4])") == (3, 4)
    assert parse_origins_pfx2as("1_2,3_1") == (1, 2, 3)
    with pytest.raises(BadRecord, match="bad origin AS set"):
        parse_origins_ipasn("{1,,2}")


def test_real_ipasn_20140513_counts(shared):
    po = read_ipasn(shared("ipasn/ipasn_20140513.dat.gz"))
    assert (po.v4_count, po.v6_count) == (512621, 0)
    assert po.stats.read == 512621 and po.stats.malformed == 0 and po.stats.issues == []
    primary = np.array([s[0] if s else 0 for s in po.origin_sets], dtype=np.uint32)[po.v4_set]
    counts = {asn: int((primary == asn).sum()) for asn in (9808, 4134, 4837, 9929, 4809, 58453)}
    assert counts == {9808: 999, 4134: 850, 4837: 677, 9929: 297, 4809: 98, 58453: 12}
    assert po.origin_sets[int(po.v4_set[0])] == (15169,)  # 1.0.0.0/24


def test_real_ipasn6_20151101_counts(shared):
    po = read_ipasn(shared("ipasn/ipasn6_20151101.dat.gz"))
    assert (po.v4_count, po.v6_count) == (606138, 27693)
    assert po.stats.read == 633831 and po.stats.issues == []
    assert int(po.v6_len.max()) == 128 and int((po.v6_len > 64).sum()) == 374


def test_vectorised_and_careful_parsers_agree_on_real_lines(shared, tmp_path):
    """Every 8th line of the real v4+v6 database: the vectorised fast path equals the careful parser."""
    with open_input(shared("ipasn/ipasn6_20151101.dat.gz")) as fh:
        lines = [s for s in fh.read().decode().splitlines() if s and not s.startswith(";")][::8]
    sample = tmp_path / "sample.dat"
    sample.write_text("\n".join(lines) + "\n")
    po = read_ipasn(sample)
    rows = [_parse_line(s, False) for s in lines]
    v4 = [(net, length, origins) for v, net, length, origins, _, _ in rows if v == 4]
    v6 = [(net, length, origins) for v, net, length, origins, _, _ in rows if v == 6]
    assert (po.v4_count, po.v6_count) == (len(v4), len(v6)) == (75768, 3461)
    assert [n for n, _, _ in v4] == po.v4_net.tolist()
    assert [ln for _, ln, _ in v4] == po.v4_len.tolist()
    assert [o for _, _, o in v4] == [po.origin_sets[s] for s in po.v4_set.tolist()]
    assert [n >> 64 for n, _, _ in v6] == po.v6_hi.tolist()
    assert [n & (2**64 - 1) for n, _, _ in v6] == po.v6_lo.tolist()
    assert [ln for _, ln, _ in v6] == po.v6_len.tolist()
    assert [o for _, _, o in v6] == [po.origin_sets[s] for s in po.v6_set.tolist()]
