"""PrefixIndex: exact longest-prefix match (fixtures, brute force, pyasn), batch inputs of every kind."""

from __future__ import annotations

import ipaddress
import random
import socket
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_file  # module-scoped fixtures below cannot use the function-scoped `shared`
from netvet.attribution.prefix_index import NO_PREFIX, UNROUTED, LookupResult, PrefixIndex, PrefixMatch
from netvet.readers.ipasn import read_ipasn, read_pfx2as
from netvet.util.ipvec import parse_ip_strings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ipasn"
CN_CARRIERS = {9808: 999, 4134: 850, 4837: 677, 9929: 297, 4809: 98, 58453: 12}

# address -> (matched prefix, origins) in tests/fixtures/ipasn/nested.dat
NESTED = {
    "10.1.2.200": ("10.1.2.200/32", (64503,)),
    "10.1.2.201": ("10.1.2.201/32", (64504,)),
    "10.1.2.202": ("10.1.2.192/26", (64501, 64502)),
    "10.1.2.199": ("10.1.2.192/26", (64501, 64502)),
    "10.1.2.130": ("10.1.2.128/25", (64500,)),
    "10.1.2.5": ("10.1.2.0/24", (64499,)),
    "10.1.3.1": ("10.1.0.0/16", (64498,)),
    "10.2.0.1": ("10.0.0.0/8", (64497,)),  # the malformed 10.2.0.0/16 line is not in the index
    "10.255.255.255": ("10.255.255.255/32", (64505,)),
    "10.255.255.254": ("10.0.0.0/8", (64497,)),
    "11.0.0.1": ("0.0.0.0/0", (64496,)),
    "0.0.0.0": ("0.0.0.0/0", (64496,)),
    "192.0.2.1": ("192.0.2.0/24", (64506, 64507)),  # listed twice: union, first seen is primary
    "198.51.100.1": ("198.51.100.0/24", (64509,)),  # written with host bits: 198.51.100.7/24
    "198.51.101.1": ("198.51.100.0/23", (64508,)),
    "203.0.113.9": ("203.0.113.0/24", (64510, 64511)),
    "255.255.255.255": ("255.255.255.255/32", (64512,)),
    "2001:db8:1:2::1": ("2001:db8:1:2::1/128", (64518,)),
    "2001:db8:1:2::2": ("2001:db8:1:2::/96", (64517,)),
    "2001:db8:1:2:0:1::": ("2001:db8:1:2::/64", (64516,)),
    "2001:db8:1:2:8000::1": ("2001:db8:1:2:8000::/65", (64519, 64520)),
    "2001:db8:1:2:ffff:ffff:ffff:ffff": ("2001:db8:1:2:8000::/65", (64519, 64520)),
    "2001:db8:1:3::1": ("2001:db8:1:3::/64", (64521,)),
    "2001:db8:1:4::1": ("2001:db8:1::/48", (64515,)),
    "2001:db8:2::1": ("2001:db8::/32", (64514,)),
    "2001:db9::": ("::/0", (64513,)),
    "::": ("::/0", (64513,)),
    "::ffff:10.1.2.200": ("::/0", (64513,)),  # an IPv4-mapped address is looked up as IPv6
}


@pytest.fixture(scope="module")
def nested() -> PrefixIndex:
    return PrefixIndex.from_file(FIXTURES / "nested.dat")


@pytest.fixture(scope="module")
def real_v4() -> PrefixIndex:
    return PrefixIndex.from_file(shared_file("ipasn/ipasn_20140513.dat.gz"))


@pytest.fixture(scope="module")
def real_v6() -> PrefixIndex:
    return PrefixIndex.from_file(shared_file("ipasn/ipasn6_20151101.dat.gz"))


# ---------------------------------------------------------------------------- fixtures
def test_nested_fixture_facts(nested):
    assert (nested.v4_prefixes, nested.v6_prefixes, len(nested)) == (14, 8, 22)
    assert nested.sources == [str(FIXTURES / "nested.dat")]
    assert nested.stats[0].malformed == 9
    assert UNROUTED == 0 and NO_PREFIX == -1


