"""`bgpdump -m` text of MRT files: byte-identical to Debian's bgpdump 1.6, except bgpdump's own defects.

Every MRT file in ../shared/data/mrt is dumped by netvet and by bgpdump (run here when installed; the
stored oracle outputs in bgpdump-expect/ otherwise). The deprecated MRT type 5 (BGP) records, which none of
the shared files has, are crafted: bgpdump writes them without the '|' between MED and communities.
"""

from __future__ import annotations

import gzip
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from netvet.readers import mrt_text
from netvet.readers.bgpdump_text import BadLine, LineFormatter, parse_line
from netvet.readers.mrt import MrtParser
from netvet.readers.mrt_text import HAVE_C as HAVE_TEXT_C
from netvet.readers.mrt_text import TextMrtParser
from tests.conftest import SHARED_DATA, shared_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "mrt"))
import mrtgen as g  # noqa: E402

HAVE_BGPDUMP = shutil.which("bgpdump") is not None
# files bgpdump prints nothing for: OpenBGPD's legacy BGP4MP_ENTRY RIB records, which netvet adds (docs/routes.md)
NOT_IN_BGPDUMP = {"openbgpd_rib_table-mp"}
MRT_FILES = sorted(p.name for p in (SHARED_DATA / "mrt").glob("*")) if (SHARED_DATA / "mrt").is_dir() else []


def netvet_text(path: Path) -> str:
    fmt = LineFormatter()
    return "".join(fmt(r) + "\n" for r in MrtParser(path).routes())


def bgpdump_text(path: Path) -> str:
    return subprocess.run(["bgpdump", "-q", "-m", str(path)], capture_output=True, check=True, text=True).stdout


@pytest.mark.skipif(not HAVE_BGPDUMP, reason="Debian's bgpdump is not installed")
@pytest.mark.parametrize("name", [n for n in MRT_FILES if n not in NOT_IN_BGPDUMP])
def test_every_shared_file_is_byte_identical_to_bgpdump(name):
    path = shared_file(f"mrt/{name}")
    assert netvet_text(path) == bgpdump_text(path)


@pytest.mark.parametrize("name", ["bview.ipv4_unicast_add_path.gz", "updates.20070211.0141.gz",
                                  "updates.20160811.1600.gz"])  # fmt: skip
def test_stored_bgpdump_outputs(name):
    with gzip.open(shared_file(f"bgpdump-expect/{name}.bgp.gz"), "rt") as fh:
        assert netvet_text(shared_file(f"mrt/{name}")) == fh.read()


# ----------------------------------------------------------------------------- MRT type 5 (BGP)
def _t5(ts: int, peer_as: int, peer_ip: str, withdrawn: bytes = b"", attrs: bytes = b"", nlri: bytes = b"") -> bytes:
    msg = struct.pack(">H", len(withdrawn)) + withdrawn + struct.pack(">H", len(attrs)) + attrs + nlri
    body = struct.pack(">H", peer_as) + g.ip(peer_ip) + struct.pack(">H", 64496) + g.ip("192.0.2.254") + msg
    return g.record(ts, 5, 1, body)


def _type5_file(tmp_path: Path) -> Path:
    agg = g.attr(6, b"") + g.attr(7, struct.pack(">H", 64511) + g.ip("192.0.2.99"), 0xC0)
    recs = [
        _t5(960000000, 64500, "192.0.2.11", attrs=g.std_attrs([(g.SEQ, [64500, 3356])], asn4=False, med=5) + agg,
            nlri=g.pfx("198.51.100.0/24")),
        _t5(960000000, 64500, "192.0.2.11",
            attrs=g.std_attrs([(g.SEQ, [64500])], asn4=False, local_pref=7) + g.communities((65535, 65281), (1, 2)),
            nlri=g.pfx("198.51.100.0/24")),
        _t5(960000001, 64500, "192.0.2.11", attrs=g.std_attrs([], next_hop=None, asn4=False),
            nlri=g.pfx("10.0.0.0/8")),
        _t5(960000002, 64501, "192.0.2.12", withdrawn=g.pfx("203.0.113.0/24") + g.pfx("10.1.0.0/16")),
        g.record(960000003, 5, 3, struct.pack(">H", 64500) + g.ip("192.0.2.11") + struct.pack(">HH", 6, 1)),
    ]  # fmt: skip
    path = tmp_path / "type5.mrt"
    path.write_bytes(b"".join(recs))
    return path


