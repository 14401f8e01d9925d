"""netvet's MRT parser on the real samples in ../shared/data/mrt: bgpdump oracles, exact counts,
Debian's bgpdump run side by side (where installed) and mrtparse as an independent cross-check."""

from __future__ import annotations

import functools
import gzip
import shutil
import subprocess
from collections import Counter

import pytest

from netvet.readers.bgpdump_text import LineFormatter
from netvet.readers.mrt import MrtParser
from tests.conftest import shared_file

ORACLES = ["updates.20160811.1600.gz", "updates.20070211.0141.gz", "bview.ipv4_unicast_add_path.gz"]

# file -> (routes by kind, MRT records read, RIB entries, routes skipped as non-IP families)
COUNTS = {
    "bird-mrtdump_bgp": ({"A": 12, "STATE": 12}, 27, 0, 0),
    "bird-mrtdump_rib": ({"B": 18}, 14, 18, 0),
    "bird6-mrtdump_bgp": ({"A": 12, "STATE": 12}, 27, 0, 0),
    "bird6-mrtdump_rib": ({"B": 10}, 9, 10, 0),
    "bview.ipv4_unicast_add_path.gz": ({"B": 62}, 32, 62, 0),
    "openbgpd_bgp": ({"A": 93, "STATE": 16}, 87, 0, 6),  # 99 prefixes: 93 IPv4/IPv6 + 6 MPLS VPN
    "openbgpd_rib_table-mp": ({"B": 31}, 31, 31, 0),  # BGP4MP_ENTRY records (bgpdump prints none)
    "openbgpd_rib_table-v2": ({"B": 31}, 24, 33, 2),  # 33 entries: 31 + 2 RIB_GENERIC MPLS VPN
    "quagga_bgp": ({"A": 18, "STATE": 20}, 67, 0, 16),  # 34 prefixes: 18 + 16 MPLS VPN
    "quagga_rib": ({"B": 9}, 7, 9, 0),
    "rib.20140523.0600_first9073records.mrt.gz": ({"B": 270005}, 9073, 270005, 0),
    "rib6.20151101.0600_firstMB.bz2": ({"B": 149578}, 6871, 149578, 0),
    "rrc15_2010.02_updates.20100227.1600.gz": (
        {"A": 52468, "W": 1318, "STATE": 20},
        6615,
        0,
        0,
    ),  # 53,786 elems
    "rrc15_2010.02_updates.20100227.1610.gz": (
        {"A": 5920, "W": 1549, "STATE": 16},
        1953,
        0,
        0,
    ),  # 7,469 elems
    "updates.20070211.0141.gz": ({"A": 51329, "W": 2328}, 23394, 0, 0),
    "updates.20160811.1600.gz": ({"A": 39256, "W": 1956, "STATE": 22}, 17406, 0, 0),
}


@functools.cache
def parsed(name: str):
    parser = MrtParser(shared_file(f"mrt/{name}"))
    fmt = LineFormatter()
    return [fmt(r) for r in parser.routes()], parser.stats


@functools.cache
def bgpdump_lines(name: str) -> list[str]:
    return subprocess.run(
        ["bgpdump", "-q", "-m", str(shared_file(f"mrt/{name}"))], capture_output=True, text=True, check=True
    ).stdout.splitlines()


def nine(lines: list[str]) -> list[list[str]]:
    return [line.split("|")[:9] for line in lines]


@pytest.mark.parametrize("name", ORACLES)
def test_oracle_lines_identical_in_first_nine_fields_and_number(name):
    with gzip.open(shared_file(f"bgpdump-expect/{name}.bgp.gz"), "rt") as fh:
        expect = fh.read().splitlines()
    ours, st = parsed(name)
    assert len(ours) == len(expect)
    assert nine(ours) == nine(expect)
    assert ours == expect  # in fact every field matches
    assert not st.damaged


