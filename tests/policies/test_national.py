"""National packs (UK, Germany, France, Sweden, Japan): exact verdicts per date, scope and share, from the fixture
folders tests/fixtures/national/<pack>/ (inventory.csv, expected.yaml) — including the day before and after each
deadline — and the time, scope, cap and vendor-neutrality checks of the pack loader."""

from datetime import date
from pathlib import Path

import pytest
import yaml

from netvet.attribution.oui import MacRegistry
from netvet.attribution.registry import Registry
from netvet.pipeline import Context, run_audit
from netvet.policies import bundled_pack_paths, load_pack, resolve_pack
from netvet.util.yamlfile import DataValidationError

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "national"
PACKS = ["uk-designated-vendors", "de-critical-components", "fr-5g-authorisations", "se-pts-2020",
         "jp-critical-infrastructure"]


@pytest.fixture(scope="module")
def env():
    return Registry.load(), MacRegistry.bundled()


def _audit(env, pack: str, on: str):
    reg, macs = env
    ctx = Context.build([pack], reg, date.fromisoformat(on), macs=macs)
    rep = run_audit([FIX / pack / "inventory.csv"], ctx)
    return {f.label: f for f in rep.findings}


def _cases():
    for pack in PACKS:
        doc = yaml.safe_load((FIX / pack / "expected.yaml").read_text())
        assert doc["pack"] == pack
        for on, verdicts in doc["dates"].items():
            yield pytest.param(pack, on, verdicts, id=f"{pack}@{on}")


@pytest.mark.parametrize("pack,on,expected", list(_cases()))
def test_expected_verdicts(env, pack, on, expected):
    got = {label: str(f.verdict) for label, f in _audit(env, pack, on).items()}
    assert got == expected


def test_bundled_national_packs_load():
    reg = Registry.load()
    assert set(PACKS) <= set(bundled_pack_paths())
    neutral = {p: load_pack(bundled_pack_paths()[p], reg).meta.vendor_neutral for p in PACKS}
    assert neutral == {"uk-designated-vendors": False, "de-critical-components": False,
                       "fr-5g-authorisations": True, "se-pts-2020": False, "jp-critical-infrastructure": True}


def test_compliant_until_and_days_left(env):
    by = _audit(env, "uk-designated-vendors", "2027-12-30")
    f = by["uk-ran-d1"]  # op-d: Huawei holds 25 % of the RAN, under the cap; 5G exit by the end of 2027
    assert str(f.verdict) == "PASS"
    assert f.compliant_until == "2027-12-31"
    assert f.reasons[0].startswith("compliant until 2027-12-31 (1 day left, then FAIL): Huawei Technologies")
    assert [(d["rule"], d["status"], d["days"]) for d in f.deadlines] == [("uk.dv.5g-exit", "pending", 1)]
    doc = f.to_dict()
    assert doc["compliant_until"] == "2027-12-31" and doc["deadlines"][-1]["verdict"] == "FAIL"
    after = _audit(env, "uk-designated-vendors", "2028-01-01")["uk-ran-d1"]
    assert (str(after.verdict), after.rule_ids, after.compliant_until) == ("FAIL", ["uk.dv.5g-exit"], None)
    assert after.reasons[0].startswith("deadline 2027-12-31 passed 1 day ago: ")


def test_shares_and_the_assets_that_make_them(env):
    by = _audit(env, "uk-designated-vendors", "2023-07-29")
    cap = {c["cap"]: c for c in by["uk-ran-5"].caps}["uk.5g-access"]
    assert (cap["group"], cap["assets"], cap["population_assets"], cap["share"], cap["limit"], cap["exceeded"]) == (
        "op-b", 4, 6, 0.6667, 0.35, True)
    assert sorted(cap["labels"]) == ["uk-ran-2021", "uk-ran-4g", "uk-ran-5", "uk-ran-new"]
    assert cap["share_sites"] == 0.6  # 3 of op-b's 5 RAN sites
    assert by["uk-ran-5"].reasons[0] == ("deadline 2023-07-28 passed 1 day ago: Huawei Technologies Co., Ltd. holds "
                                         "67% of this operator's RAN assets (cap 35 %)")
    d1 = {c["cap"]: c for c in by["uk-ran-d1"].caps}["uk.5g-access"]
    assert (d1["share"], d1["exceeded"], str(by["uk-ran-d1"].verdict)) == (0.25, False, "PASS")
    # an Ericsson asset counts in the population with its own figure, and no rule of the pack applies to it
    e = {c["cap"]: c for c in by["uk-ran-6"].caps}["uk.5g-access"]
    assert (e["name"], e["share"], str(by["uk-ran-6"].verdict)) == ("Telefonaktiebolaget LM Ericsson", 0.3333, "PASS")


