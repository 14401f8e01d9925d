"""Identifier and observation attribution on the fixture registry with hand-made MAC blocks."""

from datetime import date
from pathlib import Path

import pytest

from netvet.attribution.oui import MacBlock, MacRegistry
from netvet.attribution.registry import Registry
from netvet.attribution.resolve import Attributor, parse_pen
from netvet.model import AttributionStatus, Identifier, IdKind, Observation, SourceRef, Strength

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "registry" / "mini"


@pytest.fixture(scope="module")
def att():
    macs = MacRegistry()
    macs.add(MacBlock(0xA0B0C0, 24, "REDCO NETWORKS CO.,LTD", "CN", "MA-L", "test"))
    macs.add(MacBlock(0xA0B0C1, 24, "Redco Terminal Technology Co., Ltd.", "CN", "MA-L", "test"))
    macs.add(MacBlock(0xA0B0C2, 24, "BlueNet Systems, Inc.", "US", "MA-L", "test"))
    macs.add(MacBlock(0xA0B0C3, 24, "Unrelated Widgets GmbH", "DE", "MA-L", "test"))
    macs.add(MacBlock(0xA0B0C4, 24, "REDCO NETWORKS SWEDEN AB", "SE", "MA-L", "test"))
    return Attributor(Registry.load(MINI), macs=macs, on=date(2024, 6, 1))


def _id(kind, value, strength=Strength.MODERATE):
    return Identifier(kind, value, "test", strength)


def test_parse_pen():
    assert parse_pen("1.3.6.1.4.1.2011.2.23.96") == (2011, None)
    assert parse_pen(".1.3.6.1.4.1.9.1.359") == (9, None)
    assert parse_pen("SNMPv2-SMI::enterprises.9.1.359") == (9, None)
    assert parse_pen("enterprises.4294967295") == (
        None, "PEN 4294967295 (2^32-1) is a placeholder some agents report, not an IANA assignment")
    assert parse_pen("1.3.6.1.2.1.1") == (None, "not under 1.3.6.1.4.1 (enterprises), so it names no vendor")
    assert parse_pen("foo") == (
        None, "symbolic name 'foo' needs its MIB to resolve; give the numeric OID (e.g. snmpget -On)")


def test_mac_exact_pattern_registry_only_and_unknown(att):
    r = att.identifier(_id(IdKind.MAC, "a0:b0:c0:12:34:56"))
    assert (r.status, r.entity_id, r.method, r.confidence) == (AttributionStatus.ATTRIBUTED, "redco", "mac-oui", 0.7)
    assert [s.step for s in r.chain] == ["identifier", "registry-lookup", "alias-rule", "entity", "parent",
                                         "designation"]
    assert att.identifier(_id(IdKind.MAC, "A0-B0-C1-00-00-01")).entity_id == "redco"  # anchored pattern
    # a name that merely starts with a claimed name is not claimed: registry-only with its address country
    r = att.identifier(_id(IdKind.MAC, "a0b0.c400.0001"))
    assert (r.status, r.entity_id, r.org_name, r.country) == (
        AttributionStatus.REGISTRY_ONLY, None, "REDCO NETWORKS SWEDEN AB", "SE")
    r = att.identifier(_id(IdKind.MAC, "02:42:ac:1c:01:03"))
    assert r.status == AttributionStatus.UNKNOWN and "locally administered" in r.reason
    r = att.identifier(_id(IdKind.MAC, "01:00:5e:00:00:01"))
    assert r.status == AttributionStatus.UNKNOWN and "multicast" in r.reason