TYPE5_LINES = [
    "BGP|960000000|A|192.0.2.11|64500|198.51.100.0/24|64500 3356|IGP|192.0.2.1|0|5|AG|64511 192.0.2.99|",
    "BGP|960000000|A|192.0.2.11|64500|198.51.100.0/24|64500|IGP|192.0.2.1|7|0no-export 1:2|NAG||",
    "BGP|960000001|A|192.0.2.11|64500|10.0.0.0/8||IGP|255.255.255.255|0|0|NAG||",
    "BGP|960000002|W|192.0.2.12|64501|203.0.113.0/24",
    "BGP|960000002|W|192.0.2.12|64501|10.1.0.0/16",
    "BGP|960000003|STATE|192.0.2.11|64500|6|1",
]


def test_type5_lines_use_bgpdumps_layout(tmp_path):
    assert netvet_text(_type5_file(tmp_path)).splitlines() == TYPE5_LINES


@pytest.mark.skipif(not HAVE_BGPDUMP, reason="Debian's bgpdump is not installed")
def test_type5_matches_bgpdump_except_its_withdrawal_defect(tmp_path):
    """bgpdump 1.6.2 defect (docs/routes.md): a type 5 withdrawal shows the peer address in place of the
    withdrawn prefix (inet_ntoa's static buffer used twice in one printf); netvet writes the prefix."""
    ours = netvet_text(path := _type5_file(tmp_path)).splitlines()
    theirs = bgpdump_text(path).splitlines()
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        if "|W|" in a:
            fa, fb = a.split("|"), b.split("|")
            assert fa[:5] == fb[:5]
            assert fb[5] == f"{fa[3]}/{fa[5].split('/')[1]}"  # the peer address with the prefix length
        else:
            assert a == b


def test_type5_lines_read_back():
    for line in TYPE5_LINES[:3]:
        assert LineFormatter()(parse_line(line)) == line
    with pytest.raises(BadLine, match="run together"):
        parse_line("BGP|960000000|A|192.0.2.11|64500|198.51.100.0/24|64500|IGP|192.0.2.1|100|564500:1|NAG||")


# ----------------------------------------------------------------------------- the C writer (mrt_text)
FIXTURES = sorted(p for p in (Path(__file__).resolve().parents[1] / "fixtures" / "mrt").iterdir()
                  if p.suffix in (".mrt", ".gz"))  # fmt: skip


def _stats(parser) -> tuple:
    st = parser.mstats
    return (st.stats.read, st.stats.malformed, dict(st.routes), dict(st.records), st.rib_entries,
            [str(i) for i in st.stats.issues])  # fmt: skip


def _reference(path: Path) -> tuple[bytes, tuple]:
    parser = MrtParser(path)
    fmt = LineFormatter()
    text = "".join(fmt(r) + "\n" for r in parser.routes()).encode()
    return text, _stats(parser)


def _text(path: Path, **kw) -> tuple[bytes, tuple, TextMrtParser]:
    parser = TextMrtParser(path, **kw)
    return b"".join(parser.text()), _stats(parser), parser


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
@pytest.mark.parametrize("use_c", [True, False])
def test_text_writer_equals_records_and_line_formatter_on_fixtures(path, use_c):
    text, stats, parser = _text(path, use_c=use_c)
    assert (text, stats) == _reference(path)
    assert parser.lines == text.count(b"\n")


@pytest.mark.parametrize("name", ["rib.20140523.0600_first9073records.mrt.gz", "bview.ipv4_unicast_add_path.gz",
                                  "openbgpd_rib_table-v2", "bird-mrtdump_rib", "updates.20160811.1600.gz",
                                  "updates.20070211.0141.gz", "rrc15_2010.02_updates.20100227.1610.gz",
                                  "quagga_bgp", "bird6-mrtdump_bgp", "bird6-mrtdump_rib", "quagga_rib"])  # fmt: skip
