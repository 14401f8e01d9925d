"""Key facts of the curated global (non-PRC-covered) vendors, carriers and clouds (entities/global-*.yaml)."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from netvet.attribution.names import normalise
from netvet.attribution.registry import Registry

EXPECTED_NAMES = Path(__file__).resolve().parent / "expected_registry_names_global.json"


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry.load()


@pytest.fixture(scope="module")
def global_ids(reg) -> list[str]:
    return sorted(e for e in reg.entities if Path(reg.where[e].file).name.startswith("global-"))


@pytest.fixture(scope="module")
def ieee_orgs() -> set[str]:
    """Every organisation name (as spelled) of the IEEE MA-L and IAB files netaddr 1.3.0 ships."""
    import netaddr

    from netvet.attribution.oui import MacRegistry

    if netaddr.__version__ != "1.3.0":
        pytest.skip(f"expected names are those of netaddr 1.3.0, found {netaddr.__version__}")
    return {org for block in MacRegistry.bundled().blocks for org in block.orgs}


def _ids(reg: Registry, org: str) -> set[str]:
    return {m.entity_id for m in reg.registry_index.match(org)}


# ----------------------------------------------------------------------------- coverage
def test_counts_kinds_and_countries(reg, global_ids):
    assert len(global_ids) == 103
    kinds = defaultdict(int)
    for eid in global_ids:
        kinds[reg.get(eid).kind.value] += 1
    assert dict(kinds) == {"equipment-vendor": 45, "carrier": 29, "component-vendor": 12, "cloud": 7,
                           "holding": 6, "security-vendor": 3, "software-vendor": 1}
    countries = {reg.get(e).hq_country or reg.get(e).registration_country for e in global_ids}
    assert countries == {"AU", "BM", "CA", "CH", "CN", "DE", "ES", "FI", "FR", "GB", "HK", "IL", "IN", "JP",
                         "KR", "LV", "SE", "SG", "TW", "US"}
    assert len(countries) >= 12


def test_ids_the_prc_curation_relies_on_exist(reg):
    for eid in ("hpe", "aruba", "juniper", "3com", "hp"):
        assert eid in reg.entities


# ----------------------------------------------------------------------------- ownership over time
@pytest.mark.parametrize(("eid", "on", "parent"), [
    ("juniper", date(2025, 7, 1), None),
    ("juniper", date(2025, 7, 2), "hpe"),
    ("aruba", date(2015, 5, 18), None),
    ("aruba", date(2015, 6, 1), "hp"),
    ("aruba", date(2015, 10, 31), "hp"),
    ("aruba", date(2015, 11, 1), "hpe"),
    ("3com", date(2010, 4, 11), None),
    ("3com", date(2010, 4, 12), "hp"),
    ("3com", date(2015, 10, 31), "hp"),
    ("3com", date(2015, 11, 1), "hpe"),
    ("linksys", date(2003, 1, 1), None),
    ("linksys", date(2008, 6, 1), "cisco"),
    ("linksys", date(2013, 3, 14), "cisco"),
    ("linksys", date(2013, 3, 15), "belkin"),
    ("linksys", date(2018, 9, 19), "belkin"),
    ("linksys", date(2018, 9, 20), "fit-hon-teng"),
    ("belkin", date(2018, 9, 19), None),
    ("belkin", date(2018, 9, 20), "fit-hon-teng"),
    ("meraki", date(2013, 6, 1), "cisco"),
    ("alcatel-lucent", date(2016, 1, 3), None),
    ("alcatel-lucent", date(2016, 1, 4), "nokia"),
    ("nokia-shanghai-bell", date(2016, 6, 1), "alcatel-lucent"),
    ("nokia-shanghai-bell", date(2017, 7, 1), "nokia"),
    ("alcatel-lucent-enterprise", date(2014, 9, 30), "alcatel-lucent"),
    ("alcatel-lucent-enterprise", date(2014, 10, 1), None),  # 15% left: no controlling owner recorded
    ("axis", date(2015, 1, 1), None),
    ("axis", date(2015, 4, 8), "canon"),
    ("avigilon", date(2018, 3, 27), None),
    ("avigilon", date(2018, 3, 28), "motorola-solutions"),
    ("vmware", date(2018, 1, 1), "dell"),
    ("vmware", date(2022, 6, 1), None),
    ("vmware", date(2023, 11, 22), "broadcom"),
    ("mellanox", date(2020, 4, 26), None),
    ("mellanox", date(2020, 4, 27), "nvidia"),
    ("sierra-wireless", date(2023, 1, 11), None),
    ("sierra-wireless", date(2023, 1, 12), "semtech"),
    ("ruckus", date(2017, 11, 20), "broadcom"),
    ("ruckus", date(2017, 12, 1), "arris"),
    ("arris", date(2019, 4, 3), None),
    ("arris", date(2019, 4, 4), "commscope"),
    ("arelion", date(2020, 12, 31), "telia"),
    ("arelion", date(2021, 6, 1), "polhem-infra"),
    ("google", date(2015, 10, 2), "alphabet"),
    ("samsung-electro-mechanics", date(2025, 1, 1), None),  # affiliate, not a subsidiary
])
def test_controlling_owner(reg, eid, on, parent):
    assert reg.parent(eid, on) == parent


def test_hp_split_subsidiaries(reg):
    def networking(owner, on):
        return [s for s, _ in reg.subsidiaries(owner, on) if s in ("3com", "aruba")]
    assert networking("hp", date(2015, 6, 1)) == ["3com", "aruba"]
    assert networking("hp", date(2016, 1, 1)) == []
    assert networking("hpe", date(2015, 6, 1)) == []
    after = {s for s, _ in reg.subsidiaries("hpe", date(2025, 8, 1))}
    assert {"3com", "aruba", "juniper"} <= after
    assert "juniper" not in {s for s, _ in reg.subsidiaries("hpe", date(2025, 7, 1))}


def test_linksys_chain_ends_at_foxconn(reg):
    assert reg.ancestors("linksys", date(2020, 1, 1)) == ["fit-hon-teng", "foxconn"]
    assert reg.ancestors("linksys", date(2015, 1, 1)) == ["belkin"]
    assert reg.ancestors("linksys", date(2010, 1, 1)) == ["cisco"]
    assert reg.jurisdictions("linksys", date(2020, 1, 1)) == {
        "registration": None, "headquarters": "US", "ultimate_parent": "TW", "ultimate_parent_id": "foxconn"}
    assert reg.jurisdictions("linksys", date(2010, 1, 1))["ultimate_parent"] == "US"


def test_axis_ultimate_parent_is_canon_in_japan(reg):
    assert reg.jurisdictions("axis", date(2020, 1, 1)) == {
        "registration": "SE", "headquarters": "SE", "ultimate_parent": "JP", "ultimate_parent_id": "canon"}
    assert reg.ultimate_parent("axis", date(2014, 1, 1)) == "axis"


def test_juniper_jurisdiction_through_hpe(reg):
    assert reg.ultimate_parent("juniper", date(2025, 7, 2)) == "hpe"
    assert reg.ultimate_parent("juniper", date(2025, 7, 1)) == "juniper"
    assert reg.jurisdictions("juniper", date(2025, 8, 1))["ultimate_parent"] == "US"


def test_nokia_shanghai_bell_joint_venture(reg):
    nsb = reg.get("nokia-shanghai-bell")
    now = {o.owner: (o.share, o.controlling()) for o in reg.owners("nokia-shanghai-bell", date(2024, 1, 1))}
    assert now == {"nokia": (50, True)}
    assert [(s.state, s.share) for s in nsb.state_ownership] == [("CN", 50)]
    assert "China Huaxin" in nsb.state_ownership[0].via
    assert reg.ultimate_parent("nokia-shanghai-bell", date(2016, 6, 1)) == "nokia"
    assert reg.jurisdictions("nokia-shanghai-bell", date(2024, 1, 1)) == {
        "registration": "CN", "headquarters": "CN", "ultimate_parent": "FI", "ultimate_parent_id": "nokia"}


def test_alcatel_lucent_enterprise_is_prc_state_controlled(reg):
    ale = reg.get("alcatel-lucent-enterprise")
    assert [(s.state, s.share) for s in ale.state_ownership] == [("CN", 85)]
    assert {o.owner: o.share for o in reg.owners("alcatel-lucent-enterprise", date(2015, 1, 1))} == {
        "alcatel-lucent": 15}
    assert reg.designations_of("alcatel-lucent-enterprise") == []


def test_state_shareholdings_of_carriers(reg):
    ids = ("telia", "orange", "deutsche-telekom", "ntt", "singtel", "telefonica", "polhem-infra", "bt")
    got = {e: [(s.state, s.share) for s in reg.get(e).state_ownership] for e in ids}
    assert got == {"telia": [("SE", 39.5)], "orange": [("FR", 23)], "deutsche-telekom": [("DE", 30)],
                   "ntt": [("JP", 33.3)], "singtel": [("SG", 52)], "telefonica": [("ES", 10)],
                   "polhem-infra": [("SE", 100)], "bt": []}


# ----------------------------------------------------------------------------- identifiers
EXPECTED_ASNS = {
    174: "cogent", 209: "lumen", 577: "bell-canada", 701: "verizon", 812: "rogers", 852: "telus",
    1221: "telstra", 1273: "vodafone", 1299: "arelion", 2516: "kddi", 2856: "bt", 2914: "ntt",
    3209: "vodafone", 3215: "orange", 3257: "gtt", 3301: "telia", 3320: "deutsche-telekom",
    3352: "telefonica",
    3356: "lumen", 3491: "pccw", 3549: "lumen", 4637: "telstra", 4755: "tata-communications", 4766: "kt",
    5400: "bt", 5511: "orange", 6453: "tata-communications", 6461: "zayo", 6830: "liberty-global",
    6939: "hurricane-electric", 7018: "att", 7473: "singtel", 8075: "microsoft", 9318: "sk-broadband",
    12956: "telefonica", 13335: "cloudflare", 14618: "aws", 15169: "google", 16509: "aws", 16625: "akamai",
    17676: "softbank", 20940: "akamai", 31898: "oracle", 54113: "fastly", 55836: "jio", 396982: "google",
}


def test_asns_exact_and_unique(reg, global_ids):
    claimed = [(f.value, e) for e in global_ids for f in reg.get(e).asns]
    assert len(claimed) == len({v for v, _ in claimed}) == 46
    assert dict(claimed) == EXPECTED_ASNS
    for asn, eid in EXPECTED_ASNS.items():
        assert reg.by_asn[asn] == eid


@pytest.mark.parametrize(("pen", "eid"), [
    (9, "cisco"), (2636, "juniper"), (1411, "juniper"), (4874, "juniper"), (30065, "arista"),
    (29671, "meraki"), (94, "nokia"), (637, "nokia"), (3729, "nokia"), (6527, "nokia"), (7483, "nokia"),
    (28458, "nokia"), (58616, "nokia-shanghai-bell"), (6486, "alcatel-lucent-enterprise"), (193, "ericsson"),
    (2352, "ericsson"), (3881, "ericsson"), (11, "hp"), (47196, "hpe"), (14823, "aruba"), (43, "3com"),
    (14988, "mikrotik"), (368, "axis"), (36849, "hanwha-vision"), (46202, "avigilon"), (12356, "fortinet"),
    (25461, "palo-alto-networks"), (2620, "check-point"), (41112, "ubiquiti"), (33049, "mellanox"),
    (6876, "vmware"), (3955, "linksys"),
])
def test_pens(reg, pen, eid):
    assert reg.by_pen[pen] == eid


def test_pens_and_cpe_vendors_unique(reg, global_ids):
    pens = [f.value for e in global_ids for f in reg.get(e).pens]
    assert len(pens) == len(set(pens)) == 101  # 101 since Dell took Force10's PEN 6027
    cpes = [v for e in global_ids for v in reg.get(e).cpe_vendors]
    assert len(cpes) == len(set(cpes)) == 63
    assert {reg.by_cpe_vendor[v] for v in ("cisco", "juniper", "arista", "nokia", "ui", "thalesgroup")} == {
        "cisco", "juniper", "arista", "nokia", "ubiquiti", "thales"}


def test_domains(reg):
    assert reg.by_domain["juniper.net"] == "juniper"
    assert reg.by_domain["amazonaws.com"] == "aws"
    assert reg.by_domain["nokia-sbell.com"] == "nokia-shanghai-bell"


# ----------------------------------------------------------------------------- IEEE registry names
def test_registry_names_claims_are_exact(reg, global_ids, ieee_orgs):
    """Each curated entity claims exactly the raw IEEE organisation names listed in the expected file."""
    expected = json.loads(EXPECTED_NAMES.read_text(encoding="utf-8"))
    assert sorted(expected) == global_ids
    got: dict[str, set[str]] = defaultdict(set)
    for org in ieee_orgs:
        ids = _ids(reg, org)
        for eid in ids & set(global_ids):
            assert ids == {eid}, f"{org!r} claimed by several entities: {sorted(ids)}"
            got[eid].add(org)
    assert {e: sorted(got[e]) for e in global_ids} == expected
    assert sum(len(v) for v in expected.values()) == 307


def test_every_exact_rule_is_used(reg, global_ids, ieee_orgs):
    used = {normalise(o) for o in ieee_orgs}
    for eid in global_ids:
        rules = reg.get(eid).registry_names
        if rules:
            assert set(rules.exact) <= used, eid
            assert rules.patterns == []


@pytest.mark.parametrize(("org", "eid"), [
    ("Cisco Systems, Inc", "cisco"),
    ("Cisco Meraki", "meraki"),
    ("Cisco-Linksys, LLC", "linksys"),
    ("Routerboard.com", "mikrotik"),
    ("Nokia Shanghai Bell Co., Ltd.", "nokia-shanghai-bell"),
    ("Alcatel-Lucent Shanghai Bell Co., Ltd", "nokia-shanghai-bell"),
    ("Aruba, a Hewlett Packard Enterprise Company", "aruba"),
    ("Hewlett Packard", "hp"),
    ("SAMSUNG TECHWIN CO.,LTD", "hanwha-vision"),
    ("FOXCONN INTERCONNECT TECHNOLOGY", "fit-hon-teng"),
    ("Hon Hai Precision Ind. Co.,Ltd.", "foxconn"),
    ("eero inc.", "amazon"),
])
def test_registry_name_lookup(reg, org, eid):
    assert _ids(reg, org) == {eid}


@pytest.mark.parametrize("org", [
    "Arista Corp", "Arista Systems Corporation", "Juniper Systems", "Checkpoint Systems, Inc.",
    "Broadcom Technologies", "Axis Electronics", "TELSTRAT", "Intelbras", "YAMAHA MOTOR CO.,LTD",
    "Ericsson Television Limited", "Siemens Home & Office Comm. Devices", "Thales e-Security Ltd.",
    "Panasonic Automotive Systems Co.,Ltd", "NEC Personal Computers, Ltd.", "Scientific-Atlanta, Inc",
])
def test_unrelated_or_divested_names_not_claimed(reg, global_ids, org):
    assert not _ids(reg, org) & set(global_ids)
