"""Every block of netaddr's bundled IEEE registry (MA-L + IAB) attributed through the curated alias rules:
per entity, the exact set of registry organisation names it claims, and nothing unrelated claimed."""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from netvet.attribution.oui import MacRegistry
from netvet.attribution.registry import Registry

HERE = Path(__file__).resolve().parent
COVERED = {
    # FCC Covered List / NDAA 889 entities and their subsidiaries that have IEEE blocks of their own
    "huawei", "huawei-device", "zte", "hytera", "hikvision", "dahua",
}


@pytest.fixture(scope="module")
def claims():
    reg = Registry.load()
    macs = MacRegistry.bundled()
    out: dict[str, set[str]] = defaultdict(set)
    ambiguous = []
    for block in macs.iter_blocks():
        for org in block.orgs:
            hits = reg.registry_index.match(org)
            if len(hits) > 1:
                ambiguous.append(org)
            for h in hits:
                out[h.entity_id].add(org)
    return reg, {k: sorted(v) for k, v in out.items()}, ambiguous


def _expected() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for name in ("expected_registry_names.json", "expected_registry_names_global.json",
                 "expected_registry_names_makers.json"):
        path = HERE / name
        if path.exists():
            for k, v in json.loads(path.read_text()).items():
                merged[k] = sorted(v)
    return merged


def test_every_claim_is_expected_and_every_expected_claim_is_made(claims):
    _, got, ambiguous = claims
    expected = {k: v for k, v in _expected().items() if v}
    assert ambiguous == []
    assert got == expected


def test_covered_entities_claim_exactly_their_own_names(claims):
    _, got, _ = claims
    for eid in COVERED:
        assert eid in got, f"{eid} claims no IEEE block"
    assert got["huawei"] == _expected()["huawei"]
    assert "HUAWEI TECHNOLOGIES CO.,LTD" in got["huawei"]
    assert got["zte"] == _expected()["zte"]
    assert "zte corporation" in got["zte"]
    # look-alike registry names that must stay unclaimed
    all_claimed = {n for names in got.values() for n in names}
    for lookalike in ("ZTEC Instruments", "First Pacific Networks", "Arlotto Comnet"):
        assert not any(n.upper().startswith(lookalike.upper()) for n in all_claimed)