def test_text_writer_equals_reference_on_shared_files(name):
    path = shared_file(f"mrt/{name}")
    text, stats, parser = _text(path)
    assert (text, stats) == _reference(path)
    if HAVE_TEXT_C and "rib" in name:
        assert parser._rt.decoded_here > 0


@pytest.mark.skipif(not HAVE_TEXT_C, reason="C extension not built")
@pytest.mark.parametrize("name", ["updates.20070211.0141.gz", "rrc15_2010.02_updates.20100227.1610.gz"])
def test_text_writer_on_updates_with_a_tiny_cache(monkeypatch, name):
    """BGP4MP blocks written in C enter the parser's attribute cache under its rule (here 5 blocks)."""
    import netvet.readers.mrt as mrt_mod

    monkeypatch.setattr(mrt_text, "_ATTR_CACHE_MAX", 5)
    monkeypatch.setattr(mrt_mod, "_ATTR_CACHE_MAX", 5)
    path = shared_file(f"mrt/{name}")
    assert _text(path)[:2] == _reference(path)


@pytest.mark.skipif(not HAVE_TEXT_C, reason="C extension not built")
def test_text_writer_cache_rule_with_a_tiny_cache(monkeypatch, tmp_path):
    """The C block cache and the parser's share one rule: with a cache of 3 blocks, still the same text,
    problems and warnings (a block with a duplicate attribute, warned about, recurs after evictions)."""
    import netvet.readers.mrt as mrt_mod

    monkeypatch.setattr(mrt_text, "_ATTR_CACHE_MAX", 3)
    monkeypatch.setattr(mrt_mod, "_ATTR_CACHE_MAX", 3)
    odd = g.std_attrs([(g.SEQ, [64500, 1])]) + g.attr(5, struct.pack(">I", 1)) + g.attr(5, struct.pack(">I", 2))
    blocks = [g.std_attrs([(g.SEQ, [64500, k])], med=k) for k in range(6)]
    recs = [g.record(1700000000, 13, 1, g.peer_index([("192.0.2.11", 64500, True), ("192.0.2.12", 64501, False)]))]
    for k in range(12):
        entries = [(k % 2, blocks[(k + j) % 6]) for j in range(3)] + [(0, odd)]
        recs.append(g.record(1700000000 + k, 13, 2, g.rib(k, f"10.{k}.0.0/16", entries)))
    path = tmp_path / "tiny.mrt"
    path.write_bytes(b"".join(recs))
    text, stats, _ = _text(path)
    ref_text, ref_stats = _reference(path)
    assert text == ref_text and stats == ref_stats
    assert text.count(b"\n") == 48 and sum("duplicate" in i for i in stats[-1]) > 1


V6_PREFIXES = ["::/0", "::1/128", "::2/128", "::ffff:1.2.3.4/128", "::1.2.3.4/128", "2001:db8::/32",
               "1:0:0:1:0:0:0:1/128", "1:0:0:1::1/128", "0:0:1::/48", "1::/16", "1:2:3:4:5:6:7:8/128",
               "1:0:2:0:3:0:4:0/128", "fe80::/10", "::ffff:0:0/96", "0:0:0:0:0:1:0:0/128"]  # fmt: skip
NEXT_HOPS = [g.ip("2001:db8::1"), g.ip("2001:db8::1") + g.ip("fe80::1"), g.ip("192.0.2.7"), bytes(8) + g.ip("10.0.0.1"),
             bytes(8) + g.ip("::ffff:10.0.0.2"), b"\x01\x02\x03", g.ip("::")]  # fmt: skip


