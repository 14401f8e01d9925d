"""Carrier audit: positions, exact AS matching, AS_SETs, per-prefix/entity/origin counts and address space."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netvet.analyses.carrier import (
    CLEAN,
    EXCLUDED,
    POS_ORIGIN,
    POS_PEER,
    POS_TRANSIT,
    REVIEW,
    AddressSpace,
    AsVerdict,
    Prefixes,
    path_positions,
    scan,
    seen_asns,
    select_rows,
    summarise,
    union_space,
)
from netvet.model.route import (
    AS_CONFED_SEQUENCE,
    AS_SEQUENCE,
    AS_SET,
    RouteTableBuilder,
    encode_segments,
)
from netvet.readers.route_evidence import load_routes
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"


def _paths(*segment_lists):
    b = RouteTableBuilder()
    for segs in segment_lists:
        b.path(*encode_segments(segs))
    t = b.build()
    return t.path_offsets, t.path_asns, t.path_marks


def test_path_positions_prepends_sets_and_confederations():
    offs, asns, marks = _paths(
        ((AS_SEQUENCE, (1, 2, 2, 3, 3)),),  # prepended peer? no: 1 peer, 2 transit (twice), 3 origin (twice)
        ((AS_SEQUENCE, (7,)),),  # one AS: peer and origin
        ((AS_CONFED_SEQUENCE, (65000, 65001)), (AS_SEQUENCE, (10, 20)), (AS_SET, (30, 40))),
        ((AS_SEQUENCE, (5, 5, 6, 5)),),  # the peer reappearing later still counts as peer
    )
    pos = path_positions(offs, asns, marks).tolist()
    assert pos == [
        POS_PEER, POS_TRANSIT, POS_TRANSIT, POS_ORIGIN, POS_ORIGIN,
        POS_PEER | POS_ORIGIN,
        0, 0, POS_PEER, POS_TRANSIT, POS_ORIGIN, POS_ORIGIN,
        POS_PEER | POS_ORIGIN, POS_PEER | POS_ORIGIN, POS_TRANSIT, POS_PEER | POS_ORIGIN,
    ]


def test_union_space_counts_nested_and_duplicate_prefixes_once():
    p = Prefixes(
        family=np.array([4, 4, 4, 4, 6, 6, 6], np.uint8),
        hi=np.array([0, 0, 0, 0, 0x20010DB800000000, 0x20010DB800010000, 0x20010DB8000100AB], np.uint64),
        lo=np.array([0x0A000000, 0x0A000100, 0x0A010000, 0xC0000200, 0, 0, 0], np.uint64),
        length=np.array([16, 24, 24, 24, 32, 48, 64], np.uint8),
    )
    # group 0: 10.0.0.0/16 with 10.0.1.0/24 inside, twice; group 1: 10.1.0.0/24 and 192.0.2.0/24;
    # group 2: 2001:db8:1::/48 and a /64 inside another /48 (2001:db8:1:ab::/64 -> its /48 is the same)
    got = union_space(np.array([0, 0, 0, 1, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 3, 5, 6, 4]), p, 4)
    assert got == [AddressSpace(65536, 0), AddressSpace(512, 0), AddressSpace(0, 65536), AddressSpace(0, 0)]


@pytest.fixture(scope="module")
def fixture_audit():
    from netvet.attribution.oui import MacRegistry
    from netvet.attribution.registry import Registry
    from netvet.enforce.classify import classify_asns
    from netvet.pipeline import Context

    reg = Registry.load(FIX / "registry")
    ctx = Context.build([str(FIX / "route-pack.yaml")], reg, macs=MacRegistry())
    table, stats = load_routes(FIX / "paths.txt")
    cls = classify_asns(ctx, seen_asns(table))
    return table, stats, cls


def test_fixture_classification_through_the_engine(fixture_audit):
    table, stats, cls = fixture_audit
    assert (stats.read, stats.malformed) == (13, 0)
    assert seen_asns(table) == {174: 3, 1174: 1, 3356: 2, 41740: 2, 64496: 5, 64497: 2, 64500: 6, 64510: 4,
                                64511: 4, 64998: 1, 64999: 3, 65537: 1}
    assert [v.asn for v in cls.excluded] == [174, 64496, 64497, 65537]
    assert [v.asn for v in cls.review] == [64500]
    v = cls.verdicts[64500]  # position-dependent rule: REVIEW only in transit
    assert (v.origin, v.transit, v.peer) == (CLEAN, REVIEW, CLEAN)
    assert cls.verdicts[65537].entity == "redtel-hk" and cls.verdicts[65537].rule_ids == ("r.listed", "r.cn")
    assert cls.verdicts[1174].verdict == "UNKNOWN" and cls.verdicts[1174].level == CLEAN
    assert cls.verdicts[64510].verdict == "PASS"
    assert cls.verdicts[174].citations == ({"label": "test-carriers entry C1", "url": "https://example.org/carrier-list",
                                            "source": "src-routes-list"},)


def test_fixture_scan_exact(fixture_audit):
    table, _, cls = fixture_audit
    s = scan(table, cls.verdicts.values())
    assert s.level.tolist() == [2, 0, 0, 1, 0, 0, 2, 0, 2, 2, 2, 2, 2]  # 174 never matches 1174 or 41740
    hits = sorted(zip(s.hit_route.tolist(), s.hit_asn.tolist(), s.hit_pos.tolist(), s.hit_level.tolist(),
                      strict=True))
    assert hits == [(0, 174, POS_ORIGIN, EXCLUDED), (3, 64500, POS_TRANSIT, REVIEW), (6, 64497, POS_TRANSIT, EXCLUDED),
                    (8, 65537, POS_ORIGIN, EXCLUDED), (9, 64496, POS_PEER, EXCLUDED),
                    (10, 64497, POS_TRANSIT, EXCLUDED), (11, 64496, POS_ORIGIN, EXCLUDED),
                    (12, 174, POS_TRANSIT, EXCLUDED)]


def test_fixture_summary_exact(fixture_audit):
    table, _, cls = fixture_audit
    sm = summarise(scan(table, cls.verdicts.values()))
    assert (sm.routes, sm.prefixes, sm.excluded_routes, sm.review_routes) == (13, 9, 7, 1)
    assert sm.prefixes_clean == {"all": 2, "some": 1, "none": 6}
    assert sm.space == AddressSpace(197376, 65536)
    assert sm.space_by_clean == {"all": AddressSpace(512, 0), "some": AddressSpace(65536, 0),
                                 "none": AddressSpace(131328, 65536)}
    got = {f.prefix: (f.verdict, f.clean, f.routes, f.clean_routes, f.origins,
                      [(e["entity"], e["asns"], e["positions"], e["routes"]) for e in f.entities]) for f in sm.findings}
    assert got == {
        "192.0.2.0/24": ("FAIL", "none", 1, 0, [174], [("redtel", [174], ["origin"], 1)]),
        "10.20.0.0/16": ("FAIL", "none", 1, 0, [65537], [("redtel-hk", [65537], ["origin"], 1)]),
        "10.30.0.0/16": ("FAIL", "none", 1, 0, [64999], [("redtel", [64496], ["peer"], 1)]),
        "2001:db8::/32": ("FAIL", "none", 1, 0, [64999], [("redtel", [64497], ["transit"], 1)]),
        "2001:db8:1::/48": ("FAIL", "none", 1, 0, [64496], [("redtel", [64496], ["origin"], 1)]),
        "AS64999": ("FAIL", "none", 1, 0, [64999], [("redtel", [174], ["transit"], 1)]),
        "10.10.0.0/16": ("REVIEW", "some", 2, 1, [64998], [("redtel", [64497], ["transit"], 1)]),
        "203.0.113.0/24": ("REVIEW", "all", 3, 3, [64999], [("harbour", [64500], ["transit"], 1)]),
    }
    ents = {e.key: (e.routes, e.prefixes, e.positions, e.asns, e.prefixes_clean, e.space) for e in sm.entities}
    assert ents == {
        "redtel": (6, 6, {"origin": 2, "transit": 3, "peer": 1}, [174, 64496, 64497],
                   {"all": 0, "some": 1, "none": 5}, AddressSpace(131328, 65536)),
        "redtel-hk": (1, 1, {"origin": 1, "transit": 0, "peer": 0}, [65537], {"all": 0, "some": 0, "none": 1},
                      AddressSpace(65536, 0)),
        "harbour": (1, 1, {"origin": 0, "transit": 1, "peer": 0}, [64500], {"all": 1, "some": 0, "none": 0},
                    AddressSpace(256, 0)),
    }
    origins = {o.key: (o.routes, o.excluded_routes, o.review_routes, o.prefixes, o.space) for o in sm.origins}
    assert origins == {
        64999: (6, 3, 1, 4, AddressSpace(65792, 65536)), 174: (1, 1, 0, 1, AddressSpace(256, 0)),
        64496: (1, 1, 0, 1, AddressSpace(0, 1)), 64998: (2, 1, 0, 1, AddressSpace(65536, 0)),
        65537: (1, 1, 0, 1, AddressSpace(65536, 0)),
    }


def test_select_rows_by_prefix_and_origin(fixture_audit):
    table, _, _ = fixture_audit
    assert select_rows(table, ["203.0.113.0/25"]).tolist() == [3, 4, 5]
    assert select_rows(table, ["10.0.0.0/8"]).tolist() == [6, 7, 8, 9]
    assert select_rows(table, ["2001:db8:1:2::/64"]).tolist() == [10, 11]
    assert select_rows(table, [], [64998]).tolist() == [6, 7]
    assert select_rows(table, ["192.0.2.128/25"], [65537]).tolist() == [0, 8]


def test_peer_as_off_the_path_counts_as_peer():
    """A route server does not prepend its AS: the session's peer AS is still the neighbour."""
    b = RouteTableBuilder()
    pi, origin = b.path(*encode_segments(((AS_SEQUENCE, (3356, 64999)),)))
    b.add(0, 0, 0, b.peer("192.0.2.1", 64496), 64496, 4, 0, 0xC6336400, 24, 1, 0, origin, pi, -1)
    b.add(0, 0, 0, b.peer("192.0.2.2", 3356), 3356, 4, 0, 0xC6336400, 24, 1, 0, origin, pi, -1)
    t = b.build()
    v = AsVerdict(64496, "redtel", origin=EXCLUDED, transit=EXCLUDED, peer=EXCLUDED)
    s = scan(t, [v])
    assert s.level.tolist() == [EXCLUDED, CLEAN]
    assert (s.hit_route.tolist(), s.hit_pos.tolist()) == ([0], [POS_PEER])