@pytest.mark.parametrize("address", sorted(NESTED))
def test_lookup_one_nested(nested, address):
    prefix, origins = NESTED[address]
    assert nested.lookup_one(address) == PrefixMatch(
        str(ipaddress.ip_address(address)), prefix, origins[0], origins
    )


def test_batch_string_lookup_matches_lookup_one(nested):
    addresses = sorted(NESTED) + ["not-an-ip", "", "10.1.2.300", "2001:db8::1%eth0"]
    r = nested.lookup(addresses)
    assert isinstance(r, LookupResult) and len(r) == len(addresses)
    assert r.asn.dtype == np.uint32 and r.set_id.dtype == np.uint32 and r.prefix_len.dtype == np.int16
    got = [
        (int(a), nested.origin_sets[int(s)], int(p))
        for a, s, p in zip(r.asn, r.set_id, r.prefix_len, strict=True)
    ]
    expected = [(NESTED[a][1][0], NESTED[a][1], int(NESTED[a][0].split("/")[1])) for a in sorted(NESTED)]
    assert got == expected + [(UNROUTED, (), NO_PREFIX)] * 4
    assert r.version.tolist() == [ipaddress.ip_address(a).version for a in sorted(NESTED)] + [0, 0, 0, 0]
    assert r.valid.tolist() == [True] * len(NESTED) + [False] * 4


def test_lookup_v4_and_v6_numeric_forms(nested):
    v4 = [a for a in sorted(NESTED) if ":" not in a]
    ints = np.array([int(ipaddress.IPv4Address(a)) for a in v4], dtype=np.uint32)
    r = nested.lookup_v4(ints)
    assert [nested.origin_sets[s] for s in r.set_id.tolist()] == [NESTED[a][1] for a in v4]
    assert r.version.tolist() == [4] * len(v4)
    assert nested.lookup_v4(ints.astype(np.int64)).asn.tolist() == r.asn.tolist()
    assert nested.lookup(ints).asn.tolist() == r.asn.tolist()  # integers given to lookup() are IPv4

    v6 = [a for a in sorted(NESTED) if ":" in a]
    values = [int(ipaddress.IPv6Address(a)) for a in v6]
    hi = np.array([v >> 64 for v in values], dtype=np.uint64)
    lo = np.array([v & (2**64 - 1) for v in values], dtype=np.uint64)
    expected = [NESTED[a][1][0] for a in v6]
    packed = np.array([ipaddress.IPv6Address(a).packed for a in v6], dtype="S16")
    assert nested.lookup_v6(hi, lo).asn.tolist() == expected
    assert nested.lookup_v6(np.stack([hi, lo], axis=1)).asn.tolist() == expected
    assert nested.lookup_v6(packed).asn.tolist() == expected
    assert nested.lookup_v6(packed.view(np.uint8).reshape(-1, 16)).asn.tolist() == expected
    assert nested.lookup_v6(hi, lo).prefix_len.tolist() == [int(NESTED[a][0].split("/")[1]) for a in v6]


def test_bad_numeric_input(nested):
    with pytest.raises(ValueError, match="0..4294967295"):
        nested.lookup_v4(np.array([-1, 5]))
    with pytest.raises(ValueError, match="0..4294967295"):
        nested.lookup_v4(np.array([2**32]))
    with pytest.raises(TypeError, match="must be integers"):
        nested.lookup_v4(np.array([1.5]))
    with pytest.raises(TypeError, match="IPv6 addresses must be"):
        nested.lookup_v6(np.zeros((3, 3), np.uint64))
    with pytest.raises(ValueError, match="differ in length"):
        nested.lookup_v6(np.zeros(2, np.uint64), np.zeros(3, np.uint64))
    with pytest.raises(ValueError):
        nested.lookup_one("10.1.2.300")


def test_empty_batches(nested):
    assert len(nested.lookup_v4(np.zeros(0, np.uint32))) == 0
    assert len(nested.lookup_v6(np.zeros(0, np.uint64), np.zeros(0, np.uint64))) == 0
    assert len(nested.lookup([])) == 0


