"""AS hegemony on hand-computed fixtures (exact values) and against a plain-Python reference on a real RIB."""

from __future__ import annotations

import ipaddress
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from netvet.analyses.hegemony import Scope, final_rows, hegemony, trimmed_mean
from netvet.model.route import RouteTableBuilder, encode_segments
from netvet.readers.route_evidence import load_routes
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"


@pytest.fixture(scope="module")
def table():
    t, stats = load_routes(FIX / "hegemony.txt")
    assert (stats.read, stats.malformed) == (56, 0)
    return t


def values(result) -> dict[int, float]:
    return {a.asn: round(a.hegemony, 12) for a in result.ases}


def test_trimmed_mean_drops_floor_tenth_at_each_end():
    m = np.array([[0.125, 0.25, 0.25, 0.25, 0.25, 1, 1, 1, 1, 1], [0] * 9 + [0.125]])
    assert trimmed_mean(m).tolist() == [0.625, 0.0]
    assert trimmed_mean(np.array([[1.0, 0.0, 0.0]])).tolist() == [pytest.approx(1 / 3)]  # n=3: nothing dropped


def test_scope_asn_ipv4_weights_more_specifics_and_add_path(table):
    r = hegemony(table, Scope.asn(64500), 4, excluded=[174])
    assert (r.viewpoints, r.trimmed, r.routes, r.prefixes) == (10, 1, 21, 2)
    # peers 1-5: /22 weighs 1024-256 (their /24 from AS64501), peers 6-10 the full 1024; /24 256
    assert r.scope_weight == (5 * 1024 + 5 * 1280) / 10
    assert values(r) == {3356: 0.625, 174: 0.375, 2914: 0.0}
    assert {a.asn: (a.viewpoints, round(a.mean, 12)) for a in r.ases} == {3356: (10, 0.6125), 174: (5, 0.375),
                                                                          2914: (1, 0.0125)}
    assert (r.exposure.hegemony, r.exposure.sum, r.exposure.max, r.exposure.viewpoints) == (0.375, 0.375, 0.375, 5)
    assert 64500 not in values(r) and not set(values(r)) & set(range(65001, 65011))  # origin and peers not counted


def test_scope_asn_ipv6_weighs_each_prefix_one(table):
    r = hegemony(table, Scope.asn(64500), 6)
    assert (r.viewpoints, r.routes, r.prefixes, r.scope_weight) == (10, 20, 2, 2.0)
    assert values(r) == {174: 0.5, 3356: 0.5}
    assert r.exposure is None


def test_as_set_members_share_a_route_and_exposure_counts_it_once(table):
    r = hegemony(table, Scope.asn(64502), 4, excluded=[4134, 4809], groups={"china-telecom": [4134, 4809]})
    assert values(r) == {4134: 0.5, 4809: 0.5}
    e = r.exposure
    assert (e.hegemony, e.sum, e.max, e.by_group) == (1.0, 1.0, 0.5, {"china-telecom": 1.0})


def test_prefix_list_scope_includes_more_specifics_and_excludes_each_origin(table):
    r = hegemony(table, Scope.prefix_list("scope", ["10.0.0.0/22"]), 4)
    assert (r.routes, r.prefixes, r.origins_in_scope) == (15, 2, [64500, 64501])
    assert values(r) == {174: 0.5, 3356: 0.5}


def test_country_scope(table):
    r = hegemony(table, Scope.country("DE", [64500, 64501]), 4)
    assert values(r) == {3356: 0.6, 174: 0.4, 2914: 0.0}


def test_update_files_use_the_last_announcement_not_withdrawn():
    b = RouteTableBuilder()
    p1, o1 = b.path(*encode_segments(((2, (65001, 3356, 64500)),)))
    p2, o2 = b.path(*encode_segments(((2, (65001, 174, 64500)),)))
    peer = b.peer("192.0.2.1", 65001)
    net = int(ipaddress.IPv4Address("10.0.0.0"))
    b.add(1, 1, 0, peer, 65001, 4, 0, net, 24, 1, 0, o1, p1, -1)  # A via 3356
    b.add(1, 2, 0, peer, 65001, 4, 0, net, 24, 1, 0, o2, p2, -1)  # A via 174 replaces it
    b.add(1, 3, 0, peer, 65001, 4, 0, net + 256, 24, 1, 0, o1, p1, -1)  # A 10.0.1.0/24 ...
    b.add(2, 4, 0, peer, 65001, 4, 0, net + 256, 24, 1, 0, 0, -1, -1)  # ... withdrawn
    t = b.build()
    assert final_rows(t).tolist() == [1]
    assert values(hegemony(t, Scope.asn(64500), 4)) == {174: 1.0}


