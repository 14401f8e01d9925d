"""The ``fast`` MRT engine (C hot loop, pure-Python fallback): the very same RouteTable and MrtStats as the
``python`` engine, on every sample, every fixture, crafted edge cases and random damage."""

from __future__ import annotations

import functools
import gzip
import importlib.util
import os
import random
import struct
from pathlib import Path

import numpy as np
import pytest

from netvet.readers.mrt import fast as mrt_fast
from netvet.readers.mrt import parser as mrt
from netvet.readers.mrt import read_route_table, stream
from netvet.readers.mrt.engines import auto_engine, load_route_table
from netvet.readers.mrt.fast import HAVE_C, FastMrtParser, PyTableBuilder, read_route_table_fast
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "mrt"
_spec = importlib.util.spec_from_file_location("mrtgen", FIX / "mrtgen.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

SAMPLES = [
    "bird-mrtdump_bgp",
    "bird-mrtdump_rib",
    "bird6-mrtdump_bgp",
    "bird6-mrtdump_rib",
    "bview.ipv4_unicast_add_path.gz",
    "openbgpd_bgp",
    "openbgpd_rib_table-mp",
    "openbgpd_rib_table-v2",
    "quagga_bgp",
    "quagga_rib",
    "rib.20140523.0600_first9073records.mrt.gz",
    "rib6.20151101.0600_firstMB.bz2",
    "rrc15_2010.02_updates.20100227.1600.gz",
    "rrc15_2010.02_updates.20100227.1610.gz",
    "updates.20070211.0141.gz",
    "updates.20160811.1600.gz",
]
BIG_SAMPLES = {"rib.20140523.0600_first9073records.mrt.gz", "rib6.20151101.0600_firstMB.bz2"}
FIXTURES = sorted(p.name for p in FIX.iterdir() if p.suffix != ".py" and p.name != "garbage.bin")
BUILDERS = [pytest.param(None, id="c" if HAVE_C else "py-fallback"), pytest.param(PyTableBuilder, id="py")]


def run_python(path: Path):
    table, st = read_route_table(path)
    return table, st.to_dict()


def run_fast(path: Path, builder=None):
    parser = FastMrtParser(path, builder=builder)
    table = parser.table()
    return table, parser.mstats.to_dict(), parser.builder


@functools.cache
def python_sample(name: str):
    return run_python(shared_file(f"mrt/{name}"))


def assert_same(path: Path, builder=None, expected=None):
    want_table, want_stats = expected or run_python(path)
    table, stats, b = run_fast(path, builder)
    assert table.differences(want_table) == []
    assert table.equals(want_table)
    assert stats == want_stats  # counts, problems and warnings: same words, offsets and order
    for name, col in table.columns().items():
        assert col.dtype == getattr(want_table, name).dtype
    return table, stats, b


def test_the_c_extension_is_built_in_ci():
    if os.environ.get("CI") == "true":
        assert HAVE_C, "netvet.readers._mrtfast did not build: pip install -e . needs gcc and Python headers"


@pytest.mark.parametrize("name", SAMPLES)
def test_every_sample_gives_the_python_engines_table_and_stats(name):
    path = shared_file(f"mrt/{name}")
    table, stats, b = assert_same(path, expected=python_sample(name))
    assert len(table) == sum(v for k, v in stats["routes"].items() if k != "STATE")


@pytest.mark.parametrize("name", [n for n in SAMPLES if n not in BIG_SAMPLES])
def test_pure_python_builder_on_the_small_samples(name):
    assert_same(shared_file(f"mrt/{name}"), PyTableBuilder, python_sample(name))


@pytest.mark.skipif(not HAVE_C, reason="the C extension is not built")
def test_the_rib_sample_is_decoded_in_c():
    table, stats, b = assert_same(
        shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz"),
        expected=python_sample("rib.20140523.0600_first9073records.mrt.gz"),
    )
    assert len(table) == 270005 and table.n_paths == 77608 and len(table.peer_ips) == 35
    assert b.decoded_here == 87184 and b.handed_back == 0  # every distinct attribute block, none handed back
    assert b.batched_records >= 9068  # all 9,072 RIB records but those cut by the 4 MiB input buffer


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("name", FIXTURES)
def test_every_fixture_including_the_damaged_ones(name, builder):
    assert_same(FIX / name, builder)


def test_garbage_is_the_same_input_error():
    with pytest.raises(mrt.InputError, match="not an MRT file"):
        read_route_table_fast(FIX / "garbage.bin")
    with pytest.raises(mrt.InputError, match="file not found"):
        read_route_table_fast(FIX / "missing.mrt")


# ----------------------------------------------------------------------------- crafted edge cases
A, S = gen.attr, gen.as_path
GOOD = gen.std_attrs([(gen.SEQ, [64500, 3356, 64511])])
ORIGIN0 = A(gen.ORIGIN, b"\x00")
NH = A(gen.NEXT_HOP, gen.ip("192.0.2.1"))
# (description, attribute block, decoded in C?)
BLOCKS = [
    ("plain", GOOD, True),
    ("duplicate ORIGIN (a warning)", GOOD + ORIGIN0, False),
    ("empty AS_PATH inside the block", ORIGIN0 + A(gen.AS_PATH, b"") + NH, True),
    ("empty AS_PATH as the last attribute", ORIGIN0 + NH + A(gen.AS_PATH, b""), False),
    ("AS_PATH of one byte", ORIGIN0 + A(gen.AS_PATH, b"\x02") + NH, False),
    (
        "2-byte AS path in a 4-byte record (a warning)",
        gen.std_attrs([(gen.SEQ, [64500, 3356, 64511])], asn4=False),
        False,
    ),
    ("AS_PATH segment of type 0", ORIGIN0 + A(gen.AS_PATH, b"\x00\x01" + b"\x00\x00\xfb\xf4") + NH, False),
    (
        "confederations and sets",
        ORIGIN0
        + A(
            gen.AS_PATH,
            S(
                [
                    (gen.CONFED_SEQ, [65001, 65002]),
                    (gen.SEQ, [4200000001, 174]),
                    (gen.SET, [64520, 64521]),
                    (gen.CONFED_SET, [65003]),
                ]
            ),
        )
        + NH,
        True,
    ),
    ("an AS_SET of one at the end", ORIGIN0 + A(gen.AS_PATH, S([(gen.SEQ, [64500]), (gen.SET, [64999])])), True),
    ("empty segments", ORIGIN0 + A(gen.AS_PATH, S([(gen.SEQ, []), (gen.SET, []), (gen.SEQ, [64500])])), True),
    (
        "full MP_REACH",
        ORIGIN0
        + A(gen.AS_PATH, S([(gen.SEQ, [64502])]))
        + gen.mp_reach(2, 1, gen.ip("2001:db8::12"), gen.pfx("2001:db8:1000::/36")),
        False,
    ),
    (
        "abbreviated MP_REACH",
        ORIGIN0
        + A(gen.AS_PATH, S([(gen.SEQ, [64502, 6939])]))
        + A(gen.MP_REACH, bytes([16]) + gen.ip("2001:db8::12"), 0x80),
        True,
    ),
    ("abbreviated MP_REACH, next hop cut", GOOD + A(gen.MP_REACH, bytes([32]) + gen.ip("2001:db8::12"), 0x80), False),
    ("empty MP_REACH", GOOD + A(gen.MP_REACH, b"", 0x80), False),
    ("MP_UNREACH", GOOD + gen.mp_unreach(2, 1, gen.pfx("2001:db8:2000::/36")), False),
    ("ORIGIN of 2 bytes", A(gen.ORIGIN, b"\x00\x00") + A(gen.AS_PATH, S([(gen.SEQ, [1])])), False),
    ("NEXT_HOP of 3 bytes", GOOD[:-7] + A(gen.NEXT_HOP, b"\xc0\x00\x02"), False),
    ("MED of 5 bytes", GOOD + A(gen.MED, b"\x00" * 5, 0x80), False),
    ("LOCAL_PREF of 3 bytes", GOOD + A(gen.LOCAL_PREF, b"\x00" * 3), False),
    ("AGGREGATOR of 7 bytes", GOOD + A(gen.AGGREGATOR, b"\x00" * 7, 0xC0), False),
    ("COMMUNITIES of 6 bytes", GOOD + A(gen.COMMUNITIES, b"\x00" * 6, 0xC0), False),
    ("AS4_AGGREGATOR of 7 bytes", GOOD + A(gen.AS4_AGGREGATOR, b"\x00" * 7, 0xC0), False),
    ("LARGE_COMMUNITY of 11 bytes", GOOD + A(gen.LARGE, b"\x00" * 11, 0xC0), False),
    ("AS4_PATH with a bad segment", GOOD + A(gen.AS4_PATH, b"\x07\x01\x00\x00\x00\x01", 0xC0), False),
    (
        "every other attribute, well formed",
        GOOD
        + A(gen.MED, struct.pack(">I", 5), 0x80)
        + A(gen.LOCAL_PREF, struct.pack(">I", 100))
        + A(gen.ATOMIC, b"")
        + A(gen.AGGREGATOR, struct.pack(">I", 64511) + gen.ip("192.0.2.99"), 0xC0)
        + gen.communities((64500, 100), (65535, 65281))
        + A(gen.AS4_PATH, S([(gen.SEQ, [64500, 3356, 64511])]), 0xC0)
        + A(gen.AS4_AGGREGATOR, struct.pack(">I", 64511) + gen.ip("192.0.2.99"), 0xC0)
        + A(gen.LARGE, struct.pack(">III", 64500, 1, 2), 0xC0)
        + A(99, b"xyz", 0xC0)
        + A(100, b"q" * 300, 0xC0),  # extended length
        True,
    ),
    ("a 6-byte AGGREGATOR", GOOD + A(gen.AGGREGATOR, struct.pack(">H", 64511) + gen.ip("192.0.2.99"), 0xC0), True),
    ("no AS_PATH at all", ORIGIN0 + NH, True),
    ("empty block", b"", True),
    ("attribute header cut", GOOD + b"\x40\x01", False),
    ("extended attribute header cut", GOOD + b"\x50\x01\x00", False),
    ("attribute overruns the block", GOOD + b"\x40\x01\x05\x00", False),
    ("AS_PATH segment overruns", ORIGIN0 + A(gen.AS_PATH, b"\x02\x05\x00\x00\x00\x01"), False),
]


def crafted_records() -> list[bytes]:
    """A RIB of crafted entries (each block twice, by different peers), structural damage and other types."""
    T0, rec, rib = gen.T0, gen.record, gen.rib
    peers = [("192.0.2.11", 64500, False), ("192.0.2.12", 4200000001, True), ("2001:db8::12", 64502, True)]
    out = [rec(T0, 13, 2, rib(0, "192.0.2.0/24", [(0, GOOD)]))]  # a RIB record before any PEER_INDEX_TABLE
    out.append(rec(T0, 13, 1, gen.peer_index(peers)))
    for k, (_what, block, _c) in enumerate(BLOCKS):
        entries = [(0, block), (1, block), (2, GOOD), (7, GOOD)]  # peer 7 is not in the table
        out.append(rec(T0, 13, 2, rib(k + 1, f"10.{k}.0.0/16", entries)))
    good = [(0, GOOD), (1, BLOCKS[7][1])]
    # ADD-PATH, IPv6, multicast and RIB_GENERIC records
    out.append(rec(T0, 13, 8, rib(90, "203.0.113.0/24", good, path_ids=[1, 2])))
    out.append(rec(T0, 13, 4, rib(91, "2001:db8:1000::/36", good)))
    out.append(rec(T0, 13, 3, rib(92, "198.51.100.0/24", good)))
    out.append(rec(T0, 13, 5, rib(93, "2001:db8:2000::/36", good)))
    out.append(rec(T0, 13, 10, rib(94, "2001:db8:3000::/36", good, path_ids=[7, 8])))
    out.append(rec(T0, 13, 6, rib(95, "192.0.2.128/25", good, generic=(1, 1))))
    # structural damage inside RIB records (the record loop goes on)
    body = rib(96, "192.0.2.0/25", good)
    out.append(rec(T0, 13, 2, body[:-3]))  # the last entry's attributes are cut
    out.append(rec(T0, 13, 2, body + b"\x00\x00"))  # bytes after the entries
    cut = rib(97, "192.0.2.0/26", good)
    out.append(rec(T0, 13, 2, cut[:9] + b"\x00\x03" + cut[11:]))  # claims 3 entries, holds 2
    out.append(rec(T0, 13, 2, struct.pack(">IB", 98, 33) + b"\x00" * 6))  # prefix length 33
    out.append(rec(T0, 13, 2, b"\x00\x00"))  # too short for a prefix length
    out.append(rec(T0, 13, 2, struct.pack(">IB", 99, 24) + b"\xc0\x00"))  # prefix cut
    # the same path from an UPDATE and a TABLE_DUMP: one path index with the RIB's
    upd = gen.update(attrs=gen.std_attrs([(gen.SEQ, [64500, 3356, 64511])]), nlri=gen.pfx("198.51.100.0/25"))
    out.append(rec(T0 + 1, 16, 4, gen.bgp4mp(64500, "192.0.2.11", upd)))
    out.append(
        rec(
            T0 + 2,
            12,
            1,
            gen.table_dump_v1(
                "192.0.2.0/24", "192.0.2.11", 64500, gen.std_attrs([(gen.SEQ, [64500, 64533])], asn4=False)
            ),
        )
    )
    # a new PEER_INDEX_TABLE (other peers, other order): peer numbers are remapped
    out.append(rec(T0 + 3, 13, 1, gen.peer_index([peers[2], ("192.0.2.13", 64503, True), peers[0]])))
    for k in range(3):
        out.append(rec(T0 + 3, 13, 2, rib(100 + k, f"10.{100 + k}.0.0/16", [(1, GOOD), (0, GOOD), (2, BLOCKS[2][1])])))
    return out


@pytest.fixture(scope="module")
def crafted(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mrt_fast") / "crafted.mrt"
    path.write_bytes(b"".join(crafted_records()))
    return path


@pytest.mark.parametrize("builder", BUILDERS)
def test_crafted_blocks_and_damage(crafted, builder):
    table, stats, b = assert_same(crafted, builder)
    declined = [w for w, _b, in_c in BLOCKS if not in_c]
    # duplicate ORIGIN, 2-byte path, full MP_REACH, MP_UNREACH, empty AS_PATH as the last attribute (iBGP):
    # declined by C, decoded by Python without error
    warned_only = 5
    bad = len(declined) - warned_only
    # malformed records: no PEER_INDEX_TABLE yet, and 6 damaged records; errors inside records still read
    # (damaged): peer 7 once per block, each bad block twice (never cached)
    assert stats["malformed"] == 1 + 6 == 7
    assert stats["damaged"] == len(BLOCKS) + 2 * bad == 66
    # per block record: both entries of a usable block and the plain entry; 12 from the other RIB subtypes;
    # 1 + 2 + 2 kept before damage; the TABLE_DUMP route; 9 after the second PEER_INDEX_TABLE
    usable = len(BLOCKS) - bad
    assert stats["routes"] == {"B": 3 * usable + bad + 12 + 5 + 1 + 9, "A": 1} == {"B": 89, "A": 1}
    errors = [(i["offset"], i["reason"]) for i in stats["issues"] if i["severity"] == "error"]
    assert errors[:2] == [
        (0, "record 0 (TABLE_DUMP_V2/RIB_IPV4_UNICAST) at byte offset 0: RIB record before any PEER_INDEX_TABLE"),
        (133, "record at byte offset 133: entry 3 refers to peer 7, the peer index table has 3"),
    ]
    assert not [e for e in errors if "index out of range" in e[1] and e[0] == 608]  # empty last AS_PATH is valid
    assert [r for _o, r in errors[-6:]] == [
        "record 40 (TABLE_DUMP_V2/RIB_IPV4_UNICAST) at byte offset 6957: entry 1 of 2: attributes declare 50 "
        "bytes, 47 remain",
        "record 41 (TABLE_DUMP_V2/RIB_IPV4_UNICAST) at byte offset 7071: 2 bytes after the 2 RIB entries (the "
        "record length does not match its content)",
        "record 42 (TABLE_DUMP_V2/RIB_IPV4_UNICAST) at byte offset 7190: entry 2 of 3 truncated",
        "record 43 (TABLE_DUMP_V2/RIB_IPV4_UNICAST) at byte offset 7307: prefix length 33",
        "record 44 (TABLE_DUMP_V2/RIB_IPV4_UNICAST) at byte offset 7330: record too short (index out of range)",
        "record 45 (TABLE_DUMP_V2/RIB_IPV4_UNICAST) at byte offset 7344: prefix truncated",
    ]
    warnings = [i["reason"] for i in stats["issues"] if i["severity"] == "warning"]
    assert sum("duplicate path attribute 1 ignored" in w for w in warnings) == 1  # a cached block warns once
    assert sum("decoded with 2-byte AS numbers" in w for w in warnings) == 1
    # the update's path is the RIB's plain path: one path index for both
    assert table.path_index[table.kind == 1].tolist() == [table.path_index[1]]
    assert len(table.peer_ips) == 4 and table.peer_ips[-1] == "192.0.2.13"
    if isinstance(b, PyTableBuilder):
        assert b.decoded_here == 0
    else:
        # each distinct well-formed RIB block once, and the UPDATE's block (BGP blocks are cached apart)
        assert b.decoded_here == len(BLOCKS) - len(declined) + 1 == 11 and b.batched_messages == 1
        assert b.handed_back == warned_only + 2 * bad  # Python caches the blocks it warns about, not bad ones


def crafted_bgp4mp_records() -> list[bytes]:
    """BGP4MP messages the C decoder takes and ones it leaves to the Python parser."""
    T0, rec, upd, bgp4mp, pfx = gen.T0, gen.record, gen.update, gen.bgp4mp, gen.pfx
    p2 = [(gen.SEQ, [64500, 3356, 64511])]
    v6nh = gen.ip("2001:db8::12")
    plain4 = gen.std_attrs([(gen.SEQ, [4200000001, 174, 64511])])
    msgs = [
        # (subtype, peer AS, peer address, BGP message)
        (4, 4200000001, "192.0.2.12", upd(attrs=plain4, nlri=pfx("198.51.100.0/25") + pfx("198.51.100.128/25"))),
        (1, 64500, "192.0.2.11", upd(attrs=gen.std_attrs(p2, asn4=False), nlri=pfx("203.0.113.0/24"))),
        (1, 64500, "192.0.2.11", upd(withdrawn=pfx("203.0.113.0/24") + pfx("192.0.2.0/24"))),
        (1, 64500, "192.0.2.11", upd()),  # End-of-RIB: no routes
        # 2-byte session with AS4_PATH: the RFC 6793 merge (Python)
        (
            1,
            64500,
            "192.0.2.11",
            upd(
                attrs=gen.std_attrs([(gen.SEQ, [64500, 23456])], asn4=False)
                + A(gen.AS4_PATH, S([(gen.SEQ, [4200000002])]), 0xC0),
                nlri=pfx("10.1.0.0/16"),
            ),
        ),
        # IPv6 reach and unreach, multicast, attributes without announcements
        (
            4,
            64502,
            "2001:db8::12",
            upd(
                attrs=ORIGIN0
                + A(gen.AS_PATH, S([(gen.SEQ, [64502, 6939])]))
                + gen.mp_reach(2, 1, v6nh, pfx("2001:db8:1000::/36") + pfx("2001:db8::/32"))
            ),
        ),
        (4, 64502, "2001:db8::12", upd(attrs=gen.mp_unreach(2, 2, pfx("2001:db8:3000::/36")))),
        (4, 64502, "2001:db8::12", upd(attrs=GOOD, withdrawn=pfx("192.0.2.0/25"))),  # attributes, no announcement
        # a non-IP family (counted, skipped: Python), a duplicate attribute (a warning: Python, cached)
        (4, 64502, "2001:db8::12", upd(attrs=GOOD + gen.mp_reach(1, 128, b"\x00" * 12, b"\x58" + b"\x00" * 11))),
        (4, 64502, "2001:db8::12", upd(attrs=GOOD + ORIGIN0, nlri=pfx("192.0.2.64/26"))),
        (4, 64502, "2001:db8::12", upd(attrs=GOOD + ORIGIN0, nlri=pfx("192.0.2.64/26"))),
        # ADD-PATH, LOCAL; a KEEPALIVE and an OPEN; bad NLRI; announcements without attributes
        (9, 64502, "2001:db8::12", upd(attrs=GOOD, nlri=pfx("192.0.2.16/28", 8) + pfx("192.0.2.16/28", 9))),
        (7, 64500, "192.0.2.11", upd(attrs=GOOD, nlri=pfx("192.0.2.192/26"))),
        (4, 64500, "192.0.2.11", gen.bgp_message(4, b"")),
        (4, 64500, "192.0.2.11", gen.bgp_message(1, b"\x04" + b"\x00" * 9)),
        (4, 64500, "192.0.2.11", upd(attrs=GOOD, nlri=b"\x21\x0a\x00\x00\x00\x00")),  # /33
        (4, 64500, "192.0.2.11", upd(nlri=pfx("10.9.0.0/16"))),
    ]
    out = [rec(T0 + k, 16, sub, bgp4mp(asn, peer, msg, as4=sub in (4, 7, 9, 11))) for k, (sub, asn, peer, msg)
           in enumerate(msgs)]  # fmt: skip
    out.append(rec(T0, 17, 4, bgp4mp(4200000001, "192.0.2.12", msgs[0][3]), usec=123456))  # BGP4MP_ET
    out.append(rec(T0, 16, 4, bgp4mp(4200000001, "192.0.2.12", msgs[0][3]) + b"\x00\x00"))  # bytes after the message
    out.append(rec(T0, 16, 4, bgp4mp(4200000001, "192.0.2.12", msgs[0][3])[:-2]))  # the message is cut
    out.append(rec(T0, 16, 0, gen.state_change(64500, "192.0.2.11", 1, 2, as4=False)))
    out.append(rec(T0, 17, 4, bgp4mp(64500, "192.0.2.11", msgs[1][3]), usec=2_000_000))  # usec out of range
    return out


@pytest.mark.parametrize("builder", BUILDERS)
def test_crafted_bgp4mp_messages(tmp_path, builder):
    path = tmp_path / "bgp4mp.mrt"
    path.write_bytes(b"".join(crafted_bgp4mp_records()))
    table, stats, b = assert_same(path, builder)
    assert stats["routes"] == {"A": 15, "W": 4, "STATE": 1}
    assert stats["bgp_messages"] == {"KEEPALIVE": 1, "OPEN": 1, "UPDATE": 17}
    assert stats["skipped_by_reason"] == {
        "announcements of IPv4 MPLS VPN (AFI 1, SAFI 128): not IP unicast/multicast routes": 1
    }
    assert [r for r in (i["reason"] for i in stats["issues"]) if "duplicate" in r] == [
        "record at byte offset 836: duplicate path attribute 1 ignored"  # once: the block is cached
    ]
    assert table.path(int(table.path_index[5])) == (64500, 4200000002)  # AS4_PATH merged
    assert [e["reason"] for e in stats["issues"] if e["severity"] == "error"][:2] == [
        "record 15 (BGP4MP/MESSAGE_AS4) at byte offset 1393: NLRI prefix length 33 exceeds 32",
        "record 16 (BGP4MP/MESSAGE_AS4) at byte offset 1482: UPDATE announces prefixes without path attributes",
    ]
    if not isinstance(b, PyTableBuilder):
        # messages 1-3, 5-7, 11-14 and the ET one; the first record is read before the input buffer fills
        assert b.batched_messages == 11


@pytest.mark.parametrize("builder", BUILDERS)
def test_crafted_file_read_in_tiny_buffers(crafted, builder, monkeypatch):
    """Records cut by the input buffer go through the Python record loop; the rest through the C batch."""
    want = run_python(crafted)
    monkeypatch.setattr(stream.InputBuffer, "CHUNK", 97)
    assert_same(crafted, builder, want)
    assert_same(FIX / "big.mrt.gz", builder)


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_block_cache_rule_is_the_parsers(tmp_path, builder, monkeypatch):
    """With a cache of 4 blocks, a warned block is warned again after each emptying, in both engines."""
    monkeypatch.setattr(mrt.MrtParser, "attr_cache_max", 4)
    warned = BLOCKS[1][1]  # duplicate ORIGIN
    entries = []
    for k in range(40):
        entries.append((0, gen.std_attrs([(gen.SEQ, [64500, 1000 + k])])))
        if k % 3 == 0:
            entries.append((1, warned))
    recs = [gen.record(gen.T0, 13, 1, gen.peer_index([("192.0.2.11", 64500, False), ("192.0.2.12", 64501, True)]))]
    recs += [gen.record(gen.T0, 13, 2, gen.rib(k, f"10.{k}.0.0/16", entries)) for k in range(3)]
    path = tmp_path / "cache.mrt"
    path.write_bytes(b"".join(recs))
    table, stats, b = assert_same(path, builder)
    dup = [i for i in stats["issues"] if "duplicate path attribute" in i["reason"]]
    assert len(dup) == 20 and len(table) == 3 * len(entries) == 162  # 20 described (the cap) ...
    assert "10 more like: duplicate attribute" in [i["reason"] for i in stats["issues"]]  # ... of 30, not 1
    if not isinstance(b, PyTableBuilder):
        assert b.handed_back == 30 and b.decoded_here == 120  # 40 good blocks, forgotten and decoded anew


def test_random_damage_gives_the_same_table_and_problems(crafted, tmp_path):
    rnd = random.Random(6396)
    sources = [
        crafted.read_bytes(),
        (FIX / "sample.mrt").read_bytes(),
        gzip.decompress((FIX / "big.mrt.gz").read_bytes()),
    ]
    path = tmp_path / "damaged.mrt"
    compared = 0
    for n in range(150):
        data = bytearray(sources[n % 3] if n % 10 else sources[2])
        for _ in range(rnd.randint(1, 6)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        cut = rnd.choice([len(data), len(data), rnd.randrange(len(data))])
        path.write_bytes(bytes(data[:cut]))
        try:
            want = run_python(path)
        except mrt.InputError as exc:
            with pytest.raises(mrt.InputError, match=str(exc.issue.reason)):
                read_route_table_fast(path)
            continue
        assert_same(path, None, want)
        compared += 1
    assert compared >= 140


# ----------------------------------------------------------------------------- engine selection
def test_load_route_table_fast_and_auto():
    path = FIX / "sample.mrt"
    py = load_route_table(path, engine="python")
    assert load_route_table(path, engine="fast").equals(py)
    if HAVE_C:
        assert auto_engine() == "fast" and load_route_table(path).equals(py)


def test_without_the_extension_fast_is_pure_python_and_auto_skips_it(monkeypatch):
    monkeypatch.setattr(mrt_fast, "CTableBuilder", None)
    monkeypatch.setattr(mrt_fast, "HAVE_C", False)
    monkeypatch.setattr("netvet.readers.mrt.bgpdump.bgpdump_path", lambda: None)
    assert auto_engine() == "python"
    parser = FastMrtParser(FIX / "big.mrt.gz")
    table = parser.table()
    assert isinstance(parser.builder, PyTableBuilder) and len(table) == 12038
    assert table.equals(read_route_table(FIX / "big.mrt.gz")[0])
    monkeypatch.setattr("netvet.readers.mrt.bgpdump.bgpdump_path", lambda: "/usr/bin/bgpdump")
    monkeypatch.setattr("netvet.readers.mrt.bgpdump.have_polars", lambda: True)
    assert auto_engine() == "bgpdump"


def test_route_records_are_unchanged_by_the_fast_parser():
    """routes() (per-route objects) of the fast parser is the Python walk: same records as MrtParser."""
    fast = [r.to_dict() for r in FastMrtParser(FIX / "sample.mrt").routes()]
    slow = [r.to_dict() for r in mrt.MrtParser(FIX / "sample.mrt").routes()]
    assert fast == slow and len(fast) == 27


@pytest.mark.parametrize("builder", BUILDERS)
@pytest.mark.parametrize("name", ["rib.20140523.0600_first9073records.mrt.gz", "updates.20160811.1600.gz",
                                  "openbgpd_bgp"])
def test_row_chunks_are_the_table_in_pieces(name, builder):
    """row_chunks hands the rows of table() over in pieces (bounded by chunk_rows, plus at most one input
    buffer), with the same path and peer indexes; the shell holds the same paths and peers."""
    path = shared_file(f"mrt/{name}")
    want, want_stats, _ = run_fast(path, builder)
    parser = FastMrtParser(path, builder=builder)
    chunks = list(parser.row_chunks(chunk_rows=5000))
    assert sum(len(c["kind"]) for c in chunks) == len(want)
    if len(want) > 10_000:
        assert len(chunks) > 2
    for col in want.columns():
        assert np.array_equal(np.concatenate([c[col] for c in chunks]), getattr(want, col)), col
    shell = parser.shell
    assert len(shell) == 0
    assert shell.peer_ips == want.peer_ips
    for col in ("peer_asns", "path_offsets", "path_asns", "path_marks"):
        assert np.array_equal(getattr(shell, col), getattr(want, col)), col
    assert parser.mstats.to_dict() == want_stats


@pytest.mark.parametrize("read_ahead", [True, False])
@pytest.mark.parametrize("name", FIXTURES)
def test_row_chunks_of_damaged_fixtures_read_ahead_or_not(name, read_ahead):
    """Decompressing on a second thread (ReadAhead) reads the same bytes and meets damage at the same place."""
    want, want_stats, _ = run_fast(FIX / name)
    parser = FastMrtParser(FIX / name)
    chunks = list(parser.row_chunks(chunk_rows=7, read_ahead=read_ahead))
    assert sum(len(c["kind"]) for c in chunks) == len(want)
    if chunks:
        assert np.array_equal(np.concatenate([c["offset"] for c in chunks]), want.offset)
    assert parser.mstats.to_dict() == want_stats