def test_unrouted_and_expand_origins():
    index = PrefixIndex.from_pairs(
        [
            ("192.0.2.0/24", 64500),
            ("192.0.2.0/25", [64501, 64502]),
            ((4, int(ipaddress.IPv4Address("198.51.100.0")), 24), "AS64503"),
            ("2001:db8::/32", (64504,)),
        ]
    )
    r = index.lookup(
        ["192.0.2.1", "192.0.2.200", "198.51.100.9", "203.0.113.1", "2001:db8::1", "2001:db9::1"]
    )
    assert r.asn.tolist() == [64501, 64500, 64503, UNROUTED, 64504, UNROUTED]
    assert r.prefix_len.tolist() == [25, 24, 24, NO_PREFIX, 32, NO_PREFIX]
    assert r.routed.tolist() == [True, True, True, False, True, False]
    assert index.origin_sets[0] == ()
    position, asns = index.expand_origins(r.set_id)
    assert list(zip(position.tolist(), asns.tolist(), strict=True)) == [
        (0, 64501),
        (0, 64502),
        (1, 64500),
        (2, 64503),
        (4, 64504),
    ]
    assert index.lookup_one("203.0.113.1") == PrefixMatch("203.0.113.1", None, UNROUTED, ())
    assert not index.lookup_one("203.0.113.1").routed


def test_from_pairs_problems_and_duplicates():
    index = PrefixIndex.from_pairs(
        [
            ("10.0.0.0/8", 64500),
            ("10.0.0.0/8", [64501, 64500]),
            ("10.0.0.0/33", 64502),
            ("10.0.0.0/8", 0),
            ("10.0.0.0/8", []),
            ((5, 0, 8), 64503),
            ((6, 2**128, 8), 64504),
            ("10.1.0.0", 64505),
            "garbage",
            ("10.2.3.4/16", 64506),
        ],
        source="rib",
    )
    assert index.prefixes_of(64500) == ["10.0.0.0/8"]
    assert index.lookup_one("10.0.0.1").origins == (64500, 64501)
    assert index.lookup_one("10.2.0.1").origins == (64506,)
    stats = index.stats[0]
    assert (stats.file, stats.format, stats.read, stats.malformed) == ("rib", "pairs", 10, 7)
    assert [(i.line, i.severity, i.reason) for i in stats.issues] == [
        (3, "error", "prefix length 33 out of range for IPv4"),
        (4, "error", "AS0 is not a valid origin (RFC 7607)"),
        (5, "error", "no origin AS"),
        (6, "error", "address family must be 4 or 6, got 5"),
        (7, "error", f"network {2**128} out of range for IPv6"),
        (8, "error", "bad prefix '10.1.0.0' (no '/length')"),
        (9, "error", "not a (prefix, origins) pair: too many values to unpack (expected 2)"),
        (10, "warning", "prefix 10.2.3.4/16 has host bits set; read as the network with them cleared"),
    ]


def test_from_arrays_route_origins():
    index = PrefixIndex.from_arrays(
        v4=(
            np.array([0x0A000000, 0x0A000000, 0x0A010000, 0x0B000000, 0x0A000000], np.uint32),
            np.array([8, 8, 16, 40, 8]),
            np.array([64500, 64501, 64502, 64503, 64500]),
        ),
        v6=(
            np.array([0x20010DB800000000, 0x20010DB800000000], np.uint64),
            np.zeros(2, np.uint64),
            np.array([32, 32]),
            np.array([0, 64504]),
        ),
        source="rib-columns",
    )
    assert (index.v4_prefixes, index.v6_prefixes) == (2, 1)
    assert index.lookup_one("10.2.0.1") == PrefixMatch("10.2.0.1", "10.0.0.0/8", 64500, (64500, 64501))
    assert index.lookup_one("10.1.0.1").origins == (64502,)
    assert index.lookup_one("2001:db8::1").origins == (64504,)
    assert index.lookup_one("11.0.0.1").asn == UNROUTED
    hi, lo, length, set_id = index.prefix_arrays(4)
    assert (lo.tolist(), length.tolist()) == ([0x0A000000, 0x0A010000], [8, 16])
    assert [index.origin_sets[s] for s in set_id.tolist()] == [(64500, 64501), (64502,)]
    stats = index.stats[0]
    assert (stats.read, stats.malformed) == (7, 2)
    assert [(i.line, i.reason) for i in stats.issues] == [
        (4, "IPv4 row 4: prefix length 40 out of range"),
        (1, "IPv6 row 1: origin AS0 is not a valid origin"),
    ]


