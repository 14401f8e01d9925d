"""Key facts of the curated PRC-linked / covered entities and the US designation lists (bundled registry)."""

from __future__ import annotations

from datetime import date

import pytest

from netvet.attribution.registry import Registry


@pytest.fixture(scope="module")
def reg() -> Registry:
    return Registry.load()


def _names(reg: Registry, org: str) -> set[str]:
    return {m.entity_id for m in reg.registry_index.match(org)}


# ----------------------------------------------------------------------------- ownership over time
def test_honor_parent_before_and_after_divestiture(reg):
    assert reg.parent("honor", date(2020, 11, 16)) == "huawei"
    assert reg.parent("honor", date(2020, 11, 17)) == "shenzhen-zhixin"
    assert reg.ultimate_parent("honor", date(2019, 1, 1)) == "huawei-investment-holding"
    assert reg.ultimate_parent("honor", date(2021, 1, 1)) == "shenzhen-zhixin"
    before = {(d.list, d.entry, via) for d, via in reg.affiliated_designations("honor", date(2020, 6, 1))}
    assert ("fcc-covered-list", "1", "huawei") in before
    after = {(d.list, d.entry, via) for d, via in reg.affiliated_designations("honor", date(2021, 6, 1))}
    assert after == set()


@pytest.mark.parametrize(("on", "owner"), [
    (date(2004, 6, 1), "huawei"),          # Huawei-3Com JV, Huawei 51%
    (date(2006, 1, 26), "huawei"),
    (date(2006, 1, 27), "3com"),           # 3Com 51% from 27 Jan 2006
    (date(2008, 6, 1), "3com"),            # 3Com 100% from 29 Mar 2007
    (date(2012, 6, 1), "3com"),
    (date(2016, 5, 1), "unisplendour"),    # Unisplendour 51% / HPE 49%
    (date(2020, 1, 1), "unisplendour"),
    (date(2025, 1, 1), "unisplendour"),    # 81% / 19%
    (date(2026, 6, 1), "unisplendour"),
])
def test_h3c_controlling_owner(reg, on, owner):
    assert reg.parent("h3c", on) == owner


def test_h3c_shares(reg):
    def shares(on):
        return {o.owner: o.share for o in reg.owners("h3c", on)}
    assert shares(date(2004, 6, 1)) == {"huawei": 51, "3com": 49}
    assert shares(date(2006, 6, 1)) == {"huawei": 49, "3com": 51}
    assert shares(date(2010, 6, 1)) == {"3com": 100}
    assert shares(date(2020, 1, 1)) == {"unisplendour": 51, "hpe": 49}
    assert shares(date(2025, 1, 1)) == {"unisplendour": 81, "hpe": 19}
    assert shares(date(2026, 6, 1)) == {"unisplendour": 81, "hpe": 9}


def test_hikvision_chain_to_the_state(reg):
    assert reg.ancestors("hikvision") == ["cethik", "cetc", "sasac"]
    assert reg.ultimate_parent("hikvision") == "sasac"
    assert reg.ultimate_parent("ezviz") == "sasac"
    assert reg.jurisdictions("hikvision")["ultimate_parent"] == "CN"
    assert [s.state for s in reg.get("hikvision").state_ownership] == ["CN"]
    assert reg.parent("prama-hikvision-india") is None  # JV: no control asserted


def test_carrier_chains(reg):
    assert reg.ancestors("china-telecom-americas") == [
        "china-telecom-global", "china-telecom-corp", "china-telecom-group", "sasac"]
    assert reg.ancestors("china-mobile-international-usa") == [
        "china-mobile-international", "china-mobile-ltd", "china-mobile-group", "sasac"]
    assert reg.ancestors("china-unicom-americas") == [
        "china-unicom-global", "china-unicom-hk", "china-unicom-group", "sasac"]
    assert reg.ancestors("comnet") == ["pacific-networks", "citic-telecom", "citic-group"]
    j = reg.jurisdictions("china-telecom-americas")
    assert (j["registration"], j["ultimate_parent"], j["ultimate_parent_id"]) == ("US", "CN", "sasac")


def test_china_telecom_americas_designations_via_affiliation(reg):
    got = {(d.list, d.entry, via) for d, via in reg.affiliated_designations("china-telecom-americas")}
    assert got == {
        ("fcc-covered-list", "8", "china-telecom-americas"),
        ("clean-network", "clean-carrier", "china-telecom-americas"),
        ("clean-network", "clean-cloud", "china-telecom-corp"),
    }


