"""RIPE Atlas traceroutes: firmware schema drift, timeouts, private hops, errors, IPv6; hops -> ASes."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvet.attribution.prefix_index import PrefixIndex
from netvet.model import InputError
from netvet.model.route import iter_table_routes
from netvet.readers.atlas_traceroute import TraceCounts, load_traceroute_routes, map_to_ases, read_atlas, sniff
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
SAGAN4 = "inputs/traceroutes/ripe_atlas_sagan_traceroute_fw4460-4610_msm1000157.jsonl"
SAGAN6 = "inputs/traceroutes/ripe_atlas_sagan_traceroute_ipv6_mtu_options.jsonl"


def test_firmware_drift_file_counts_exact():
    traces, stats, counts = read_atlas(shared_file(SAGAN4))
    assert (stats.read, stats.malformed, stats.issues) == (10, 0, [])
    assert counts == TraceCounts(results=10, hops=163, hop_errors=0, replies=305, timeouts=184, error_replies=0,
                                 private_replies=6, addresses=60, private_addresses=2)
    assert [t.fw for t in traces] == [4460, 4470, 4480, 4500, 4520, 4550, 4560, 4570, 4600, 4610]
    assert [t.prb_id for t in traces] == [190, 426, 426, 319, 426, 190, 426, 426, 319, 319]
    assert {t.dst_addr for t in traces} == {"121.244.76.25"}
    first = traces[0]
    assert (first.src_addr, first.probe_address) == ("192.168.1.107", "107.3.81.49")
    assert [(h.hop, h.replies, h.timeouts, h.private) for h in first.hops] == [
        (1, 3, 0, 3), (2, 0, 3, 0), (3, 0, 3, 0), (4, 0, 3, 0), (5, 0, 3, 0), (6, 0, 3, 0), (255, 0, 3, 0)]


def test_ipv6_file_counts_and_error_replies():
    traces, stats, counts = read_atlas(shared_file(SAGAN6))
    assert (stats.read, stats.malformed) == (4, 0)
    assert counts == TraceCounts(results=4, hops=32, hop_errors=0, replies=129, timeouts=69, error_replies=8,
                                 private_replies=0, addresses=25, private_addresses=0)
    assert [t.af for t in traces] == [6, 6, 6, 6]
    assert traces[0].probe_address == "2001:470:d04f:12::18"  # "from" is empty in fw 4610: src_addr is used
    assert [t.destination_reached for t in traces] == [False, False, True, False]


def test_hops_to_as_paths_with_the_real_ipasn_databases():
    v4 = PrefixIndex.from_file(shared_file("ipasn/ipasn_20140513.dat.gz"))
    paths = map_to_ases(read_atlas(shared_file(SAGAN4))[0], v4)
    assert [(p.trace.fw, p.path, p.inferred_destination) for p in paths] == [
        (4460, [7922, 4755], True),
        (4470, [6939, 1299, 6453, 4755], False),
        (4480, [6939, 1299, 6453, 4755], False),
        (4500, [1909, 195, 2152, 3356, 6453, 4755], True),
        (4520, [6939, 1299, 6453, 4755], True),
        (4550, [7922, 6453, 4755], True),
        (4560, [6939, 1299, 6453, 4755], True),
        (4570, [6939, 1299, 6453, 4755], True),
        (4600, [1909, 195, 2152, 3356, 6453, 4755], True),
        (4610, [1909, 195, 2152, 3356, 6453, 4755], True),
    ]
    assert {(p.destination_asn, p.destination_prefix) for p in paths} == {(4755, "121.244.76.0/24")}
    v6 = PrefixIndex.from_file(shared_file("ipasn/ipasn6_20151101.dat.gz"))
    paths6 = map_to_ases(read_atlas(shared_file(SAGAN6))[0], v6)
    assert [(p.probe_asn, p.path, p.destination_prefix) for p in paths6] == [
        (6939, [6939, 36351], "2a03:8180:1000::/40"),
        (7922, [7922, 7015, 7922, 15169], "2a00:1450::/32"),
        (5580, [5580], "2a02:d28::/32"),
        (3292, [3292, 15169], "2a00:1450::/32"),
    ]


def test_bad_lines_are_counted_with_their_line_and_nothing_is_dropped():
    traces, stats, counts = read_atlas(FIX / "atlas_mixed.jsonl")
    # one unit, results: three lines are no usable result (malformed); the bad hops and replies of line 5
    # are errors inside a result that is still read (damaged), so malformed <= read
    assert (stats.unit, stats.read, stats.malformed, stats.damaged) == ("result", 5, 3, 3)
    assert [(i.line, i.severity, i.reason) for i in stats.issues] == [
        (2, "error", "not JSON: Expecting value (column 1)"),
        (3, "error", "not a traceroute result (type 'ping')"),
        (4, "error", "traceroute without a 'result' list of hops"),
        (5, "error", 'hop entry without a hop number: {"result": [{"x": "*"}]}'),
        (5, "error", "hop 1: bad reply address '999.1.1.1'"),
        (5, "error", "hop 1: reply without a 'from' address"),
        (5, "warning", 'hop 1: reply with neither an address nor a timeout: {"late": 1}'),
    ]
    assert counts == TraceCounts(results=2, hops=8, hop_errors=1, replies=11, timeouts=5, error_replies=1,
                                 private_replies=4, addresses=9, private_addresses=3)
    assert traces[0].hops[4].error == "sendto failed"


def test_private_unrouted_and_inferred_hops_in_routes():
    index = PrefixIndex.from_file(FIX / "atlas_asn.ipasn")
    paths = map_to_ases(read_atlas(FIX / "atlas_mixed.jsonl")[0], index)
    p = paths[0]
    assert p.hop_asns == [[], [64510], [], [174], [], [], [64999]]  # private, timeout, error hops give no AS
    assert (p.path, p.unrouted_addresses, p.inferred_destination) == ([64510, 174, 64999], 1, False)
    table, stats, _ = load_traceroute_routes(FIX / "atlas_array.json", index)
    assert stats.read == 2
    assert list(iter_table_routes(table)) == [("B", "13.0.0.0/24", 64510, (64510, 64999)),
                                              ("B", "13.0.0.0/24", 64510, (64510, 64999))]
    assert map_to_ases(read_atlas(FIX / "atlas_array.json")[0], index)[1].inferred_destination is True


def test_sniff_and_unreadable_input(tmp_path):
    assert sniff(shared_file(SAGAN4).read_bytes()[:4096])
    assert sniff((FIX / "atlas_array.json").read_bytes())
    assert not sniff(b'{"bomFormat": "CycloneDX"}')
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(InputError, match="no traceroute results"):
        read_atlas(empty)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"type": "traceroute"')
    with pytest.raises(InputError, match="not JSON"):
        read_atlas(broken)