def test_pen_name_cpe_brand(att):
    r = att.identifier(_id(IdKind.OID, "1.3.6.1.4.1.99001.1.2", Strength.STRONG))
    assert (r.entity_id, r.method, r.confidence) == ("redco", "sysobjectid-pen", 0.9)
    r = att.identifier(_id(IdKind.OID, "1.3.6.1.4.1.77777.1"))
    assert r.status == AttributionStatus.UNKNOWN
    assert r.reason == ("enterprise number 77777 is not in the curated registry and no IANA enterprise-numbers "
                        "file is loaded")
    assert att.identifier(_id(IdKind.NAME, "RedCo", Strength.STRONG)).confidence == 0.85
    r = att.identifier(_id(IdKind.NAME, "RedEye"))
    assert (r.entity_id, r.relation) == ("redco", "brand")
    assert att.identifier(_id(IdKind.CPE, "cpe:2.3:h:redco:x100:-:*:*:*:*:*:*:*")).entity_id == "redco"
    assert att.identifier(_id(IdKind.CPE, "cpe:/o:bluenet:os:1.0")).entity_id == "bluenet"
    r = att.identifier(_id(IdKind.NAME, "RelabelY"))
    assert (r.entity_id, r.relation) == ("camco", "brand")
    r = att.identifier(_id(IdKind.NAME, "RelabelX"))
    assert (r.entity_id, r.relation) == ("relabel-x", "brand-undetermined")
    r = att.identifier(_id(IdKind.NAME, "Totally Unknown Corp"))
    assert (r.status, r.reason) == (AttributionStatus.UNKNOWN, "name 'Totally Unknown Corp' matches no curated entity")


def _obs(*idents):
    return Observation("o1", "device", SourceRef("inv.csv", 2), list(idents))


def test_observation_agreement_conflict_and_weak(att):
    # agreeing evidence raises confidence: 1 - (1-0.9)(1-0.7)
    a = att.observation(_obs(_id(IdKind.OID, "1.3.6.1.4.1.99001.1", Strength.STRONG),
                             _id(IdKind.MAC, "a0:b0:c0:00:00:01")))
    assert (a.entity_id, round(a.confidence, 3), a.conflict) == ("redco", 0.97, False)
    # a RedCo NIC inside a BlueNet router: both kept, the stronger (sysObjectID) decides, conflict explained
    a = att.observation(_obs(_id(IdKind.OID, "1.3.6.1.4.1.99002.1", Strength.STRONG),
                             _id(IdKind.MAC, "a0:b0:c0:00:00:01")))
    assert (a.entity_id, a.conflict, a.method) == ("bluenet", True, "sysobjectid-pen")
    assert a.note == ("evidence disagrees: mac-oui (test) says redco; decided by sysobjectid-pen (test, strong) "
                      "-> bluenet")
    assert len(a.evidence) == 2
    # weak evidence alone stays weak
    a = att.observation(_obs(_id(IdKind.NAME, "RedCo", Strength.WEAK)))
    assert (a.entity_id, a.confidence) == ("redco", 0.25)
    # nothing usable
    a = att.observation(_obs(_id(IdKind.MAC, "02:00:00:00:00:01")))
    assert a.status == AttributionStatus.UNKNOWN and a.entity_id is None
    a = att.observation(_obs())
    assert (a.status, a.note) == (AttributionStatus.UNKNOWN, "no identifiers in the evidence")


def test_asn_registry_then_asnames(shared):
    from netvet.attribution.asnames import read_pyasn_asnames

    reg = Registry.load()
    a = Attributor(reg, asnames=read_pyasn_asnames(shared("ipasn/asnames.json.gz")))
    r = a.identifier(_id(IdKind.ASN, "AS4134"))
    assert (r.status, r.entity_id, r.relation) == (AttributionStatus.ATTRIBUTED, "china-telecom-corp", "operator")
    r = a.identifier(_id(IdKind.ASN, "AS45060"))  # deliberately unclaimed (registry/carrier-asns.yaml exclusions)
    assert (r.status, r.org_name, r.country) == (
        AttributionStatus.REGISTRY_ONLY, "China Netcom Broadband Corporation Ltd.", "CN")
    assert r.dataset == "pyasn-asnames:asnames.json.gz"
    r = Attributor(reg).identifier(_id(IdKind.ASN, "AS45060"))
    assert (r.status, r.reason) == (AttributionStatus.UNKNOWN, "AS45060 is not in the curated registry")
