"""`netvet collect netbox|nautobot` and `netvet publish` against a local NetBox 4.x / Nautobot 2.x-shaped API."""

from __future__ import annotations

import json

import pytest

from netvet.collect.sot import map_circuit, map_device
from netvet.pipeline import Context, run_audit
from tests.collect.conftest import need_module
from tests.collect.fake_sot import TOKEN, FakeSot
from tests.collect.helpers import grep_tree, private, run_cli

ENV = {"SOT_TOKEN": TOKEN}


@pytest.fixture(params=["netbox", "nautobot"])
def sot(request):
    need_module("pynetbox")
    with FakeSot(request.param) as s:
        yield s


def test_collect_audit_publish_roundtrip(sot, tmp_path):
    kind = sot.flavour
    out = tmp_path / "evidence"
    res = run_cli("collect", kind, sot.url, "--token-env", "SOT_TOKEN", "-o", out, env=ENV)
    assert res.exit_code == 0, res.output
    assert "1 collected, 0 failed" in res.output
    export = json.loads((out / "sot" / f"{kind}.sot.json").read_text())
    assert {d["name"] for d in export["devices"]} == {"core1", "cam-lobby", "sw-drift"}
    assert grep_tree(out, TOKEN) == [] and TOKEN not in res.output
    assert not sot.writes  # collecting never writes

    report_path = tmp_path / "report.json"
    res = run_cli("audit", out, "--policy", "fcc-covered-list", "--policy", "clean-network", "-f", "json",
                  "-o", report_path, "--fail-on", "never")
    assert res.exit_code == 0, res.output
    report = json.loads(report_path.read_text())
    obs = {o["attributes"].get("hostname") or o["attributes"].get("circuit_id"): o for o in report["observations"]}
    cam = obs["cam-lobby"]
    assert cam["role"] == "Police HQ lobby camera" and cam["attributes"]["collected_by"].startswith(
        f"netvet collect {kind}")
    verdict = {(f["subject"], f["policy"]): f["verdict"] for f in report["findings"]}
    assert verdict[(cam["id"], "fcc-covered-list")] == "FAIL"  # Hikvision, public-safety role: in FCC scope
    assert verdict[(obs["core1"]["id"], "fcc-covered-list")] == "PASS"
    ct = obs["CKT-CT-1"]
    assert ct["kind"] == "circuit" and ct["role"] == "leased-circuit"
    assert verdict[(ct["id"], "clean-network")] == "FAIL"  # a PRC carrier on a leased circuit: not a Clean Carrier
    assert verdict[(obs["CKT-LUMEN-7"]["id"], "clean-network")] != "FAIL"
    assert TOKEN not in report_path.read_text()

    # dry run: shows, writes nothing
    res = run_cli("publish", kind, report_path, "--url", sot.url, "--token-env", "SOT_TOKEN", "--dry-run", env=ENV)
    assert res.exit_code == 0, res.output
    assert "would set-tags" in res.output and "netvet-fail" in res.output
    assert not sot.writes
    # publish: tags and journal entries, nothing else
    res = run_cli("publish", kind, report_path, "--url", sot.url, "--token-env", "SOT_TOKEN", env=ENV)
    assert res.exit_code == 0, res.output
    assert sot.writes
    for method, what, body in sot.writes:
        assert what.startswith(("extras/tags", "extras/journal-entries", "extras/notes", "dcim/devices/",
                                "circuits/circuits/"))
        if method == "PATCH":
            assert set(body) == {"tags"}
    cam_tags = {t["name"] for t in sot.data["dcim/devices"][_id(sot, 2)]["tags"]}
    assert cam_tags == {"prod", "netvet-fail"}  # the operator's own tag is kept
    n = len(sot.writes)
    # a second publish changes nothing
    res = run_cli("publish", kind, report_path, "--url", sot.url, "--token-env", "SOT_TOKEN", env=ENV)
    assert res.exit_code == 0 and len(sot.writes) == n, res.output
    assert "changed 0" in res.output
    # collect again: the verdict tags are in the export
    again = tmp_path / "again"
    assert run_cli("collect", kind, sot.url, "--token-env", "SOT_TOKEN", "-o", again, env=ENV).exit_code == 0
    devices = {d["name"]: d for d in json.loads((again / "sot" / f"{kind}.sot.json").read_text())["devices"]}
    assert "netvet-fail" in devices["cam-lobby"]["tags"] and "netvet-pass" in devices["core1"]["tags"]