@pytest.mark.parametrize("name", sorted(COUNTS))
def test_exact_counts(name):
    kinds, records, entries, skipped = COUNTS[name]
    ours, st = parsed(name)
    assert dict(st.routes) == kinds
    damaged = name.startswith("rib6.")
    assert sum(st.records.values()) == records
    assert st.stats.read == records + damaged  # the torn last record counts as one record, malformed
    assert st.rib_entries == entries
    assert sum(st.skipped.values()) == skipped
    assert len(ours) == sum(kinds.values())
    assert st.damaged == damaged and st.stats.malformed == (1 if damaged else 0)


def test_record_types_of_the_samples():
    assert dict(parsed("openbgpd_rib_table-v2")[1].records) == {
        "TABLE_DUMP_V2/PEER_INDEX_TABLE": 1,
        "TABLE_DUMP_V2/RIB_IPV4_UNICAST": 11,
        "TABLE_DUMP_V2/RIB_IPV6_UNICAST": 10,
        "TABLE_DUMP_V2/RIB_GENERIC": 2,
    }
    assert dict(parsed("quagga_bgp")[1].records) == {
        "BGP4MP/STATE_CHANGE_AS4": 20,
        "BGP4MP/MESSAGE": 4,
        "BGP4MP/MESSAGE_AS4": 43,
    }
    assert dict(parsed("bird-mrtdump_bgp")[1].records) == {
        "BGP4MP/STATE_CHANGE_AS4": 12,
        "BGP4MP/MESSAGE": 1,
        "BGP4MP/MESSAGE_AS4_ADDPATH": 14,
    }
    assert dict(parsed("bird-mrtdump_bgp")[1].bgp_messages) == {
        "OPEN": 2,
        "KEEPALIVE": 5,
        "UPDATE": 6,
        "ROUTE-REFRESH": 1,
        "NOTIFICATION": 1,
    }
    assert dict(parsed("updates.20160811.1600.gz")[1].records) == {
        "BGP4MP/MESSAGE_AS4": 17384,
        "BGP4MP/STATE_CHANGE_AS4": 22,
    }
    assert dict(parsed("openbgpd_rib_table-mp")[1].records) == {"BGP4MP/ENTRY": 31}


def test_rib6_truncation_is_reported_at_the_right_offset():
    ours, st = parsed("rib6.20151101.0600_firstMB.bz2")
    assert len(ours) == 149578 and st.truncated
    (issue,) = [i for i in st.stats.issues if i.severity == "error"]
    assert issue.offset == 12131168
    assert issue.reason.startswith(
        "record 6871 (TABLE_DUMP_V2/RIB_IPV6_UNICAST) at byte offset 12131168 is "
        "truncated: it declares 1935 bytes, 1817 remain"
    )
    assert st.bytes_read == 12132997


def test_openbgpd_legacy_entries_are_decoded():
    ours, _ = parsed("openbgpd_rib_table-mp")
    assert ours[0] == (
        "BGP4MP_ENTRY|1444843446|B|192.168.1.102|65000|192.168.0.0/16|65015|IGP|192.168.0.15|100|0|"
        "|NAG|65000 192.168.0.15|"
    )
    assert {line.split("|")[0] for line in ours} == {"BGP4MP_ENTRY"}


def test_known_cn_carrier_path_in_rrc15():
    ours, _ = parsed("rrc15_2010.02_updates.20100227.1600.gz")
    paths = {line.split("|")[6] for line in ours if line.split("|")[2] == "A"}
    assert "22548 16735 17379 6762 4134 4847 38208" in paths


@pytest.mark.skipif(not shutil.which("bgpdump"), reason="bgpdump not installed (CI installs it)")
@pytest.mark.parametrize("name", sorted(COUNTS))
def test_same_lines_as_debian_bgpdump(name):
    ours, _ = parsed(name)
    theirs = bgpdump_lines(name)
    # bgpdump does not decode OpenBGPD's BGP4MP_ENTRY records: the one known difference in these samples
    ours = [line for line in ours if not line.startswith("BGP4MP_ENTRY|")]
    assert len(ours) == len(theirs)
    assert nine(ours) == nine(theirs)
    assert ours == theirs


