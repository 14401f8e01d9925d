"""The policy engine end to end on the fixture registry: exact verdicts, rules and reasons."""

from datetime import date
from pathlib import Path

import pytest

from netvet.attribution.oui import MacBlock, MacRegistry
from netvet.attribution.registry import Registry
from netvet.pipeline import Context, run_audit

FIX = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def report():
    reg = Registry.load(FIX / "registry" / "mini")
    macs = MacRegistry()
    macs.add(MacBlock(0xA0B0C0, 24, "REDCO NETWORKS CO.,LTD", "CN", "MA-L", "test"))
    macs.add(MacBlock(0xA0B0C2, 24, "BlueNet Systems, Inc.", "US", "MA-L", "test"))
    ctx = Context.build([str(FIX / "policies" / "good-pack.yaml")], reg, date(2024, 6, 1), macs=macs)
    return run_audit([FIX / "pipeline" / "inventory.csv"], ctx)


def test_verdicts(report):
    got = {(f.label, str(f.verdict), tuple(f.rule_ids)) for f in report.findings}
    assert got == {
        ("core-1", "FAIL", ("t.listed",)),
        ("cam-1", "FAIL", ("t.conditional.in-scope",)),
        ("cam-2", "REVIEW", ("t.conditional.role-unknown",)),
        ("cam-3", "PASS", ()),
        ("cam-4", "UNKNOWN", ()),  # a relabel whose maker is not established never passes
        ("sw-1", "PASS", ()),
        ("laptop", "UNKNOWN", ()),
    }


def test_reasons_and_citations(report):
    by = {f.label: f for f in report.findings}
    assert by["core-1"].reasons == [
        "RedCo Networks Co., Ltd. is listed",
        "designated on test-list entry 1 (added 2021-03-12, scope all)",
    ]
    assert [(c.label, c.url) for c in by["core-1"].citations] == [("test-list entry 1", "https://example.org/list")]
    assert by["cam-1"].reasons[0] == "CamCo Vision Inc. used as public-safety"
    assert by["core-1"].entity == {"id": "redco", "name": "RedCo Networks Co., Ltd.", "country": "CN",
                                   "group": "redco-holding", "group_name": "Crimson Holding Ltd."}
    assert by["core-1"].source.line == 2
    assert by["laptop"].reasons[0] == "no attribution: the maker could not be established"
    assert by["cam-3"].reasons == ["no rule of test-pack applies to CamCo Vision Inc."]


def test_counts(report):
    (stats,) = report.inputs
    assert (stats.read, stats.attributed, stats.unattributed, stats.malformed) == (7, 5, 2, 0)
    assert stats.balanced()
    s = report.summary()
    assert s["per_policy"] == {"test-pack": {"PASS": 2, "REVIEW": 1, "FAIL": 2, "UNKNOWN": 2, "WAIVED": 0}}
    assert s["per_site"] == {"branch": {"test-pack:PASS": 1, "test-pack:UNKNOWN": 1},
                             "hq": {"test-pack:FAIL": 2, "test-pack:PASS": 1,
                                                                     "test-pack:REVIEW": 1, "test-pack:UNKNOWN": 1}}
