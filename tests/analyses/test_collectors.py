"""analyses/collectors.py: collector grouping and the merge that keeps each collector's peers apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from netvet.analyses.collectors import Collector, group_collectors, merge_tables, peer_collectors
from netvet.model.route import RouteTable
from netvet.readers.route_evidence import load_routes

PATHS = Path(__file__).resolve().parents[1] / "fixtures" / "routes" / "paths.txt"


def test_group_collectors_names_and_clashes():
    got = group_collectors([(None, Path("a/rib.gz")), ("rrc00", Path("x.gz")), (None, Path("b/rib.gz")),
                            ("rrc00", Path("y.gz")), (None, Path("c/upd.gz"))])
    assert got == [Collector("a/rib.gz", (Path("a/rib.gz"),)), Collector("rrc00", (Path("x.gz"), Path("y.gz"))),
                   Collector("b/rib.gz", (Path("b/rib.gz"),)), Collector("upd.gz", (Path("c/upd.gz"),))]


def test_merge_keeps_peers_apart():
    t, _ = load_routes(PATHS)
    merged = merge_tables([t, t])
    concat = RouteTable.concat([t, t])
    n = len(t.peer_ips)
    assert len(concat.peer_ips) == n  # one collector: equal peers are one peer
    assert merged.peer_ips == t.peer_ips + t.peer_ips and len(merged.peer_asns) == 2 * n
    assert np.array_equal(merged.peer_index, np.concatenate([t.peer_index, t.peer_index + n]))
    assert merged.differences(concat, ignore=("peer_index",)) == ["peers"]  # rows and paths as concat's
    assert peer_collectors(["a", "b"], [t, t]) == ["a"] * n + ["b"] * n
    assert merge_tables([t]) is t
