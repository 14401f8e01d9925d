"""cyclonedx-json reader: real HBOM/SBOM samples, 1.5/1.6 network-gear fixtures, bad inputs."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import pytest

from netvet.model import IdKind, InputError, Strength
from netvet.readers.cyclonedx import CycloneDxReader, pointer

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "readers"
M, W = Strength.MODERATE, Strength.WEAK
CPE, NAME = IdKind.CPE, IdKind.NAME


def ids(obs) -> list[tuple]:
    return [(i.kind, i.value, i.field, i.strength) for i in obs.identifiers]


def test_hbom_six_device_components_with_suppliers(shared):
    path = shared("inputs/cyclonedx/bom-examples_HBOM_PCIe-SATA-adapter-board.bom.json")
    res = CycloneDxReader().read(path)
    assert (res.stats.read, res.stats.malformed, res.stats.issues) == (7, 0, [])
    board, *parts = res.observations
    root = "bom-examples_HBOM_PCIe-SATA-adapter-board.bom.json:/metadata/component"
    assert board.id == root and board.kind == "device" and board.parent is None
    assert board.source.pointer == "/metadata/component" and board.identifiers == []
    assert board.attributes == {"name": "pcie-sata-adaptor-board", "group": "uk.ac.cam.cl",
                                "version": "rev-1", "bom_ref": "pcie-sata-adaptor-board"}
    assert [p.source.pointer for p in parts] == [f"/components/{i}" for i in range(6)]
    assert {p.kind for p in parts} == {"device"} and {p.parent for p in parts} == {root}
    assert [ids(p) for p in parts] == [[(NAME, s, "cyclonedx:supplier", M)] for s in (
        "Samtec", "Molex", "3M", "Multicomp", "TE Connectivity", "Multicomp")]
    molex = parts[1]
    assert molex.attributes["supplier_url"] == "https://www.molex.com/"
    assert molex.attributes["property:cdx:device:gs1:gtin-12"] == "822348522712"
    assert molex.attributes["property:cdx:device:quantity"] == "8"


def test_dropwizard_sbom_1_2_publishers_no_suppliers(shared):
    res = CycloneDxReader().read(shared("inputs/cyclonedx/bom-examples_SBOM_dropwizard-1.3.15.bom.json"))
    st = res.stats
    assert (st.read, st.malformed, len(res.observations)) == (168, 0, 168)
    assert [(i.severity, i.reason) for i in st.issues] == [
        ("warning", "CycloneDX 1.2 is read with reduced support (netvet reads 1.4-1.6 fully; "
                    "1.2 has no manufacturer or address fields)")]
    assert Counter(o.kind for o in res.observations) == {"library": 168}
    fields = Counter(i.field for o in res.observations for i in o.identifiers)
    assert fields == {"cyclonedx:publisher": 90}
    publishers = Counter(i.value for o in res.observations for i in o.identifiers)
    assert (publishers["Oracle Corporation"], publishers["Webtide"], publishers["QOS.ch"]) == (21, 18, 7)
    first = res.observations[1]
    assert first.source.pointer == "/components/0"
    assert first.attributes["purl"] == (
        "pkg:maven/com.fasterxml.jackson.core/jackson-annotations@2.9.10?type=jar")


def test_1_5_hikvision_camera_firmware():
    res = CycloneDxReader().read(FIX / "cdx15_hikvision_camera.cdx.json")
    assert [(i.severity, i.reason) for i in res.stats.issues] == [
        ("warning", "/components/1/cpe: not a CPE name: 'openssl 1.0.2k'")]
    cam, fw, kernel, ssl = res.observations
    name = "cdx15_hikvision_camera.cdx.json"
    assert (cam.id, cam.kind, cam.parent) == (f"{name}:/metadata/component", "device", None)
    assert ids(cam) == [
        (CPE, "cpe:2.3:h:hikvision:ds-2cd2185fwd-i:-:*:*:*:*:*:*:*", "cyclonedx:cpe", M),
        (NAME, "Hangzhou Hikvision Digital Technology Co., Ltd.", "cyclonedx:metadata.manufacturer", M),
        (NAME, "Example Security Distribution GmbH", "cyclonedx:metadata.supplier", M),
    ]
    assert (fw.id, fw.kind, fw.parent) == (f"{name}:/metadata/component/components/0", "firmware", cam.id)
    assert ids(fw) == [
        (NAME, "Hikvision", "cyclonedx:supplier", M),
        (CPE, "cpe:2.3:o:hikvision:ds-2cd2185fwd-i_firmware:5.5.3:*:*:*:*:*:*:*", "cyclonedx:cpe", M),
    ]
    assert kernel.kind == "operating-system" and kernel.parent == cam.id
    assert ids(kernel) == [(NAME, "The Linux Foundation", "cyclonedx:publisher", M),
                           (CPE, "cpe:2.3:o:linux:linux_kernel:3.10.0:*:*:*:*:*:*:*", "cyclonedx:cpe", M)]
    assert ids(ssl) == [(NAME, "The OpenSSL Project", "cyclonedx:author", W)]
    assert ssl.attributes["cpe"] == "openssl 1.0.2k"


def test_1_6_huawei_router_manufacturer_address_and_nesting():
    res = CycloneDxReader().read(FIX / "cdx16_huawei_router.cdx.json")
    assert (res.stats.read, res.stats.malformed, res.stats.issues) == (5, 0, [])
    name = "cdx16_huawei_router.cdx.json"
    by_ptr = {o.source.pointer: o for o in res.observations}
    assert list(by_ptr) == ["/metadata/component", "/components/0", "/components/0/components/0",
                            "/components/0/components/1", "/components/1"]
    router = by_ptr["/metadata/component"]
    assert ids(router) == [
        (NAME, "Huawei Technologies Co., Ltd.", "cyclonedx:manufacturer", M),
        (CPE, "cpe:2.3:h:huawei:ar1220:-:*:*:*:*:*:*:*", "cyclonedx:cpe", M),
        (NAME, "Huawei Technologies Co., Ltd.", "cyclonedx:metadata.manufacturer", M),
    ]
    assert router.attributes["manufacturer_country"] == "CN"
    assert router.attributes["metadata_manufacturer_country"] == "CN"
    soc = by_ptr["/components/0/components/0"]
    assert soc.parent == f"{name}:/components/0" and soc.kind == "device"
    assert ids(soc) == [(NAME, "Example Components Trading Ltd", "cyclonedx:supplier", M),
                        (NAME, "HiSilicon Technologies Co., Ltd.", "cyclonedx:manufacturer", M)]
    assert (soc.attributes["supplier_country"], soc.attributes["manufacturer_country"]) == ("HK", "CN")
    vrp = by_ptr["/components/0/components/1"]
    assert vrp.kind == "firmware" and vrp.parent == f"{name}:/components/0"
    assert ids(vrp) == [
        (NAME, "VRP build team", "cyclonedx:author", W),
        (CPE, "cpe:2.3:o:huawei:ar1220_firmware:v200r003c01spc900:*:*:*:*:*:*:*", "cyclonedx:cpe", M),
    ]
    assert vrp.attributes["property:netvet:example"] == "nested two levels"
    web = by_ptr["/components/1"]
    assert web.kind == "application" and web.parent == router.id
    assert ids(web) == [(NAME, "Huawei", "cyclonedx:publisher", M)]


def test_reduced_support_version_warns_but_reads():
    res = CycloneDxReader().read(FIX / "cdx13_reduced.json")
    [zlib] = res.observations
    assert zlib.parent is None  # no metadata.component
    assert ids(zlib) == [(NAME, "Jean-loup Gailly and Mark Adler", "cyclonedx:publisher", M),
                         (CPE, "cpe:/a:zlib:zlib:1.2.11", "cyclonedx:cpe", M)]
    assert [i.reason for i in res.stats.issues] == [
        "CycloneDX 1.3 is read with reduced support (netvet reads 1.4-1.6 fully; "
        "1.3 has no manufacturer or address fields)"]


def test_components_missing_type_or_name_are_problems_with_pointers():
    res = CycloneDxReader().read(FIX / "cdx_missing_fields.cdx.json")
    assert [o.source.pointer for o in res.observations] == ["/components/0", "/components/2/components/0",
                                                            "/components/4"]
    assert [o.kind for o in res.observations] == ["device", "library", "gizmo"]
    assert res.observations[1].parent is None  # its enclosing component was malformed
    assert (res.stats.read, res.stats.malformed) == (6, 3)
    assert [(i.severity, i.reason) for i in res.stats.issues] == [
        ("error", "/components/1: component has no 'type'"),
        ("error", "/components/2: component has no 'name'"),
        ("error", "/components/3: component is not an object"),
        ("warning", "/components/4: unknown component type 'gizmo'"),
    ]


def test_malformed_json_has_line_and_column():
    with pytest.raises(InputError) as exc:
        CycloneDxReader().read(FIX / "cdx_malformed.cdx.json")
    assert exc.value.issue.line == 5
    assert exc.value.issue.reason == (
        "malformed JSON: Expecting property name enclosed in double quotes (line 5, column 36)")


@pytest.mark.parametrize("name", ["not_cyclonedx.json", "spdx_not_cyclonedx.bom.json"])
def test_other_json_is_not_sniffed_and_not_read(name):
    path = FIX / name
    assert CycloneDxReader().sniff(path, path.read_bytes()[:4096]) is False
    with pytest.raises(InputError, match='not a CycloneDX BOM: no "bomFormat": "CycloneDX"'):
        CycloneDxReader().read(path)


def test_sniff():
    reader = CycloneDxReader()
    for name in ("cdx15_hikvision_camera.cdx.json", "cdx16_huawei_router.cdx.json", "cdx13_reduced.json",
                 "cdx_malformed.cdx.json"):
        assert reader.sniff(FIX / name, (FIX / name).read_bytes()[:4096]) is True
    for name in ("inventory_good.csv", "nmap_cameras.xml", "snmprec_bad.snmprec"):
        assert reader.sniff(FIX / name, (FIX / name).read_bytes()[:4096]) is False
    # bomFormat beyond the head of a large file named by the CycloneDX convention
    big_head = b'{"metadata": {"tools": [' + b" " * 5000
    assert reader.sniff(Path("router.cdx.json"), big_head[:4096]) is True
    assert reader.sniff(Path("router.json"), big_head[:4096]) is False


def test_gzip_input_and_progress(tmp_path):
    target = tmp_path / "router.cdx.json.gz"
    target.write_bytes(gzip.compress((FIX / "cdx16_huawei_router.cdx.json").read_bytes()))
    calls = []
    res = CycloneDxReader().read(target, progress=lambda d, t: calls.append((d, t)))
    assert res.observations[0].id == "router.cdx.json.gz:/metadata/component"
    assert len(res.observations) == 5 and calls[-1] == (target.stat().st_size,) * 2


def test_pointer_escaping():
    assert pointer("components", 3, "a/b~c") == "/components/3/a~1b~0c"