# --------------------------------------------------------------------------- a real update file
CN = {4134: "china-telecom-corp", 4809: "china-telecom-corp", 4837: "china-unicom-hk", 9808: "china-mobile-ltd",
      58453: "china-mobile-international"}


def _fixed_verdicts():
    out = [AsVerdict(a, e, origin=EXCLUDED, transit=EXCLUDED, peer=EXCLUDED) for a, e in CN.items()]
    out.append(AsVerdict(3491, "pccw", origin=REVIEW, transit=REVIEW, peer=REVIEW))
    return out


def _oracle(path):
    """Route by route, in plain Python over netvet's per-route records: which routes hold an excluded AS."""
    from netvet.readers.mrt import iter_routes

    excluded, review, total = 0, 0, 0
    for r in iter_routes(path):
        if str(r.kind) not in ("A", "B") or r.attrs is None or r.attrs.segments is None:
            continue
        total += 1
        members = set()
        for e in r.as_path:
            members |= set(e) if isinstance(e, frozenset) else {e}
        if members & set(CN) or r.peer_as in CN:
            excluded += 1
        elif 3491 in members or r.peer_as == 3491:
            review += 1
    return total, excluded, review


def test_real_updates_file_exact_and_equal_to_a_per_route_oracle():
    path = shared_file("mrt/updates.20160811.1600.gz")
    table, _ = load_routes(path)
    s = scan(table, _fixed_verdicts())
    excl, rev = int((s.level == EXCLUDED).sum()), int((s.level == REVIEW).sum())
    assert (s.routes, excl, rev) == (39256, 1450, 2581)
    assert _oracle(path) == (39256, 1450, 2581)
    sm = summarise(s)
    assert (sm.prefixes, sm.peers, sm.paths) == (1712, 35, 7204)
    assert sm.prefixes_clean == {"all": 1581, "some": 35, "none": 96}
    assert sm.space_by_clean["none"] == AddressSpace(2613504, 0)
    ents = {e.key: (e.routes, e.positions, e.prefixes) for e in sm.entities}
    assert ents == {
        "china-telecom-corp": (1163, {"origin": 666, "transit": 498, "peer": 0}, 66),
        "china-unicom-hk": (1053, {"origin": 0, "transit": 1053, "peer": 0}, 29),
        "china-mobile-international": (286, {"origin": 0, "transit": 286, "peer": 0}, 64),
        "china-mobile-ltd": (286, {"origin": 94, "transit": 192, "peer": 0}, 64),
        "pccw": (2581, {"origin": 0, "transit": 2581, "peer": 0}, 203),
    }