def test_from_tables_merges_sources():
    index = PrefixIndex.from_tables(
        [read_ipasn(FIXTURES / "nested.dat"), read_pfx2as(FIXTURES / "routeviews.pfx2as")]
    )
    assert (index.v4_prefixes, index.v6_prefixes) == (14 + 8, 8 + 2)
    assert index.lookup_one("1.0.5.9").origins == (4134, 4837)
    assert index.lookup_one("1.0.6.1").origins == (64500, 64501, 64502)
    assert index.lookup_one("1.0.6.200").origins == (64503,)
    assert index.lookup_one("1.0.7.1") == PrefixMatch("1.0.7.1", "1.0.4.0/22", 38803, (38803,))
    assert index.lookup_one("1.0.13.1").prefix == "0.0.0.0/0"
    assert index.lookup_one("2001:200:900::1").origins == (7660, 2500)
    assert len(index.stats) == 2 and index.stats[1].format == "pfx2as"


# ---------------------------------------------------------------------------- brute force
def _naive(prefixes, version, value):
    best = None
    bits = 32 if version == 4 else 128
    for (v, net, length), origins in prefixes.items():
        covers = v == version and value >> (bits - length) == net >> (bits - length)
        if covers and (best is None or length > best[0]):
            best = (length, origins)
    return best


def test_random_nested_prefixes_match_brute_force():
    rng = random.Random(20240513)
    prefixes: dict[tuple[int, int, int], tuple[int, ...]] = {}
    # clustered IPv4 and IPv6 prefixes so that nesting is deep, with many > /24 and > /64
    v4_bases = [rng.getrandbits(32) for _ in range(6)]
    v6_bases = [rng.getrandbits(128) for _ in range(6)]
    for _ in range(600):
        base = rng.choice(v4_bases) ^ rng.getrandbits(rng.choice([4, 8, 12, 20]))
        length = rng.choice([0, 1, 8, 12, 16, 20, 22, 23, 24, 24, 25, 26, 27, 28, 29, 30, 31, 32])
        net = base & ~((1 << (32 - length)) - 1) & 0xFFFFFFFF
        prefixes[(4, net, length)] = tuple(rng.sample(range(64500, 64520), rng.choice([1, 1, 2])))
        base = rng.choice(v6_bases) ^ rng.getrandbits(rng.choice([8, 40, 64, 70, 90]))
        length = rng.choice([0, 3, 16, 32, 48, 56, 63, 64, 64, 65, 66, 80, 96, 112, 120, 127, 128])
        net = base & ~((1 << (128 - length)) - 1) & (2**128 - 1)
        prefixes[(6, net, length)] = (rng.randrange(1, 2**32),)
    index = PrefixIndex.from_pairs(((p, o) for p, o in prefixes.items()))
    assert index.v4_prefixes + index.v6_prefixes == len(prefixes)
    for version, bases, bits in ((4, v4_bases, 32), (6, v6_bases, 128)):
        probes = (
            [
                (rng.choice(bases) ^ rng.getrandbits(rng.choice([2, 8, 16, 24, 40, 70, 100]))) & (2**bits - 1)
                for _ in range(1500)
            ]
            + [rng.getrandbits(bits) for _ in range(200)]
            + [0, 2**bits - 1]
        )
        if version == 4:
            r = index.lookup_v4(np.array(probes, dtype=np.uint32))
        else:
            r = index.lookup_v6(
                np.array([p >> 64 for p in probes], np.uint64),
                np.array([p & (2**64 - 1) for p in probes], np.uint64),
            )
        got = [
            (int(ln), index.origin_sets[int(s)]) if ln >= 0 else None
            for ln, s in zip(r.prefix_len, r.set_id, strict=True)
        ]
        assert got == [_naive(prefixes, version, p) for p in probes]