def test_ipv6_text_in_c_matches_the_python_writer(tmp_path):
    """Every IPv6 address form (zero runs, mapped/compatible IPv4) and next hop length, both writers."""
    import ipaddress

    recs = []
    for k, nh in enumerate(NEXT_HOPS):
        nlri = b"".join(g.pfx(p) for p in V6_PREFIXES)
        as4 = k % 2 == 0
        attrs = g.std_attrs([(g.SEQ, [64500, 3356])], next_hop=None, asn4=as4) + g.mp_reach(2, 1, nh, nlri)
        attrs += g.mp_unreach(2, 1, g.pfx(V6_PREFIXES[k]))
        for peer in ("2001:db8::12", "192.0.2.11", "::ffff:192.0.2.1"):
            body = g.bgp4mp(64500, peer, g.update(attrs=attrs), as4=as4)
            recs.append(g.record(1700000000 + k, 16, 4 if as4 else 1, body))
            recs.append(g.record(1700000000 + k, 17, 4 if as4 else 1, body, usec=k * 1000 + 7))
    path = tmp_path / "v6.mrt"
    path.write_bytes(b"".join(recs))
    text, stats, parser = _text(path)
    assert (text, stats) == _reference(path)
    assert text.count(b"\n") == len(NEXT_HOPS) * 6 * (len(V6_PREFIXES) + 1) and stats[1] == 0 and not stats[-1]
    assert parser._rt is None or parser._rt.decoded_updates > 0
    assert all(ipaddress.ip_network(p, strict=False) for p in V6_PREFIXES)


def test_ipv6_rib_records_in_c_match_the_python_writer(tmp_path):
    """TDv2 IPv6 (and ADD-PATH) RIB entries with the abbreviated MP_REACH next hop of every length."""
    peers = [("2001:db8::12", 64501, True), ("192.0.2.11", 64500, False)]
    recs = [g.record(1700000000, 13, 1, g.peer_index(peers))]
    for k, prefix in enumerate(V6_PREFIXES):
        entries = []
        for j, nh in enumerate(NEXT_HOPS):
            attrs = g.std_attrs([(g.SEQ, [64501, 100 + j]), (g.SET, [7, 8])], next_hop="192.0.2.1", med=j)
            entries.append((j % 2, attrs + g.attr(14, bytes([len(nh)]) + nh, 0x80)))
        sub = 10 if k % 3 == 0 else 4
        body = g.rib(k, prefix, entries, path_ids=list(range(len(entries))) if sub == 10 else None)
        recs.append(g.record(1700000000 + k, 13, sub, body))
    path = tmp_path / "rib6.mrt"
    path.write_bytes(b"".join(recs))
    text, stats, parser = _text(path)
    assert (text, stats) == _reference(path)
    assert text.count(b"\n") == len(V6_PREFIXES) * len(NEXT_HOPS) and stats[1] == 0
    assert parser._rt is None or parser._rt.decoded_here == len(NEXT_HOPS)



def test_rib_blocks_with_the_whole_mp_reach_stay_in_python(tmp_path):
    """RIB writers that keep the whole MP_REACH (NLRI included) make every block differ; the parser then
    matches blocks without that NLRI (its norm cache), which can accept a block whose MP_REACH is damaged:
    such blocks are left to the parser (C declines them), so the results stay the parser's."""
    peers = [("2001:db8::12", 64501, True)]
    recs = [g.record(1700000000, 13, 1, g.peer_index(peers))]
    base = g.std_attrs([(g.SEQ, [64501, 9])], next_hop=None)
    nh = g.ip("2001:db8::1") + g.ip("fe80::1")
    for k, prefix in enumerate(V6_PREFIXES):
        whole = struct.pack(">HBB", 2, 1, len(nh)) + nh + b"\x00" + g.pfx(prefix)
        forms = [
            g.attr(14, whole, 0x80),
            struct.pack(">BBH", 0x90, 14, len(whole)) + whole,  # extended length
            g.attr(14, struct.pack(">HBB", 2, 1, len(nh)) + nh + b"\x01\x03\xaa\xbb" + g.pfx(prefix), 0x80),  # SNPA
            g.attr(14, struct.pack(">HBB", 2, 1, 40) + nh, 0x80),  # next hop truncated: a problem
            g.attr(14, struct.pack(">HBB", 2, 1, 0) + b"\x00", 0x80),  # no next hop
        ]
        entries = [(0, base + f + g.attr(5, struct.pack(">I", k))) for f in forms]
        recs.append(g.record(1700000000 + k, 13, 4, g.rib(k, prefix, entries)))
    path = tmp_path / "rib6_whole_mp.mrt"
    path.write_bytes(b"".join(recs))
    text, stats, parser = _text(path)
    assert (text, stats) == _reference(path)
    assert text.count(b"\n") == 4 * len(V6_PREFIXES)
    assert parser._rt is None or parser._rt.decoded_here == 0
