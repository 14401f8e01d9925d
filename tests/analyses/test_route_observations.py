"""Routes -> one observation per AS (analyses.route_observations), and how the pipeline counts them."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvet.analyses.route_observations import as_observations, route_observations
from netvet.model import InputError, ReadStats
from netvet.model.route import RouteTableBuilder
from netvet.readers.route_evidence import load_routes
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"


def test_as_observations_of_an_update_file():
    table, _ = load_routes(shared_file("mrt/updates.20160811.1600.gz"))
    obs = {o.attributes["asn"]: o for o in as_observations(table, "u.gz")}
    assert len(obs) == 634
    ct = obs["4134"]
    assert ct.kind == "as" and ct.identifiers[0].value == "AS4134" and ct.identifiers[0].kind == "asn"
    assert ct.attributes == {"asn": "4134", "routes": "1058", "positions": "origin,transit",
                             "prefixes_originated": "17", "address_space_ipv4": "78848", "address_space_ipv6_48": "0"}
    assert obs["58453"].attributes["positions"] == "transit"


def test_route_observations_are_counted_per_as_with_the_record_counts_beside():
    table, stats = load_routes(FIX / "paths.txt")
    observations, counted = route_observations(FIX / "paths.txt", table, stats)
    assert [o.id for o in observations][:3] == [f"{FIX / 'paths.txt'}#AS174", f"{FIX / 'paths.txt'}#AS1174",
                                                f"{FIX / 'paths.txt'}#AS3356"]
    assert (counted.unit, counted.read, counted.malformed, counted.skipped) == ("AS", 12, 0, 0)
    assert counted.source_counts == {"unit": "route", "read": 13, "malformed": 0, "skipped": 0, "damaged": 0}


def test_an_input_without_routes_is_an_input_error():
    stats = ReadStats("empty.txt", "as-path-list")
    stats.problem("not an AS path: 'x'", line=1)
    with pytest.raises(InputError, match=r"no routes in this input \(first problem: not an AS path: 'x'\)"):
        route_observations("empty.txt", RouteTableBuilder().build(), stats)
