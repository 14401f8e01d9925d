"""Waivers and frameworks on the fixture registry: exact verdicts, control status and error messages."""

from datetime import date
from pathlib import Path

import pytest

from netvet.analyses.compare import compare, headline
from netvet.attribution.oui import MacBlock, MacRegistry
from netvet.attribution.registry import Registry
from netvet.pipeline import Context, run_audit
from netvet.policies import load_pack
from netvet.policies.frameworks import load_framework
from netvet.policies.waivers import load_waivers
from netvet.util.yamlfile import DataValidationError

FIX = Path(__file__).resolve().parents[1] / "fixtures"
PACK = FIX / "policies" / "good-pack.yaml"


def _macs():
    macs = MacRegistry()
    macs.add(MacBlock(0xA0B0C0, 24, "REDCO NETWORKS CO.,LTD", "CN", "MA-L", "test"))
    return macs


@pytest.fixture(scope="module")
def mini():
    return Registry.load(FIX / "registry" / "mini")


def _report(mini, **kw):
    ctx = Context.build([str(PACK)], mini, date(2026, 1, 1), macs=_macs(), **kw)
    return run_audit([FIX / "pipeline" / "inventory.csv"], ctx)


def test_waivers_apply_expire_and_report(mini):
    rep = _report(mini, waivers=FIX / "waivers" / "waivers.yaml")
    by = {f.label: f for f in rep.findings}
    assert str(by["cam-2"].verdict) == "WAIVED"
    assert by["cam-2"].reasons[0] == ("waived by W-1 (approved by J. Doe, CISO, until 2027-03-31): Cameras on an "
                                      "isolated VLAN, replacement ordered. [was REVIEW]")
    assert str(by["core-1"].verdict) == "FAIL"  # W-2 expired on 2024-01-31
    assert rep.waivers == {"file": str(FIX / "waivers" / "waivers.yaml"), "applied": ["W-1"], "expired": ["W-2"],
                           "unused": ["W-3"]}


def test_bad_waivers(mini, tmp_path):
    pack = load_pack(PACK, mini)
    bad = tmp_path / "w.yaml"
    bad.write_text("waivers:\n  - id: W-9\n    rule: t.nope\n    selector: {entity: nobody}\n"
                   "    justification: too short\n    approver: X Y\n    expires: 2027-01-01\n"
                   "  - id: W-8\n    rule: t.listed\n    selector: {}\n    justification: a long enough text\n"
                   "    approver: X Y\n    expires: 2027-01-01\n    colour: red\n")
    with pytest.raises(DataValidationError) as exc:
        load_waivers(bad, [pack], mini)
    assert [str(e).replace(str(bad), "w.yaml") for e in exc.value.errors] == [
        "w.yaml:5: waivers[0].justification: String should have at least 10 characters",
        "w.yaml:10: waivers[1].selector: Value error, a selector needs at least one of entity, asset, hostname, "
        "site, file",
        "w.yaml:14: waivers[1].colour: unknown field 'colour'",
    ]
    bad.write_text("waivers:\n  - id: W-9\n    rule: t.nope\n    selector: {entity: nobody}\n"
                   "    justification: long enough text\n    approver: X Y\n    expires: 2027-01-01\n")
    with pytest.raises(DataValidationError) as exc:
        load_waivers(bad, [pack], mini)
    assert [str(e).replace(str(bad), "w.yaml") for e in exc.value.errors] == [
        "w.yaml:3: waiver W-9: unknown rule id 't.nope'",
        "w.yaml:4: waiver W-9: unknown entity 'nobody'",
    ]


def test_framework_controls(mini):
    rep = _report(mini, frameworks=[str(FIX / "frameworks" / "test-framework.yaml")])
    status = {c["control"]: (c["status"], c["counts"]["FAIL"], c["counts"]["REVIEW"], c["counts"]["PASS"])
              for c in rep.controls}
    # cam-4 (a relabel whose maker is not established) is UNKNOWN, no longer a PASS
    assert status == {"C-1": ("not-satisfied", 1, 0, 2), "C-2": ("not-satisfied", 1, 1, 1)}
    by = {f.label: f for f in rep.findings}
    assert by["core-1"].controls == ["test-fw:C-1"]
    assert by["cam-2"].controls == ["test-fw:C-2"]


def test_framework_unknown_rule_is_an_error(mini, tmp_path):
    pack = load_pack(PACK, mini)
    bad = tmp_path / "f.yaml"
    bad.write_text((FIX / "frameworks" / "test-framework.yaml").read_text().replace("[t.listed]", "[t.lsted]"))
    with pytest.raises(DataValidationError) as exc:
        load_framework(bad, {"test-pack": pack})
    assert [str(e).replace(str(bad), "f.yaml") for e in exc.value.errors] == [
        "f.yaml:11: control C-1: unknown rule id 't.lsted' in pack test-pack"]


def test_bundled_frameworks_load():
    from netvet.policies.frameworks import bundled_framework_paths

    reg = Registry.load()
    ctx = Context.build([], reg, date(2026, 11, 24), macs=MacRegistry(), frameworks=list(bundled_framework_paths()))
    assert sorted(f.id for f in ctx.frameworks) == ["clean-network", "fcc-covered-list", "ndaa-889"]
    assert sorted(p.id for p in ctx.packs) == ["clean-network", "fcc-covered-list", "ndaa-889"]


def test_compare_two_packs(mini, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(PACK.read_text().replace("id: test-pack", "id: other-pack").replace(
        "when: designations.exists(d, d.list == \"test-list\" && d.scope == \"all\")",
        "when: 'entity.hq_country == \"CN\"'"))
    ctx = Context.build([str(PACK), str(other)], mini, date(2026, 1, 1), macs=_macs())
    cmp = compare(run_audit([FIX / "pipeline" / "inventory.csv"], ctx))
    assert cmp["per_policy"]["test-pack"]["excluded_assets"] == 2
    assert cmp["per_policy"]["other-pack"]["excluded_assets"] == 4
    assert cmp["excluded_only_by"] == {"test-pack": [], "other-pack": ["inventory.csv:4", "inventory.csv:5"]}
    assert cmp["excluded_by_all"] == ["inventory.csv:2", "inventory.csv:3"]
    assert headline(cmp)[2] == "only other-pack excludes 2 assets."