# --------------------------------------------------------------------------- real RIB vs a plain reference
def _reference(records, scope: int, alpha: float = 0.1) -> dict[int, float]:
    """The same definition, written route by route in plain Python (integers, bisect, dicts)."""
    import bisect
    import socket

    def v4(prefix: str) -> tuple[int, int]:
        addr, length = prefix.split("/")
        return int.from_bytes(socket.inet_aton(addr), "big"), int(length)

    per_peer: dict[tuple, list] = defaultdict(list)
    for r in records:
        if str(r.kind) == "B" and r.attrs is not None and r.family == 4:
            per_peer[(r.peer_ip, r.peer_as)].append(r)
    bc: dict[tuple, dict[int, float]] = {}
    for peer, routes in per_peer.items():
        scoped = [r for r in routes if r.origin_asn == scope]
        if not scoped:
            continue
        nets = sorted({v4(r.prefix) for r in routes})
        n_paths: dict[str, int] = defaultdict(int)
        for r in scoped:
            n_paths[r.prefix] += 1
        total, acc = 0.0, defaultdict(float)
        for r in scoped:
            start, length = v4(r.prefix)
            size = 1 << (32 - length)
            inner = [(a, a + (1 << (32 - ln))) for a, ln in
                     nets[bisect.bisect_left(nets, (start, 0)):bisect.bisect_left(nets, (start + size, 0))]
                     if ln > length]
            covered, reach = 0, -1
            for a, b in sorted(inner):  # union of the more-specific blocks
                if a >= reach:
                    covered += b - a
                    reach = b
                elif b > reach:
                    covered += b - reach
                    reach = b
            w = (size - covered) / n_paths[r.prefix]
            total += w
            path = list(r.as_path)
            first, last = path[0], path[-1]
            skip = {r.peer_as, r.origin_asn, scope}
            skip |= set(first) if isinstance(first, frozenset) else {first}
            skip |= set(last) if isinstance(last, frozenset) else {last}
            shares: dict[int, float] = {}
            for e in path:
                for a, share in ([(m, 1 / len(e)) for m in e] if isinstance(e, frozenset) else [(e, 1.0)]):
                    if a not in skip:
                        shares[a] = max(shares.get(a, 0.0), share)
            for a, share in shares.items():
                acc[a] += w * share
        if total > 0:
            bc[peer] = {a: v / total for a, v in acc.items()}
    n = len(bc)
    k = math.floor(alpha * n)
    out = {}
    for a in {a for d in bc.values() for a in d}:
        vals = sorted(d.get(a, 0.0) for d in bc.values())
        out[a] = sum(vals[k:n - k]) / (n - 2 * k)
    return out


@pytest.fixture(scope="module")
def real_rib():
    from netvet.readers.mrt import read_routes

    path = shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz")
    records, _ = read_routes(path)
    return load_routes(path)[0], records


@pytest.mark.parametrize("scope", [9198, 45528])
def test_real_rib_matches_the_reference(real_rib, scope):
    t, records = real_rib
    r = hegemony(t, Scope.asn(scope), 4)
    ref = _reference(records, scope)
    got = {a.asn: a.hegemony for a in r.ases}
    assert set(got) == set(ref)
    for a, v in ref.items():
        assert got[a] == pytest.approx(v, abs=1e-12), a
    top = [(a.asn, round(a.hegemony, 4)) for a in r.ases[:3]]
    assert top == {9198: [(20485, 0.4031), (12389, 0.3781), (31133, 0.1258)],
                   45528: [(6453, 0.7016), (4755, 0.6906), (9498, 0.2016)]}[scope]
