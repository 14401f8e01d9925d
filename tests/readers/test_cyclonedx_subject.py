"""cyclonedx-json (issue 12): every identifier is used. The BOM's subject named only by
metadata.manufacturer / metadata.supplier is still an observation, even with no components."""

from __future__ import annotations

import json

from netvet.model import IdKind, Strength
from netvet.readers.cyclonedx import CycloneDxReader

M = Strength.MODERATE


def ids(obs) -> list[tuple]:
    return [(i.kind, i.value, i.field, i.strength) for i in obs.identifiers]


def write(tmp_path, doc: dict, name: str = "s.cdx.json"):
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_subject_without_component_and_without_components(tmp_path):
    path = write(tmp_path, {"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {
        "manufacturer": {"name": "Huawei Technologies Co., Ltd.", "address": {"country": "CN"}},
        "supplier": {"name": "Example Distribution GmbH"}}})
    res = CycloneDxReader().read(path)
    [subject] = res.observations
    assert (subject.id, subject.kind, subject.source.pointer, subject.parent) == (
        "s.cdx.json:/metadata", "bom-subject", "/metadata", None)
    assert ids(subject) == [
        (IdKind.NAME, "Huawei Technologies Co., Ltd.", "cyclonedx:metadata.manufacturer", M),
        (IdKind.NAME, "Example Distribution GmbH", "cyclonedx:metadata.supplier", M)]
    assert subject.attributes == {"metadata_manufacturer": "Huawei Technologies Co., Ltd.",
                                  "metadata_manufacturer_country": "CN",
                                  "metadata_supplier": "Example Distribution GmbH"}
    assert (res.stats.read, res.stats.malformed, res.stats.issues) == (1, 0, [])


def test_subject_is_the_parent_of_top_level_components_1_5_manufacture(tmp_path):
    path = write(tmp_path, {"components": [{"type": "firmware", "name": "fw"}], "bomFormat": "CycloneDX",
                            "specVersion": "1.5", "metadata": {"manufacture": {"name": "ZTE Corporation"}}})
    res = CycloneDxReader().read(path)
    subject, fw = res.observations
    assert ids(subject) == [(IdKind.NAME, "ZTE Corporation", "cyclonedx:metadata.manufacturer", M)]
    assert fw.parent == subject.id == "s.cdx.json:/metadata"
    assert (res.stats.read, res.stats.malformed) == (2, 0)


def test_metadata_component_takes_its_own_and_the_metadata_identifiers(tmp_path):
    path = write(tmp_path, {"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {
        "component": {"type": "device", "name": "cam", "manufacturer": {"name": "Dahua"},
                      "supplier": {"name": "Reseller Ltd"}, "publisher": "Dahua Technology"},
        "supplier": {"name": "Reseller Ltd"}}})
    [cam] = CycloneDxReader().read(path).observations
    assert ids(cam) == [(IdKind.NAME, "Reseller Ltd", "cyclonedx:supplier", M),
                        (IdKind.NAME, "Dahua", "cyclonedx:manufacturer", M),
                        (IdKind.NAME, "Dahua Technology", "cyclonedx:publisher", M),
                        (IdKind.NAME, "Reseller Ltd", "cyclonedx:metadata.supplier", M)]


def test_no_subject_observation_without_names(tmp_path):
    path = write(tmp_path, {"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"timestamp": "x"}})
    res = CycloneDxReader().read(path)
    assert (res.observations, res.stats.read) == ([], 0)


def test_real_samples_counts_balance(shared):
    for name, expect in (("bom-examples_HBOM_PCIe-SATA-adapter-board.bom.json", (7, 0, 7)),
                         ("bom-examples_SBOM_dropwizard-1.3.15.bom.json", (168, 0, 168))):
        res = CycloneDxReader().read(shared(f"inputs/cyclonedx/{name}"))
        assert (res.stats.read, res.stats.malformed, len(res.observations)) == expect
        assert res.stats.unit == "component"