# ---------------------------------------------------------------------------- real data
def test_real_v4_counts_and_known_addresses(real_v4):
    assert (real_v4.v4_prefixes, real_v4.v6_prefixes) == (512621, 0)
    assert {asn: len(real_v4.prefixes_of(asn)) for asn in CN_CARRIERS} == CN_CARRIERS
    assert real_v4.lookup_one("8.8.8.8") == PrefixMatch("8.8.8.8", "8.8.8.0/24", 15169, (15169,))
    assert real_v4.lookup_one("202.97.1.1") == PrefixMatch("202.97.1.1", "202.97.0.0/19", 4134, (4134,))
    assert real_v4.lookup_one("10.0.0.1").asn == UNROUTED


def test_real_v6_counts(real_v6):
    assert (real_v6.v4_prefixes, real_v6.v6_prefixes) == (606138, 27693)
    assert real_v6.lookup_one("2400:da00::1") == PrefixMatch(
        "2400:da00::1", "2400:da00::/32", 45076, (45076,)
    )


def _pyasn_answers(db, strings):
    out = []
    for s in strings:
        asn, prefix = db.lookup(s)
        out.append((asn or UNROUTED, int(prefix.split("/")[1]) if prefix else NO_PREFIX))
    return out


def test_agrees_with_pyasn_on_100k_random_ipv4(real_v4, shared):
    pyasn = pytest.importorskip("pyasn")
    db = pyasn.pyasn(str(shared("ipasn/ipasn_20140513.dat.gz")))
    rng = np.random.default_rng(1)
    addrs = rng.integers(0, 2**32, 100_000, dtype=np.uint64).astype(np.uint32)
    r = real_v4.lookup_v4(addrs)
    strings = [socket.inet_ntoa(int(a).to_bytes(4, "big")) for a in addrs.tolist()]
    expected = _pyasn_answers(db, strings)
    assert list(zip(r.asn.tolist(), r.prefix_len.tolist(), strict=True)) == expected
    assert 0.55 < float(r.routed.mean()) < 0.70  # both routed and unrouted answers were compared
    assert int((r.prefix_len > 24).sum()) > 0
    # the string path gives the same answers
    assert real_v4.lookup(np.array(strings)).asn.tolist() == r.asn.tolist()


def test_agrees_with_pyasn_on_100k_random_ipv6(real_v6, shared):
    pyasn = pytest.importorskip("pyasn")
    db = pyasn.pyasn(str(shared("ipasn/ipasn6_20151101.dat.gz")))
    rng = np.random.default_rng(2)
    n = 100_000
    p_hi, p_lo, p_len, _ = real_v6.prefix_arrays(6)
    pick = rng.integers(0, len(p_hi), n)
    length = p_len[pick].astype(np.int64)
    rand_hi = rng.integers(0, 2**64, n, dtype=np.uint64)
    rand_lo = rng.integers(0, 2**64, n, dtype=np.uint64)
    host_hi = np.where(
        length >= 64, np.uint64(0), np.uint64(2**64 - 1) >> np.minimum(length, 63).astype(np.uint64)
    )
    host_lo = np.where(
        length <= 64,
        np.uint64(2**64 - 1),
        np.where(
            length == 128, np.uint64(0), np.uint64(2**64 - 1) >> np.clip(length - 64, 0, 63).astype(np.uint64)
        ),
    )
    hi = p_hi[pick] | (rand_hi & host_hi)
    lo = p_lo[pick] | (rand_lo & host_lo)
    q = n // 4
    hi[:q] = (rand_hi[:q] >> np.uint64(3)) | np.uint64(0x2000 << 48)  # anywhere in 2000::/3
    hi[q : 2 * q] = rand_hi[q : 2 * q]  # anywhere at all
    r = real_v6.lookup_v6(hi, lo)
    strings = [
        str(ipaddress.IPv6Address((h << 64) | low)) for h, low in zip(hi.tolist(), lo.tolist(), strict=True)
    ]
    expected = _pyasn_answers(db, strings)
    assert list(zip(r.asn.tolist(), r.prefix_len.tolist(), strict=True)) == expected
    assert int((r.prefix_len > 64).sum()) > 500 and int((~r.routed).sum()) > 10_000
    assert real_v6.lookup(strings).asn.tolist() == r.asn.tolist()