def _id(sot, n):
    return n if sot.flavour == "netbox" else f"00000000-0000-4000-8000-{n:012d}"


def test_inventory_drift_when_sot_and_device_disagree(tmp_path, snmp_agent):
    """sw-drift is a Cisco in NetBox, but the agent at its address is an H3C/HP Comware switch."""
    need_module("pynetbox")
    out = tmp_path / "evidence"
    with FakeSot("netbox") as s:
        assert run_cli("collect", "netbox", s.url, "--token-env", "SOT_TOKEN", "-o", out, env=ENV).exit_code == 0
    targets = private(tmp_path / "t.txt", f"127.0.0.1:{snmp_agent} community=librenms_comware_h3c name=sw-drift\n"
                                          f"127.0.0.1:{snmp_agent} community=librenms_iosxe_c9300 name=core1\n")
    res = run_cli("collect", "snmp", targets, "-o", out)
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["collector"] for r in manifest["runs"]] == ["netbox", "snmp"]
    report = run_audit([out], Context.build(["fcc-covered-list"]))
    drift = [o for o in report.observations if o.kind == "inventory-drift"]
    assert len(drift) == 1  # core1 is a Cisco both ways: no drift
    d = drift[0]
    assert d.attributes["sot_manufacturer"] == "Cisco" and "sw-drift" in d.attributes["name"]
    assert d.attributes["device_entity"] != d.attributes["sot_entity"]
    finding = next(f for f in report.findings if f.subject == d.id)
    assert finding.label.startswith("inventory drift: sw-drift")


def test_one_mapping_for_both_sources():
    nb = {"id": 1, "name": "a", "device_type": {"id": 3, "model": "M", "manufacturer": {"id": 4, "name": "Acme"}},
          "role": {"name": "Core"}, "site": {"name": "S"}, "status": {"value": "active"},
          "primary_ip": {"address": "192.0.2.1/24"}, "platform": {"slug": "cisco-ios"}, "tags": []}
    nauto = {"id": "u1", "name": "a", "device_type": {"id": "dt"}, "role": {"name": "Core"},
             "location": {"name": "S"}, "status": {"name": "Active"}, "primary_ip4": {"address": "192.0.2.1/24"},
             "platform": {"network_driver": "cisco_ios"}, "tags": []}
    a = map_device(nb, {}, {"1": [{"name": "e0", "primary_mac_address": {"mac_address": "00:00:5E:00:53:01"}}]})
    b = map_device(nauto, {"dt": {"model": "M", "manufacturer": {"name": "Acme"}}},
                   {"u1": [{"name": "e0", "mac_address": "00:00:5E:00:53:01"}]})
    for key in ("name", "manufacturer", "model", "role", "site", "primary_ip", "interfaces"):
        assert a[key] == b[key], key
    c = map_circuit({"id": 9, "cid": "X", "provider": {"id": 2, "name": "P"}}, {"2": {"asns": [{"asn": 65001}]}})
    assert c["provider_asns"] == [65001] and c["provider"] == "P"


def test_bad_token_fails_cleanly(tmp_path):
    need_module("pynetbox")
    with FakeSot("netbox") as s:
        res = run_cli("collect", "netbox", s.url, "--token-env", "SOT_TOKEN", "-o", tmp_path / "e",
                      env={"SOT_TOKEN": "wrong-token-value-123"})
    assert res.exit_code == 2
    assert "wrong-token-value-123" not in res.output
    manifest = json.loads((tmp_path / "e" / "manifest.json").read_text())
    assert manifest["runs"][0]["targets_failed"] and "wrong-token" not in json.dumps(manifest)


def test_token_never_from_command_line(tmp_path):
    res = run_cli("collect", "netbox", "http://127.0.0.1:9", "-o", tmp_path / "e")
    assert res.exit_code == 2 and "never taken from the command line" in res.output