# ----------------------------------------------------------------------------- mrtparse cross-check
def mrtparse_routes(path) -> list[tuple]:
    """(kind, peer ip, prefix, path id, AS path or None) of every IP route, as mrtparse decodes it."""
    import mrtparse

    out: list[tuple] = []
    peers: list = []

    def as_path(attrs) -> str | None:
        for a in attrs:
            if 2 in a["type"]:
                parts = []
                for seg in a["value"]:
                    asns = seg["value"]
                    t = next(iter(seg["type"]))
                    parts.append({1: "{" + ",".join(asns) + "}", 2: " ".join(asns)}.get(t, "?"))
                return " ".join(parts)
        return None

    for entry in mrtparse.Reader(str(path)):
        d = entry.data
        sub = next(iter(d["subtype"]))
        if 13 in d["type"]:
            if sub == 1:
                peers = d["peer_entries"]
            elif "rib_entries" in d and "prefix" in d:
                for e in d["rib_entries"]:
                    peer = peers[e["peer_index"]]
                    out.append(
                        (
                            "B",
                            peer["peer_ip"],
                            f"{d['prefix']}/{d['length']}",
                            e.get("path_id"),
                            as_path(e["path_attributes"]),
                        )
                    )
        elif 16 in d["type"] and "bgp_message" in d and 2 in d["bgp_message"]["type"]:
            m = d["bgp_message"]
            ip = d["peer_ip"]
            for w in m["withdrawn_routes"]:
                out.append(("W", ip, f"{w['prefix']}/{w['length']}", w.get("path_id"), None))
            path = as_path(m["path_attributes"])
            for a in m["path_attributes"]:
                if 15 in a["type"] and next(iter(a["value"]["safi"])) in (1, 2):
                    for w in a["value"]["withdrawn_routes"]:
                        out.append(("W", ip, f"{w['prefix']}/{w['length']}", w.get("path_id"), None))
            for n in m["nlri"]:
                out.append(("A", ip, f"{n['prefix']}/{n['length']}", n.get("path_id"), path))
            for a in m["path_attributes"]:
                if 14 in a["type"] and next(iter(a["value"]["safi"])) in (1, 2):
                    for n in a["value"]["nlri"]:
                        out.append(("A", ip, f"{n['prefix']}/{n['length']}", n.get("path_id"), path))
    return out


def our_routes(name: str) -> list[tuple]:
    out = []
    for line in parsed(name)[0]:
        f = line.split("|")
        if f[2] == "STATE":
            continue
        ap = f[0].endswith("_AP")
        pid = int(f[6]) if ap else None
        path = None if f[2] == "W" else f[7 if ap else 6]
        out.append((f[2], f[3], f[5], pid, path))
    return out


@pytest.mark.parametrize(
    "name",
    [
        "quagga_rib",
        "quagga_bgp",
        "bird-mrtdump_rib",
        "bird6-mrtdump_rib",
        "bird-mrtdump_bgp",
        "bird6-mrtdump_bgp",
        "openbgpd_bgp",
        "openbgpd_rib_table-v2",
        "bview.ipv4_unicast_add_path.gz",
        "rrc15_2010.02_updates.20100227.1610.gz",
    ],
)
def test_same_routes_as_mrtparse(name):
    theirs = mrtparse_routes(shared_file(f"mrt/{name}"))
    ours = our_routes(name)
    # mrtparse does not merge AS4_PATH into the AS_PATH of 2-byte sessions: compare paths only where
    # no AS_TRANS (23456) shows up in its path
    assert len(ours) == len(theirs)
    assert Counter(r[:4] for r in ours) == Counter(r[:4] for r in theirs)
    for a, b in zip(ours, theirs, strict=True):
        if b[4] is not None and "23456" not in b[4].split():
            assert a == b
