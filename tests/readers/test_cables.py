"""The submarine cable map reader: cables, landing points, owner/supplier names, routes; directory and archive."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

import pytest

from netvet.model import InputError
from netvet.readers.cables import country_code, load_cable_map, split_names
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "cables"


def test_fixture_counts_and_problems():
    m = load_cable_map(FIX)
    s = m.stats
    assert (s.read, s.malformed) == (5, 2)
    assert sorted(m.cables) == ["alpha", "beta", "gamma"]
    assert [i.reason for i in s.issues] == [
        "cable/broken.json: not valid JSON (Expecting property name enclosed in double quotes: line 2, column 1)",
        "cable/noid.json: /id: missing or not a string",
        "landing-point/landing-point-geo.json: /features/5: not a Point feature with an id and coordinates; left out",
    ]
    assert [i.severity for i in s.issues] == ["error", "error", "warning"]


def test_owners_and_suppliers_split():
    m = load_cable_map(FIX)
    alpha = m.cables["alpha"]
    assert [p.name for p in alpha.owners] == ["China Telecom", "Google", "Arelion (formerly Telia Carrier)",
                                              "Acme Cable, Inc."]
    assert alpha.owners[2].forms == ("Arelion (formerly Telia Carrier)", "Arelion", "Telia Carrier")
    assert [p.name for p in alpha.suppliers] == ["HMN Tech"]
    assert [p.name for p in m.cables["beta"].suppliers] == ["SubCom", "ASN"]
    assert m.cables["gamma"].parties == ()
    assert (m.cables["beta"].is_planned, m.cables["beta"].rfs_year) == (True, 2025)


@pytest.mark.parametrize(("text", "names"), [
    ("Telia Eesti (formerly Eesti Telekom, EMT, Elion), Foo, Inc., Bar,, Baz",
     ["Telia Eesti (formerly Eesti Telekom, EMT, Elion)", "Foo, Inc.", "Bar", "Baz"]),
    ("", []),
    (None, []),
    ("ASN, KDD-SCS, SubCom", ["ASN", "KDD-SCS", "SubCom"]),
])
def test_split_names(text, names):
    assert split_names(text) == names


def test_landing_points_countries_coordinates():
    m = load_cable_map(FIX)
    us = m.country_points("us")
    assert [(p.id, p.country_code, p.lon, p.lat, p.cables) for p in us] == [
        ("hermosa-beach-ca-united-states", "US", -118.4, 33.86, ["alpha"]),
        ("virginia-beach-va-united-states", "US", -75.98, 36.85, ["beta"]),
    ]
    assert [c.id for c in m.country_cables("JP")] == ["alpha", "gamma"]
    assert country_code("Côte d'Ivoire") == "CI" and country_code("Atlantis") is None


def test_routes_lazy_and_filtered():
    m = load_cable_map(FIX)
    r = m.routes({"alpha", "beta"})
    assert sorted(r) == ["alpha", "beta"]
    assert len(r["alpha"]) == 2 and r["alpha"][0][0] == (-118.4, 33.86)
    assert r["beta"] == [[(-75.98, 36.85), (-40.0, 42.0), (-2.93, 43.26)]]
    assert any("not a (Multi)LineString" in i.reason for i in m.stats.issues)


def _archive(tmp_path: Path, kind: str) -> Path:
    files = [f for f in FIX.rglob("*.json")]
    if kind == "tar":
        out = tmp_path / "smc.tar.gz"
        with tarfile.open(out, "w:gz") as t:
            for f in files:
                t.add(f, arcname=f"repo-master/public/api/v3/{f.relative_to(FIX)}")
    else:
        out = tmp_path / "smc.zip"
        with zipfile.ZipFile(out, "w") as z:
            for f in files:
                z.write(f, f"repo-master/public/api/v3/{f.relative_to(FIX)}")
    return out


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_archive_reads_the_same(tmp_path, kind):
    m = load_cable_map(_archive(tmp_path, kind))
    assert (m.stats.read, m.stats.malformed, sorted(m.cables)) == (5, 2, ["alpha", "beta", "gamma"])
    assert m.routes({"beta"})["beta"][0][-1] == (-2.93, 43.26)
    assert m.country_points("US")[0].lon == -118.4


def test_unreadable_inputs(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_cable_map(tmp_path / "missing")
    with pytest.raises(InputError, match="no cable/ folder"):
        load_cable_map(tmp_path)
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"hello")
    with pytest.raises(InputError, match="neither a directory"):
        load_cable_map(junk)
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(InputError, match="damaged or truncated"):
        load_cable_map(bad)


def test_real_data_counts():
    root = shared_file("cables/cable/cable-geo.json").parents[1]
    m = load_cable_map(root)
    assert (m.stats.read, m.stats.malformed, len(m.cables), len(m.landing_points)) == (521, 0, 521, 1414)
    assert (len(m.country_cables("US")), len(m.country_points("US"))) == (88, 122)
    assert all(p.lon is not None for p in m.landing_points.values())
    assert not [i for i in m.stats.issues if "no ISO code" in i.reason]
    assert [p.name for p in m.cables["2africa"].suppliers] == ["ASN"]
    assert len(m.routes({"2africa"})["2africa"]) == 47
