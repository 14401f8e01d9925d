"""Vendor-neutral risk factors on the bundled registry: exact factor values with their evidence."""

from datetime import date
from pathlib import Path

import pytest

from netvet.analyses.risk import RiskData
from netvet.attribution.kev import load_kev
from netvet.attribution.registry import Registry

ON = date(2026, 11, 24)
KEV = Path(__file__).resolve().parents[1] / "fixtures" / "kev" / "kev-sample.json"


@pytest.fixture(scope="module")
def reg():
    return Registry.load()


@pytest.fixture(scope="module")
def risk(reg):
    return RiskData.load(None, reg)


def test_factor_values(reg, risk):
    got = {e: (risk.profile(reg, e, ON).score, risk.profile(reg, e, ON).values()) for e in ("huawei", "cisco", "nokia")}
    assert got["huawei"] == (0.5, {"legal_compulsion": 1.0, "state_control": 0.0, "ownership_opacity": 0.5,
                                   "security_record": 0.5, "certification": 0.0})
    assert got["cisco"] == (0.265, {"legal_compulsion": 0.4, "state_control": 0.0, "ownership_opacity": 0.0,
                                    "security_record": 0.5, "certification": 0.5})
    assert got["nokia"] == (0.11, {"legal_compulsion": 0.1, "state_control": 0.0, "ownership_opacity": 0.0,
                                   "security_record": 0.5, "certification": 0.0})


def test_explanations_cite_evidence(reg, risk):
    lines = risk.profile(reg, "huawei", ON).explain()
    assert lines[0] == ("legal_compulsion=1.00 (weight 0.35): law obliges assistance to intelligence services "
                        "without independent judicial oversight in the supplier's chain [cn-nil-2017, 2018-04-27]")
    assert lines[4] == ("certification=0.00 (weight 0.10): GSMA NESAS: vendor development and product lifecycle "
                        "processes audited [gsma-nesas, 2024-01-01]")


def test_kev_counts_by_alias_never_substring(reg):
    kev = load_kev(KEV, reg)
    assert kev.per_entity == {"cisco": 2, "huawei": 1, "hikvision": 1}
    assert kev.unmatched == {"ZTEC Instruments": 1, "Atlassian": 1}
    assert (kev.stats.read, kev.stats.malformed) == (7, 1)
    assert kev.dataset == "cisa-kev 2026.11.20 (kev-sample.json)"


def test_kev_changes_security_record(reg):
    risk = RiskData.load(None, reg)
    kev = load_kev(KEV, reg)
    risk.kev_counts, risk.kev_dataset = kev.per_entity, kev.dataset
    f = {x.factor: x for x in risk.profile(reg, "cisco", ON).factors}["security_record"]
    assert (f.value, f.evidence) == (0.239, "2 known exploited vulnerabilities in the CISA KEV catalogue")
    f = {x.factor: x for x in risk.profile(reg, "nokia", ON).factors}["security_record"]
    assert f.value == 0.0