def test_other_ownership_history(reg):
    assert reg.parent("hmn-technologies", date(2019, 6, 1)) == "huawei"
    assert reg.parent("hmn-technologies", date(2021, 1, 1)) == "hengtong-optic-electric"
    assert reg.parent("lorex", date(2020, 1, 1)) == "dahua"
    assert reg.parent("lorex", date(2024, 1, 1)) is None
    assert reg.parent("huawei-symantec", date(2010, 1, 1)) == "huawei"
    assert [o.share for o in reg.owners("huawei-symantec", date(2010, 1, 1))] == [51]
    assert [o.share for o in reg.owners("huawei-symantec", date(2013, 1, 1))] == [100]
    assert reg.parent("sepura", date(2018, 1, 1)) == "hytera"
    assert reg.parent("motorola-mobility", date(2014, 10, 29)) is None
    assert reg.parent("motorola-mobility", date(2014, 10, 30)) == "lenovo"
    assert reg.parent("tp-link-corporation", date(2025, 1, 1)) == "tp-link-systems"
    assert reg.jurisdictions("tp-link-corporation", date(2025, 1, 1))["ultimate_parent"] == "US"
    assert reg.ultimate_parent("zte") == "zhongxingxin"


# ----------------------------------------------------------------------------- designation lists
FCC_ROWS = {
    "1": date(2021, 3, 12), "2": date(2021, 3, 12), "3": date(2021, 3, 12), "4": date(2021, 3, 12),
    "5": date(2021, 3, 12), "6": date(2022, 3, 25), "7": date(2022, 3, 25), "8": date(2022, 3, 25),
    "9": date(2022, 9, 20), "10": date(2022, 9, 20), "11": date(2024, 7, 23), "12": date(2025, 12, 22),
    "13": date(2026, 3, 23), "14": date(2026, 7, 7), "15": date(2026, 7, 28), "16": date(2026, 7, 28),
}


def test_every_fcc_covered_list_row_with_its_date(reg):
    fcc = [d for d in reg.designations if d.list == "fcc-covered-list"]
    assert {d.entry for d in fcc} == set(FCC_ROWS)
    for d in fcc:
        assert d.date_added == FCC_ROWS[d.entry], d.entry
    named = {(d.entry, d.entity) for d in fcc if d.entity}
    assert named == {
        ("1", "huawei"), ("2", "zte"), ("3", "hytera"), ("4", "hikvision"), ("5", "dahua"),
        ("6", "kaspersky"), ("7", "china-mobile-international-usa"), ("8", "china-telecom-americas"),
        ("9", "pacific-networks"), ("9", "comnet"), ("10", "china-unicom-americas"),
        ("11", "kaspersky-lab-inc"), ("12", "dji"), ("12", "autel-robotics"),
        ("14", "digitalsystem-technology"),
    }
    categories = {(d.entry, d.category) for d in fcc if d.entity is None}
    assert categories == {
        ("12", "foreign-produced-uas"), ("13", "foreign-produced-consumer-routers"),
        ("15", "foreign-produced-power-inverters"), ("16", "foreign-produced-advanced-robotic-devices"),
    }
    assert all(d.scope == "category" and not d.includes_affiliates for d in fcc if d.entity is None)
    assert all(d.includes_affiliates for d in fcc if d.entity)
    roles = ["public-safety", "government-facility", "critical-infrastructure", "national-security",
             "physical-security"]
    conditional = {d.entry for d in fcc if d.scope == "conditional-use"}
    assert conditional == {"3", "4", "5"}
    assert all(d.scope_roles == roles for d in fcc if d.scope == "conditional-use")
    assert {d.entry for d in fcc if d.scope == "services"} == {"7", "8", "9", "10", "14"}


def test_ndaa_889(reg):
    ndaa = {d.entity: d for d in reg.designations if d.list == "ndaa-889" and d.entity}
    assert {e: d.scope for e, d in ndaa.items()} == {
        "huawei": "all", "zte": "all", "hytera": "conditional-use", "hikvision": "conditional-use",
        "dahua": "conditional-use"}
    assert all(d.includes_affiliates and "subsidiary or affiliate" in d.scope_text for d in ndaa.values())
    # a Hikvision subsidiary inherits it through its parent
    got = {(d.list, via) for d, via in reg.affiliated_designations("ezviz")}
    assert ("ndaa-889", "hikvision") in got and ("fcc-covered-list", "hikvision") in got