def test_scope_unknown_domain_is_review(env):
    by = _audit(env, "uk-designated-vendors", "2030-01-01")
    assert (str(by["uk-nodomain"].verdict), by["uk-nodomain"].rule_ids) == ("REVIEW", ["uk.dv.domain-unknown"])
    assert str(by["uk-office-1"].verdict) == "PASS"  # enterprise: outside the direction


def test_rule_time_fields_are_validated():
    base = ("pack: {schema: 1, id: t, title: T, version: '1', description: d, approach: named-entity}\n"
            "rules:\n  - {id: r, title: R, when: 'asset.domain == \"core\"', verdict: FAIL, rationale: x, %s}\n")
    load_pack("p.yaml", text=base % "deadline: 2026-12-31")
    with pytest.raises(DataValidationError) as exc:
        load_pack("p.yaml", text=base % "deadlin: 2026-12-31")
    assert "deadlin" in str(exc.value.errors[0])
    with pytest.raises(DataValidationError) as exc:
        load_pack("p.yaml", text=base % "effective_from: 2027-01-01, effective_until: 2026-01-01")
    assert "effective_from 2027-01-01 is after effective_until 2026-01-01" in str(exc.value.errors[0])
    with pytest.raises(DataValidationError) as exc:
        load_pack("p.yaml", text=base % "deadline: 2026-12-31, before_deadline: FAIL")
    assert "before_deadline FAIL must be milder than verdict FAIL" in str(exc.value.errors[0])


def test_cap_references_are_validated():
    text = ("pack: {schema: 1, id: t, title: T, version: '1', description: d, approach: named-entity}\n"
            "caps:\n  - {id: c.access, title: C, domains: [ran, access], limit: 0.35}\n"
            "rules:\n  - {id: r, title: R, when: 'analysis.cap_exceeded[\"%s\"]', verdict: FAIL, rationale: x}\n")
    assert [c.id for c in load_pack("p.yaml", text=text % "c.access").caps] == ["c.access"]
    with pytest.raises(DataValidationError) as exc:
        load_pack("p.yaml", text=text % "c.nope")
    assert str(exc.value.errors[0]) == "p.yaml:5: rule r: unknown fact field 'c.nope'"
    with pytest.raises(DataValidationError):
        load_pack("p.yaml", text=text.replace("ran, access", "radio") % "c.access")


@pytest.mark.parametrize("pack", ["jp-critical-infrastructure", "eu-5g-toolbox", "fr-5g-authorisations",
                                  "vendor-neutral-risk"])
def test_vendor_neutral_packs_pass_the_lint(pack):
    p = resolve_pack(pack, Registry.load())
    assert p.meta.vendor_neutral


@pytest.mark.parametrize("when,reason,expected", [
    ('asset.domain == "core" && asset.attributes.vendor == "x"', None,
     "vendor-neutral pack may not read asset attributes that name a maker: vendor"),
    ('asset.domain == "core" && asset.attributes["manufacturer"] == "x"', None,
     "vendor-neutral pack may not read asset attributes that name a maker: manufacturer"),
    ('asset.domain == "core" && asset.function == "huawei"', None,
     "vendor-neutral pack may not name an entity or a country: 'huawei' (entity huawei)"),
    ('asset.site == "CN"', None, "vendor-neutral pack may not name an entity or a country: 'CN' (a country)"),
    ('entity.risk_score >= 0.5', "{entity.name} is risky",
     "vendor-neutral pack may not name the supplier or its origin in a reason: entity.name"),
])
def test_vendor_neutral_lint_rejects_names(when, reason, expected):
    first = "when: 'asset.domain in [\"core\", \"ran\", \"transport\", \"management\"] && asset.approval != \"\"'"
    text = (Path(bundled_pack_paths()["jp-critical-infrastructure"]).read_text()
            .replace(first, "when: '" + when.replace("'", "''") + "'"))
    if reason:
        text = text.replace('reason: "prior-review plan {asset.approval} recorded for this {asset.domain} facility"',
                            f'reason: "{reason}"')
    with pytest.raises(DataValidationError) as exc:
        load_pack("jp.yaml", Registry.load(), text=text)
    assert expected in str(exc.value.errors[0])