# ---------------------------------------------------------------------------- columns and strings
def test_arrow_and_polars_columns(nested):
    pa = pytest.importorskip("pyarrow")
    pl = pytest.importorskip("polars")
    addresses = sorted(NESTED)
    expected = [NESTED[a][1][0] for a in addresses]
    assert nested.lookup(pa.array(addresses)).asn.tolist() == expected
    assert nested.lookup(pa.chunked_array([addresses[:5], addresses[5:]])).asn.tolist() == expected
    assert nested.lookup(pl.Series(addresses)).asn.tolist() == expected
    with_null = nested.lookup(pa.array([addresses[0], None]))
    assert with_null.version.tolist() == [ipaddress.ip_address(addresses[0]).version, 0]
    v4 = [a for a in addresses if ":" not in a]
    ints = [int(ipaddress.IPv4Address(a)) for a in v4]
    expected4 = [NESTED[a][1][0] for a in v4]
    assert nested.lookup_v4(pa.array(ints, pa.uint32())).asn.tolist() == expected4
    assert nested.lookup(pl.Series(ints, dtype=pl.UInt32)).asn.tolist() == expected4
    v6 = [a for a in addresses if ":" in a]
    packed = pa.array([ipaddress.IPv6Address(a).packed for a in v6], pa.binary(16))
    assert nested.lookup_v6(packed).asn.tolist() == [NESTED[a][1][0] for a in v6]
    assert nested.lookup(packed).asn.tolist() == [NESTED[a][1][0] for a in v6]


EDGE_STRINGS = [
    "1.2.3.4",
    "0.0.0.0",
    "255.255.255.255",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1..2.3",
    "",
    " 1.2.3.4",
    "1.2.3.4 ",
    "::",
    "::1",
    "1::",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8::",
    "1:::2",
    ":1::2",
    "1::2:",
    "::ffff:1.2.3.4",
    "::ffff:01.2.3.4",
    "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::1.2.3.4",
    "1.2.3.4::",
    "12345::",
    "ABCD::EF",
    "g::1",
    "1:2:3:4:5:6:7",
    "1::2::3",
    "::ffff:1.2.3",
    "2001:db8::1.2.3.4:5",
    "2001:0db8:0000:0000:0000:0000:0000:0001",
    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
    "1:2:3:4:5:6:7:8:9",
    ":",
    "1:",
    "1.2.3.4/24",
    "ÿ.1.1.1",
]


def _reference(text: str) -> tuple[int, int, int]:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return (0, 0, 0)
    value = int(ip)
    return (ip.version, value >> 64, value & (2**64 - 1))


def test_vectorised_string_parser_matches_ipaddress():
    rng = random.Random(7)
    strings = list(EDGE_STRINGS)
    for _ in range(3000):
        strings.append(str(ipaddress.IPv4Address(rng.getrandbits(32))))
        six = ipaddress.IPv6Address(rng.getrandbits(128) & ~((1 << rng.randrange(0, 129)) - 1))
        strings.append(rng.choice([str(six), six.exploded, str(six).upper()]))
        broken = list(rng.choice([str(six), strings[-2]]))
        broken[rng.randrange(len(broken))] = rng.choice("0123456789abcdef:.g ")
        strings.append("".join(broken))
    for form in (
        strings,
        np.array(strings),
        np.array([s.encode() for s in strings]),
        np.array(strings, dtype=object),
    ):
        version, hi, lo = parse_ip_strings(form)
        got = list(zip(version.tolist(), hi.tolist(), lo.tolist(), strict=True))
        assert got == [_reference(s) for s in strings]