def test_real_file_engine_classification_covers_the_cn_carriers():
    from netvet.attribution.oui import MacRegistry
    from netvet.enforce.classify import classify_asns
    from netvet.pipeline import Context

    table, _ = load_routes(shared_file("mrt/updates.20160811.1600.gz"))
    ctx = Context.build(["clean-network"], macs=MacRegistry())
    cls = classify_asns(ctx, seen_asns(table))
    assert len(cls.verdicts) == 634
    assert {v.asn: v.entity for v in cls.excluded}.items() >= CN.items()
    assert all(v.verdict == "FAIL" for v in cls.excluded)


def test_fast_positions_equal_the_general_ones_on_a_real_rib_with_as_sets():
    from netvet.analyses.carrier import element_positions

    table, _ = load_routes(shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz"))
    assert set(np.unique(table.path_marks).tolist()) == {0, 1, 2}  # it has AS_SETs
    every = np.arange(len(table.path_asns))
    fast = path_positions(table.path_offsets, table.path_asns, table.path_marks)
    general = element_positions(table.path_offsets, table.path_asns, table.path_marks, every)
    assert np.array_equal(fast, general)
    # elements: 104,960 origin (prepends and final-set members included), 152,424 transit, 77,613 peer,
    # 11 both peer and origin (one-AS paths); no confederation members
    assert np.bincount(fast).tolist() == [0, 104960, 152424, 0, 77613, 11]
