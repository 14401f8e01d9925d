"""Pack validation: every error names file, line and the problem."""

from pathlib import Path

import pytest

from netvet.attribution.registry import Registry
from netvet.policies import bundled_pack_paths, load_pack
from netvet.util.yamlfile import DataValidationError

FIX = Path(__file__).resolve().parents[1] / "fixtures"
GOOD = (FIX / "policies" / "good-pack.yaml").read_text()


@pytest.fixture(scope="module")
def mini():
    return Registry.load(FIX / "registry" / "mini")


def _errors(text: str, registry=None) -> list[str]:
    with pytest.raises(DataValidationError) as exc:
        load_pack("p.yaml", registry, text=text)
    return [str(e) for e in exc.value.errors]


def test_good_pack_loads(mini):
    pack = load_pack("p.yaml", mini, text=GOOD)
    assert pack.id == "test-pack"
    assert [r.rule.id for r in pack.rules] == ["t.listed", "t.conditional.role-unknown", "t.conditional.in-scope"]


def test_bundled_packs_load_against_bundled_registry():
    reg = Registry.load()
    ids = {name: load_pack(p, reg).id for name, p in bundled_pack_paths().items()}
    assert {"fcc-covered-list", "ndaa-889", "clean-network"} <= set(ids)
    assert all(k == v for k, v in ids.items())


@pytest.mark.parametrize("old,new,expected", [
    ('when: designations.exists(d, d.list == "test-list" && d.scope == "all")',
     'when: designations.exists(d, d.list == "test-list" && d.scope == "all"',
     ["p.yaml:11: rule t.listed: CEL syntax error: Failed to parse expression "
      "'designations.exists(d, d.list == \"test-list\" && d.scope == \"all\"': ERROR: <input>:1:65: "
      "Syntax error: missing ')' at '<EOF>'"]),
    ("when: '!asset.role_known &&", "when: '!asset.rolle_known &&",
     ["p.yaml:19: rule t.conditional.role-unknown: unknown fact 'asset.rolle_known'"]),
    ("when: '!asset.role_known &&", "when: '!vendor.known &&",
     ["p.yaml:19: rule t.conditional.role-unknown: unknown fact 'vendor' (facts: analysis, asset, attribution, "
      "designations, entity, now)"]),
    ('d.scope == "all")', 'd.scopes == "all")',
     ["p.yaml:11: rule t.listed: unknown designation field d.'scopes' (fields: list, entry, entity, via, relation, "
      "scope, "
      "scope_roles, category, date_added, includes_affiliates, source)"]),
    ('d.scope == "all")', 'd.scope > 1)',
     ["p.yaml:11: rule t.listed: type error: No such overload: the operation is not defined for the given "
      "operand types"]),
    ('d.scope == "all")', 'd.scope == "all") && entity.name',
     ["p.yaml:11: rule t.listed: type error: No such overload: the operation is not defined for the given "
      "operand types"]),
    ("  - id: t.conditional.in-scope", "  - id: t.listed",
     ["p.yaml:22: duplicate rule id 't.listed' (first on line 9)"]),
    ("    verdict: FAIL\n    severity: critical", "    verdict: BLOCK\n    severity: critical",
     ["p.yaml:12: rules[0].verdict: Input should be 'PASS', 'REVIEW', 'FAIL', 'UNKNOWN' or 'WAIVED'"]),
    ("    rationale: listed\n", "    rationale: listed\n    colour: red\n",
     ["p.yaml:15: rules[0].colour: unknown field 'colour'"]),
    ("lists: [test-list]\n  - id: t.conditional.role-unknown", "lists: [nope]\n  - id: t.conditional.role-unknown",
     ["p.yaml:16: rule t.listed: unknown designation list 'nope'"]),
])
def test_bad_packs(mini, old, new, expected):
    assert old in GOOD
    assert _errors(GOOD.replace(old, new, 1), mini) == expected


def test_vendor_neutral_pack_may_not_name_countries_or_entities():
    text = GOOD.replace("approach: named-entity", "approach: risk-based\n  vendor_neutral: true")
    errs = _errors(text.replace('when: \'!asset.role_known && designations.exists(d, d.scope == "conditional-use")\'',
                                "when: 'entity.hq_country == \"CN\"'"))
    assert errs[0] == ("p.yaml:12: rule t.listed: vendor-neutral pack may not reference country of origin, "
                       "headquarters, designations or named entities: designations")
    assert errs[1] == ("p.yaml:20: rule t.conditional.role-unknown: vendor-neutral pack may not reference country "
                       "of origin, headquarters, designations or named entities: entity.hq_country")
    assert len(errs) == 3
