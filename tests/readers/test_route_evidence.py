"""Route evidence as routes; each format sniffed by exactly one reader.

Per-AS observations: tests/analyses/test_route_observations.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvet.model import InputError
from netvet.model.route import iter_table_routes
from netvet.pipeline import load_prefix_index
from netvet.readers import READERS, load_all
from netvet.readers.base import read_head
from netvet.readers.route_evidence import (
    load_routes,
    read_as_path_list,
    sniff_format,
    table_prefix_origins,
)
from tests.conftest import SHARED_DATA, shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
ROUTE_SAMPLES = {
    "mrt/rib.20140523.0600_first9073records.mrt.gz": "mrt", "mrt/rib6.20151101.0600_firstMB.bz2": "mrt",
    "mrt/updates.20160811.1600.gz": "mrt", "mrt/quagga_bgp": "mrt", "mrt/bird-mrtdump_rib": "mrt",
    "mrt/openbgpd_rib_table-mp": "mrt", "mrt/rrc15_2010.02_updates.20100227.1610.gz": "mrt",
    "bgpdump-expect/updates.20160811.1600.gz.bgp.gz": "bgpdump-text",
    "bgpdump-expect/bview.ipv4_unicast_add_path.gz.bgp.gz": "bgpdump-text",
    "ipasn/ipasn_20140513.dat.gz": "ipasn", "ipasn/ipasn6_20151101.dat.gz": "ipasn",
    "inputs/traceroutes/ripe_atlas_sagan_traceroute_fw4460-4610_msm1000157.jsonl": "atlas-traceroute",
    "inputs/traceroutes/ripe_atlas_sagan_traceroute_ipv6_mtu_options.jsonl": "atlas-traceroute",
}
FIXTURES = {"paths.txt": "as-path-list", "hegemony.txt": "as-path-list", "atlas_mixed.jsonl": "atlas-traceroute",
            "atlas_array.json": "atlas-traceroute", "atlas_asn.ipasn": "ipasn"}


def _sniffers(path: Path) -> list[str]:
    load_all()
    head = read_head(path)
    return [name for name, cls in READERS.items() if cls().sniff(path, head)]


@pytest.mark.parametrize("rel", sorted(ROUTE_SAMPLES))
def test_each_shared_route_file_is_sniffed_by_exactly_one_reader(rel):
    assert _sniffers(shared_file(rel)) == [ROUTE_SAMPLES[rel]]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_each_route_fixture_is_sniffed_by_exactly_one_reader(name):
    assert _sniffers(FIX / name) == [FIXTURES[name]]


def test_other_inputs_are_not_taken_for_route_evidence():
    for rel in ("ipasn/asnames.json.gz", "inputs/flows/zeek_teredo_conn.log"):
        if (SHARED_DATA / rel).exists():
            assert sniff_format(read_head(SHARED_DATA / rel)) is None
    assert sniff_format(read_head(FIX / "scope-prefixes.txt")) is None
    assert sniff_format(b"vendor,model,mac\nHuawei,AR1220,00:11:22:33:44:55\n") is None


def test_as_path_list_reading_and_bad_lines(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("# comment\n192.0.2.0/24 64496 174 {64497,64498}\n"
                 "192.0.2.77/24 64496 174\n"  # host bits: kept, warned
                 "64496 3356 not-an-as\n"
                 "198.51.100.0/24 64496 {64497\n"
                 "64496 99999999999\n"
                 "\n3356 (65000 65001) 174\n")
    table, stats = read_as_path_list(f)
    assert (stats.read, stats.malformed) == (6, 3)
    assert [(i.line, i.severity, i.reason) for i in stats.issues] == [
        (3, "warning", "prefix 192.0.2.77/24 has host bits set; read as 192.0.2.0/24"),
        (4, "error", "not an AS path: '64496 3356 not-an-as'"),
        (5, "error", "not an AS path: '198.51.100.0/24 64496 {64497'"),
        (6, "error", "AS number out of range in '64496 99999999999'"),
    ]
    routes = list(iter_table_routes(table))
    assert [(r[0], r[2], r[3]) for r in routes] == [
        ("B", 64496, (64496, 174, frozenset({64497, 64498}))), ("B", 64496, (64496, 174)), ("B", 3356, (3356, 174))]
    assert [table.prefix(i) for i in range(2)] == ["192.0.2.0/24", "192.0.2.0/24"]
    assert table.family.tolist() == [4, 4, 0] and table.origin_asn.tolist() == [0, 174, 174]


def test_prefix_origin_files_become_origin_only_routes():
    table, stats = load_routes(FIX / "atlas_asn.ipasn")
    assert stats.format == "ipasn" and stats.read == 4
    assert list(iter_table_routes(table)) == [("B", "11.0.0.0/24", 0, (64510,)), ("B", "12.0.0.0/24", 0, (174,)),
                                              ("B", "13.0.0.0/24", 0, (64999,)), ("B", "2a00::/16", 0, (64496,))]


def test_a_rib_serves_as_ip_to_asn_database():
    path = shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz")
    table, _ = load_routes(path)
    po = table_prefix_origins(table, str(path))
    assert (po.v4_count, po.v6_count) == (9072, 0)
    index = load_prefix_index(path)
    assert index.lookup_one("1.0.4.1").asn == 56203
    assert index.lookup_one("1.0.4.1").prefix == "1.0.4.0/24"


def test_a_route_reader_yields_the_routes_and_their_record_counts():
    load_all()
    result = READERS["as-path-list"]().read(FIX / "paths.txt")
    assert result.observations == [] and result.routes is not None
    assert (result.stats.unit, result.stats.read, result.stats.malformed, len(result.routes)) == ("route", 13, 0, 13)


def test_netvet_audit_reads_route_evidence_through_the_pipeline():
    from netvet.attribution.oui import MacRegistry
    from netvet.attribution.registry import Registry
    from netvet.pipeline import Context, run_audit

    ctx = Context.build([str(FIX / "route-pack.yaml")], Registry.load(FIX / "registry"), macs=MacRegistry())
    report = run_audit([FIX / "paths.txt"], ctx)
    assert report.inputs[0].format == "as-path-list"
    verdicts = {f.label.split("#")[-1]: str(f.verdict) for f in report.findings}
    assert verdicts["AS174"] == "FAIL" and verdicts["AS65537"] == "FAIL" and verdicts["AS1174"] == "UNKNOWN"
    assert len(report.observations) == 12


def test_unrecognised_file(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"\x00\x01garbage" * 10)
    with pytest.raises(InputError, match="not route evidence"):
        load_routes(f)
