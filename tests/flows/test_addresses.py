"""Address parsing (text, integers, binaries) and internal/special/external classes."""

from __future__ import annotations

import ipaddress

import numpy as np
import pyarrow as pa
import pytest

from netvet.flows import classes as C
from netvet.readers.flowlogs import addresses as A

EDGE = ["1.2.3.4", "01.2.3.4", "1.2.3.04", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "0.0.0.0",
        "255.255.255.255", " 1.2.3.4", "1.2.3.4 ", "::1", "2001:db8::1", "::ffff:1.2.3.4", "", None, "1.2.3.4/24",
        "2001:db8::zz", "1:2:3:4:5:6:7:8", "1::2::3"]


def _expected(text):
    if text is None:
        return None
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


@pytest.mark.parametrize("n", [len(EDGE), A.DEDUP_MIN + 7])
def test_strings_match_ipaddress(n):
    values = (EDGE * (n // len(EDGE) + 1))[:n]
    ok, hi, lo = A.from_strings(pa.array(values, pa.large_string()))
    got = [t if o else None for t, o in zip(A.to_text(hi, lo), ok.tolist(), strict=True)]
    assert got == [_expected(v) for v in values]


def test_random_dotted_quads_round_trip():
    rng = np.random.default_rng(7)
    v = rng.integers(0, 1 << 32, 20_000, dtype=np.uint64)
    text = [str(ipaddress.IPv4Address(int(x))) for x in v]
    ok, hi, lo = A.from_strings(text)
    assert ok.all()
    assert (hi == 0).all()
    assert ((lo & np.uint64(0xFFFFFFFF)) == v).all()
    assert A.is_v4(hi, lo).all()


def test_binary_integer_and_dictionary_columns():
    b16 = pa.array([ipaddress.ip_address("2001:db8::5").packed, ipaddress.ip_address("::ffff:8.8.8.8").packed, None],
                   pa.binary(16))
    ok, hi, lo = A.from_column(b16)
    assert ok.tolist() == [True, True, False]
    assert A.to_text(hi[:2], lo[:2]) == ["2001:db8::5", "8.8.8.8"]
    var = pa.array([b"\x0a\x00\x00\x01", ipaddress.ip_address("fd00::1").packed, b"\x01\x02\x03"], pa.binary())
    ok, hi, lo = A.from_column(var)  # exporters mix 4-byte IPv4 and 16-byte IPv6 values in one column
    assert ok.tolist() == [True, True, False]
    assert A.to_text(hi[:2], lo[:2]) == ["10.0.0.1", "fd00::1"]
    ints = pa.array([16909060, None, -1, 1 << 33], pa.int64())
    ok, hi, lo = A.from_column(ints)
    assert ok.tolist() == [True, False, False, False]
    assert A.to_text(hi[:1], lo[:1]) == ["1.2.3.4"]
    d = pa.array(["10.0.0.1", "x", "10.0.0.1", None]).dictionary_encode()
    ok, hi, lo = A.from_column(d)
    assert ok.tolist() == [True, False, True, False]
    assert A.to_text(hi[[0, 2]], lo[[0, 2]]) == ["10.0.0.1", "10.0.0.1"]


def test_classes():
    values = {"10.1.2.3": C.INTERNAL, "172.16.0.1": C.INTERNAL, "172.32.0.1": C.EXTERNAL, "192.168.1.1": C.INTERNAL,
              "100.64.0.1": C.INTERNAL, "100.127.255.255": C.INTERNAL, "100.128.0.1": C.EXTERNAL,
              "127.0.0.1": C.INTERNAL, "169.254.1.1": C.INTERNAL, "8.8.8.8": C.EXTERNAL, "0.1.2.3": C.SPECIAL,
              "224.0.0.1": C.SPECIAL, "239.1.1.1": C.SPECIAL, "255.255.255.255": C.SPECIAL, "240.0.0.1": C.SPECIAL,
              "fd00::1": C.INTERNAL, "fc00::1": C.INTERNAL, "fe80::1": C.INTERNAL, "febf::1": C.INTERNAL,
              "fec0::1": C.INTERNAL, "ff02::fb": C.SPECIAL, "::": C.SPECIAL, "::1": C.INTERNAL,
              "::2": C.SPECIAL,  # IPv4-compatible ::0.0.0.2, in 0/8
              "2001:db8::1": C.EXTERNAL, "203.0.113.5": C.EXTERNAL, "203.0.113.200": C.INTERNAL,
              "2001:db8:1::1": C.INTERNAL}
    ok, hi, lo = A.from_strings(list(values))
    user = [A.parse_range("203.0.113.128/25"), A.parse_range("2001:db8:1::/48")]
    got = C.AddressClasses.build(user).classify(hi, lo)
    assert dict(zip(values, got.tolist(), strict=True)) == {k: int(v) for k, v in values.items()}


def test_nat64_is_looked_up_as_the_ipv4_address_it_carries():
    ok, hi, lo = A.from_strings(["64:ff9b::c000:20a", "2001:db8::1"])
    hi2, lo2 = C.unmap_nat64(hi, lo)
    assert A.to_text(hi2, lo2) == ["192.0.2.10", "2001:db8::1"]
