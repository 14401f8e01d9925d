"""IANA Private Enterprise Numbers: IANA text and Wireshark TSV loaders, sysObjectID parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvet.attribution.pen import OidStatus, PenRegistry, parse_sysobjectid
from netvet.model import InputError
from tests.conftest import system_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pen"
ENTERPRISES_TSV = "/usr/share/wireshark/enterprises.tsv"  # Debian libwireshark-data 4.0.17 (IANA 2024-08-23)
TSV_LABEL = "Wireshark enterprises.tsv (IANA data of 2024-08-23)"
IANA_LABEL = "IANA enterprise-numbers (last updated 2024-08-23)"




@pytest.fixture(scope="module")
def debian_pens() -> PenRegistry:
    reg = PenRegistry()
    reg.load_wireshark_tsv(system_file(ENTERPRISES_TSV))
    return reg


# --------------------------------------------------------------------------- sysObjectID
@pytest.mark.parametrize("text,oid,pen,rest", [
    ("1.3.6.1.4.1.2011.2.23.96", "1.3.6.1.4.1.2011.2.23.96", 2011, (2, 23, 96)),
    (".1.3.6.1.4.1.9.1.359", "1.3.6.1.4.1.9.1.359", 9, (1, 359)),
    ("iso.3.6.1.4.1.9.1.359", "1.3.6.1.4.1.9.1.359", 9, (1, 359)),
    ("SNMPv2-SMI::enterprises.9.1.359", "1.3.6.1.4.1.9.1.359", 9, (1, 359)),
    ("OID: SNMPv2-SMI::enterprises.2011.2.224.67", "1.3.6.1.4.1.2011.2.224.67", 2011, (2, 224, 67)),
    ("iso.org.dod.internet.private.enterprises.25506.1.1", "1.3.6.1.4.1.25506.1.1", 25506, (1, 1)),
    ("iso(1).org(3).dod(6).internet(1).private(4).enterprises(1).3902.1", "1.3.6.1.4.1.3902.1", 3902, (1,)),
    (' "1.3.6.1.4.1.39165" ', "1.3.6.1.4.1.39165", 39165, ()),
])
def test_sysobjectid_enterprise(text, oid, pen, rest):
    got = parse_sysobjectid(text)
    assert (got.status, got.oid, got.pen, got.rest, got.reason, got.ok) == (
        OidStatus.ENTERPRISE, oid, pen, rest, None, True)
    assert got.text == text


@pytest.mark.parametrize("text,status,pen,reason", [
    ("enterprises.4294967295", OidStatus.BOGUS, 4294967295,
     "PEN 4294967295 (2^32-1) is a placeholder some agents report, not an IANA assignment"),
    ("1.3.6.1.4.1.4294967296.1", OidStatus.BOGUS, 4294967296,
     "PEN 4294967296 is above 2^32-1, outside the range IANA assigns"),
    ("1.3.6.1.4.1.1004849.1", OidStatus.BOGUS, 1004849,
     "PEN 1004849 was never assigned by IANA (reported by some Dahua devices)"),
    ("enterprises.0", OidStatus.BOGUS, 0, "PEN 0 is reserved by IANA and names no enterprise"),
    ("1.3.6.1.4.1.32473.1", OidStatus.BOGUS, 32473,
     "PEN 32473 is IANA's example number for documentation (RFC 5612), not a vendor"),
    ("1.3.6.1.2.1.1.2.0", OidStatus.NOT_ENTERPRISE, None,
     "not under 1.3.6.1.4.1 (enterprises), so it names no vendor"),
    ("0.0", OidStatus.NOT_ENTERPRISE, None, "zeroDotZero: the agent reports no sysObjectID"),
    ("SNMPv2-SMI::zeroDotZero", OidStatus.NOT_ENTERPRISE, None,
     "zeroDotZero: the agent reports no sysObjectID"),
    ("1.3.6.1.4.1", OidStatus.MALFORMED, None, "no enterprise number after 1.3.6.1.4.1"),
    ("", OidStatus.MALFORMED, None, "empty sysObjectID (the agent reported none)"),
    ("1.3..6.1", OidStatus.MALFORMED, None, "not an OID: bad arc ''"),
    ("1.3.6.1.4.1.-9", OidStatus.MALFORMED, None, "not an OID: bad arc '-9'"),
    ("CISCO-PRODUCTS-MIB::cisco2811", OidStatus.MALFORMED, None,
     "symbolic name 'CISCO-PRODUCTS-MIB::cisco2811' needs its MIB to resolve; give the numeric OID "
     "(e.g. snmpget -On)"),
    ("iso.org.private.enterprises.9", OidStatus.MALFORMED, None, "not an OID: 'private' cannot follow 1.3"),
])
def test_sysobjectid_flagged(text, status, pen, reason):
    got = parse_sysobjectid(text)
    assert (got.status, got.pen, got.reason, got.ok) == (status, pen, reason, False)


def test_sysobjectid_to_dict():
    assert parse_sysobjectid("enterprises.9.1.1").to_dict() == {
        "text": "enterprises.9.1.1", "status": "enterprise", "oid": "1.3.6.1.4.1.9.1.1", "pen": 9,
        "rest": [1, 1], "reason": None}


# --------------------------------------------------------------------------- registry
def test_bundled_is_empty():
    reg = PenRegistry.bundled()
    assert (len(reg), reg.lookup(2011), reg.dataset, reg.max_pen()) == (0, None, None, None)


def test_debian_enterprises_tsv(debian_pens):
    (rep,) = debian_pens.reports
    assert (rep.dataset, rep.records, rep.added, rep.duplicates, rep.malformed) == (
        TSV_LABEL, 62240, 62240, 0, 0)
    assert (len(debian_pens), debian_pens.max_pen(), debian_pens.dataset) == (62240, 62331, TSV_LABEL)
    assert debian_pens.lookup(2011) == "HUAWEI Technology Co.,Ltd"
    assert debian_pens.lookup(9) == "ciscoSystems"
    assert debian_pens.lookup(3902) == "Zhongxing Telecom Co.,ltd. (abbr. ZTE)"
    assert debian_pens.lookup(39165) == "Hikvision Digital Technology Co., Ltd."
    assert debian_pens.lookup(37496) == "ZHEJIANG DAHUA TECHNOLOGY CO.,LTD"
    assert debian_pens.lookup(40297) == "Hytera Communications Co.,Ltd."
    assert debian_pens.lookup(61878) == "New H3C Technologies Co., Ltd"
    # 'Reserved' (124) and '---none---' (15) name nobody
    assert sum(1 for p in range(62332) if p in debian_pens and debian_pens.lookup(p) is None) == 139
    assert (0 in debian_pens, debian_pens.lookup(0), debian_pens.lookup(4378)) == (True, None, None)
    assert debian_pens.lookup(1004849) is None and debian_pens.lookup(4294967295) is None
    rockwell = debian_pens.record(95)
    assert (rockwell.org, rockwell.note, rockwell.dataset) == (
        "Rockwell Automation, Inc.", "formerly 'Allen-Bradley Company'", TSV_LABEL)


def test_iana_text_fixture():
    reg = PenRegistry()
    rep = reg.load_iana(FIXTURES / "enterprise-numbers-sample")
    assert (rep.dataset, rep.records, rep.added, rep.replaced, rep.duplicates, rep.malformed) == (
        IANA_LABEL, 11, 10, 1, 1, 3)
    assert [(i.line, i.severity, i.reason) for i in rep.issues] == [
        (52, "error", "PEN 40002 has no organisation line"),
        (57, "warning", "extra line in PEN 40003's record ignored"),
        (58, "error", "unindented line in PEN 40003's record"),
        (59, "warning", "extra line in PEN 40003's record ignored"),
        (60, "error", "PEN 99999999999 is above 2^32-1"),
        (62, "warning", "PEN 9 listed again (first at line 22); the later entry is used"),
    ]
    assert {p: reg.lookup(p) for p in (0, 9, 2011, 3902, 4378, 25506, 32473, 40000, 40001, 40002, 40003)} == {
        0: None,  # Reserved
        9: "ciscoSystems (listed twice)",
        2011: "HUAWEI Technology Co.,Ltd",  # one-space indentation
        3902: "Zhongxing Telecom Co.,ltd. (abbr. ZTE)",  # three spaces
        4378: None,  # ---none---
        25506: "H3C",  # tab-indented
        32473: "Example Enterprise Number for Documentation Use",
        40000: None,  # Unassigned
        40001: "Only An Organisation Line",
        40002: None,  # malformed, not loaded
        40003: "Extra Lines Ltd",
    }
    huawei = reg.record(2011)
    assert (huawei.contact, huawei.email, huawei.dataset) == (
        "Example Contact", "contact&example.com", IANA_LABEL)
    assert reg.record(40001).contact is None and 40002 not in reg


def test_wireshark_tsv_fixture():
    reg = PenRegistry()
    rep = reg.load_wireshark_tsv(FIXTURES / "enterprises-small.tsv")
    assert (rep.dataset, rep.records, rep.added, rep.duplicates, rep.malformed) == (TSV_LABEL, 7, 6, 1, 3)
    assert [(i.line, i.severity, i.reason) for i in rep.issues] == [
        (12, "error", "expected 'number<TAB>name'"),
        (13, "error", "PEN 40002 has no name"),
        (14, "warning", "PEN 9 listed again (first at line 7); the later entry is used"),
        (15, "error", "PEN 99999999999 is above 2^32-1"),
    ]
    assert {p: reg.lookup(p) for p in (0, 9, 95, 2011, 3902, 4378)} == {
        0: None, 9: "ciscoSystems Again", 95: "Rockwell Automation, Inc.", 2011: "HUAWEI Technology Co.,Ltd",
        3902: "Zhongxing Telecom Co.,ltd. (abbr. ZTE)", 4378: None}


def test_load_sniffs_and_merges():
    reg = PenRegistry()
    first = reg.load(FIXTURES / "enterprises-small.tsv")
    second = reg.load(FIXTURES / "enterprise-numbers-sample", dataset="IANA 2024-08-23")
    assert (first.format, second.format) == ("wireshark-enterprises", "iana-enterprise-numbers")
    assert (second.added, second.replaced) == (5, 6)
    assert reg.record(2011).dataset == "IANA 2024-08-23"
    assert reg.record(95).dataset == TSV_LABEL
    assert reg.datasets == [TSV_LABEL, "IANA 2024-08-23"]


def test_unreadable_or_foreign_files(tmp_path):
    reg = PenRegistry()
    with pytest.raises(InputError, match="file not found"):
        reg.load_iana(tmp_path / "missing")
    prose = tmp_path / "prose.txt"
    prose.write_text("PRIVATE ENTERPRISE NUMBERS\n\nnothing else\n")
    with pytest.raises(InputError, match="no PEN records"):
        reg.load_iana(prose)
    comments = tmp_path / "only-comments.tsv"
    comments.write_text("# nothing\n\n")
    with pytest.raises(InputError, match="no PEN entries"):
        reg.load_wireshark_tsv(comments)
    assert len(reg) == 0 and reg.reports == []
