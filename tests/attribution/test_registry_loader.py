"""The registry loader on a small fixture registry: queries and every validation error."""

import shutil
from datetime import date
from pathlib import Path

import pytest

from netvet.attribution.registry import Registry
from netvet.util.yamlfile import DataValidationError

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "registry" / "mini"


@pytest.fixture
def mini():
    return Registry.load(MINI)


def test_queries(mini):
    assert sorted(mini.entities) == ["bluenet", "camco", "redco", "redco-holding", "redco-labs", "relabel-x",
                                     "relabel-y"]
    assert mini.ancestors("redco") == ["redco-holding"]
    # BlueNet was majority-owned by RedCo until 2020-06-30 (a divestiture)
    assert mini.ancestors("bluenet", date(2015, 1, 1)) == ["redco", "redco-holding"]
    assert mini.ancestors("bluenet", date(2020, 6, 30)) == []
    assert [(d.list, d.entry, via) for d, via in mini.affiliated_designations("bluenet", date(2015, 1, 1))] == [
        ("test-list", "1", "redco")]
    assert mini.affiliated_designations("bluenet", date(2021, 1, 1)) == []
    assert mini.by_pen == {99001: "redco", 99002: "bluenet"}
    assert mini.lookup("RedEye").id == "redco"
    assert mini.lookup("REDCO NETWORKS CO.,LTD").id == "redco"
    assert mini.jurisdictions("redco") == {"registration": None, "headquarters": "CN", "ultimate_parent": "CN",
                                           "ultimate_parent_id": "redco-holding"}
    assert [s for s, _ in mini.subsidiaries("redco", date(2015, 1, 1))] == ["bluenet"]


def _broken(tmp_path: Path, rel: str, old: str, new: str) -> list[str]:
    import uuid

    root = tmp_path / f"reg-{uuid.uuid4().hex[:8]}"
    shutil.copytree(MINI, root)
    f = root / rel
    text = f.read_text()
    assert old in text
    f.write_text(text.replace(old, new, 1))
    with pytest.raises(DataValidationError) as exc:
        Registry.load(root)
    return [str(e).replace(str(root) + "/", "") for e in exc.value.errors]


def test_unknown_field(tmp_path):
    assert _broken(tmp_path, "entities/test.yaml", "    aliases: [RedCo]", "    alias: [RedCo]") == [
        "entities/test.yaml:12: entities[1].alias: unknown field 'alias'"]


def test_dangling_owner_and_source(tmp_path):
    errs = _broken(tmp_path, "entities/test.yaml", "{owner: redco-holding, share: 100, source: src-a",
                   "{owner: redco-holdings, share: 100, source: src-b")
    assert errs == ["entities/test.yaml:17: unknown source 'src-b' (not in sources/*.yaml)",
                    "entities/test.yaml:17: redco: unknown owner entity 'redco-holdings'"]


def test_duplicate_id_and_name_claimed_twice(tmp_path):
    errs = _broken(tmp_path, "entities/test.yaml", "  - id: camco\n    legal_name: CamCo Vision Inc.",
                   "  - id: redco\n    legal_name: CamCo Vision Inc.")
    assert errs == ["entities/test.yaml:26: duplicate entity id 'redco' (first in entities/test.yaml:9)",
                    "entities/test.yaml:51: relabel-y: unknown manufacturer entity 'camco'",
                    "designations/test-list.yaml:11: unknown entity 'camco'"]
    errs = _broken(tmp_path, "entities/test.yaml", "    aliases: [BlueNet]", "    aliases: [BlueNet, RedCo]")
    assert errs == ["entities/test.yaml:32: name 'REDCO' is claimed by several entities: "
                    "bluenet (entities/test.yaml:32), redco (entities/test.yaml:9)"]


def test_bad_country_pattern_and_unnormalised_name(tmp_path):
    assert _broken(tmp_path, "entities/test.yaml", "country: US", "country: USA") == [
        "entities/test.yaml:37: entities[3].jurisdiction.headquarters.country: Value error, country must be an "
        "ISO 3166-1 alpha-2 code in upper case, got 'USA'"]
    errs = _broken(tmp_path, "entities/test.yaml", '"REDCO (DEVICE|TERMINAL) TECHNOLOGY"', '"REDCO (DEVICE"')
    assert len(errs) == 1 and errs[0].startswith("entities/test.yaml:22: redco: bad pattern 'REDCO (DEVICE'")
    errs = _broken(tmp_path, "entities/test.yaml", 'exact: ["REDCO NETWORKS"]', 'exact: ["RedCo Networks Co., Ltd."]')
    assert errs == [
        "entities/test.yaml:21: redco: registry name 'RedCo Networks Co., Ltd.' is not in normalised form "
        "(would be 'REDCO NETWORKS')"]


def test_designation_errors(tmp_path):
    assert _broken(tmp_path, "designations/test-list.yaml", "entity: redco,", "entity: redcoo,") == [
        "designations/test-list.yaml:9: unknown entity 'redcoo'"]
    roles = "    scope_roles: [public-safety, critical-infrastructure]\n"
    assert _broken(tmp_path, "designations/test-list.yaml", roles,
                   "") == ["designations/test-list.yaml:13: a conditional-use entry must list the roles it applies "
                           "to (scope_roles)"]


def test_ownership_cycle_and_reversed_dates(tmp_path):
    errs = _broken(tmp_path, "entities/test.yaml", "    kind: holding\n",
                   "    kind: holding\n    owners:\n"
                   "      - {owner: redco, share: 100, source: src-a, as_of: 2024-01-01}\n")
    assert any("ownership cycle: redco-holding -> redco -> redco-holding" in e for e in errs)
    errs = _broken(tmp_path, "entities/test.yaml", "since: 2010-01-01, until: 2020-06-30",
                   "since: 2020-06-30, until: 2010-01-01")
    assert errs == ["entities/test.yaml:39: bluenet: ownership by redco ends before it starts"]


def test_not_a_registry(tmp_path):
    with pytest.raises(DataValidationError) as exc:
        Registry.load(tmp_path)
    assert str(exc.value) == f"{tmp_path}: not a registry directory (no registry.yaml)"


def test_affiliates_under_common_control(mini):
    # RedCo Labs is a sister of the listed RedCo under the same controlling holding company
    assert [(d.entry, via) for d, via in mini.affiliated_designations("redco-labs")] == [("1", "redco")]
    assert mini.relation("redco-labs", "redco") == "common-control"
    assert mini.relation("bluenet", "redco", date(2015, 1, 1)) == "controlling-owner"
    # designations do not flow up to owners
    assert mini.affiliated_designations("redco-holding") == []