def test_clean_network_lines(reg):
    lines: dict[str, set[str]] = {}
    for d in reg.designations:
        if d.list == "clean-network":
            lines.setdefault(d.entry, set()).add(d.entity)
    assert lines == {
        "clean-path": {"huawei", "zte"},
        "clean-carrier": {"china-telecom-americas", "china-unicom-americas", "pacific-networks", "comnet",
                          "china-mobile-ltd"},
        "clean-store": {"bytedance", "tencent"},
        "clean-apps": {"huawei"},
        "clean-cloud": {"alibaba", "baidu", "tencent", "china-mobile-ltd", "china-telecom-corp"},
        "clean-cable": {"hmn-technologies"},
    }


def test_commerce_entity_list(reg):
    el = {d.entity: d.date_added for d in reg.designations if d.list == "commerce-entity-list"}
    assert el == {
        "huawei": date(2019, 5, 16), "hisilicon": date(2019, 5, 16), "huawei-device": date(2019, 5, 16),
        "hikvision": date(2019, 10, 9), "dahua": date(2019, 10, 9), "dji": date(2020, 12, 22),
        "inspur-group": date(2023, 3, 2),
    }
    assert not any(d.includes_affiliates for d in reg.designations if d.list == "commerce-entity-list")


# ----------------------------------------------------------------------------- identifiers
def test_asns_on_the_right_entities(reg):
    expected = {
        4134: "china-telecom-corp", 4809: "china-telecom-corp", 23764: "china-telecom-global",
        4837: "china-unicom-hk", 9929: "china-unicom-hk", 10099: "china-unicom-global",
        9808: "china-mobile-ltd", 56040: "china-mobile-ltd", 58453: "china-mobile-international",
        58807: "china-mobile-international", 45102: "alibaba-cloud", 37963: "alibaba-cloud",
        45090: "tencent-computer-system", 132203: "tencent", 38365: "baidu-netcom",
        136907: "huawei-cloud", 55990: "huawei-cloud",
    }
    assert {asn: reg.by_asn.get(asn) for asn in expected} == expected
    assert 55967 not in reg.by_asn  # disputed (Baidu vs Pearl Abyss): not recorded


def test_pens(reg):
    expected = {
        2011: "huawei", 34774: "huawei-symantec", 3902: "zte", 39165: "hikvision", 37496: "dahua",
        40297: "hytera", 46055: "hytera", 58597: "hytera", 23668: "kaspersky", 25506: "h3c", 61878: "h3c",
        39747: "uniview", 60913: "tiandy", 11408: "fiberhome", 49625: "china-telecom-corp",
        56278: "china-mobile-iot", 58942: "china-mobile-international", 11863: "tp-link-systems",
    }
    assert {pen: reg.by_pen.get(pen) for pen in expected} == expected


@pytest.mark.parametrize(("org", "entities"), [
    ("HUAWEI TECHNOLOGIES CO.,LTD", {"huawei"}),
    ("Huawei Device Co., Ltd.", {"huawei-device"}),
    ("Huawei Symantec Technologies Co.,Ltd.", {"huawei-symantec"}),
    ("Honor Device Co., Ltd.", {"honor"}),
    ("zte corporation", {"zte"}),
    ("ZHONGXING TELECOM LTD.", {"zte"}),
    ("Hangzhou H3C Technologies Co., Limited", {"h3c"}),
    ("New H3C Technologies Co., Ltd", {"h3c"}),
    ("ZHEJIANG DAHUA TECHNOLOGYCO.,LTD", {"dahua"}),
    ("Hangzhou Microimage Software Co., Ltd", {"hikmicro"}),
    ("TP-Link Corporation Limited", {"tp-link-corporation"}),
    ("TP-LINK TECHNOLOGIES CO.,LTD.", {"tp-link-technologies"}),
    # look-alikes that must stay unattributed
    ("ZTEC Instruments, Inc.", set()),
    ("Wuxi Zhongxing Optoelectronics Technology Co.,Ltd.", set()),
    ("Beijing Autelan Technology Co.,Ltd", set()),
    ("FIRST PACIFIC NETWORKS, INC.", set()),
    ("ARLOTTO COMNET, INC.", set()),
    ("Shenzhen Hikeen Technology CO.,LTD", set()),
    ("Beijing Unigroup Tsingteng Microsystem Co., LTD.", set()),
    ("FuJian HengTong Information Technology Co.,Ltd", set()),
    ("Symantec Corporation", set()),
])
def test_registry_name_rules(reg, org, entities):
    assert _names(reg, org) == entities


def test_cpe_vendors(reg):
    expected = {"huawei": "huawei", "zte": "zte", "hikvision": "hikvision", "dahuasecurity": "dahua",
                "kaspersky": "kaspersky", "h3c": "h3c", "tp-link": "tp-link-systems", "dji": "dji"}
    assert {v: reg.by_cpe_vendor.get(v) for v in expected} == expected
