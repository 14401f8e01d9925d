"""`netvet collect ssh` against fakenos (Cisco IOS, Arista EOS, Huawei SmartAX over SSH on 127.0.0.1)."""

from __future__ import annotations

import json
import socket

import pytest

from netvet.collect.ssh import check_read_only, load_commands
from netvet.pipeline import Context, run_audit
from tests.collect.conftest import need_module
from tests.collect.helpers import grep_tree, private, run_cli

PASSWORD = "ssh-S3cret-pw"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fake_devices():
    need_module("fakenos")
    need_module("netmiko")
    from fakenos import FakeNOS

    ports = {"ios1": _free_port(), "eos1": _free_port(), "olt1": _free_port()}
    platforms = {"ios1": "cisco_ios", "eos1": "arista_eos", "olt1": "huawei_smartax"}
    inv = {"hosts": {n: {"username": "netvet", "password": PASSWORD, "port": p, "platform": platforms[n]}
                     for n, p in ports.items()}}
    net = FakeNOS(inventory=inv)
    net.start()
    try:
        yield ports
    finally:
        net.stop()


@pytest.fixture(scope="module")
def collected(fake_devices, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ssh")
    creds = private(tmp / "creds.yaml", f"profiles:\n  ops: {{username: netvet, password: {PASSWORD}}}\n"
                                        "  wrong: {username: netvet, password: not-the-password-77}\n")
    dead = _free_port()
    inv = tmp / "inventory.yaml"
    inv.write_text(
        "defaults: {profile: ops}\n"
        "devices:\n"
        f"  - {{name: ios1, host: 127.0.0.1, port: {fake_devices['ios1']}, platform: cisco_ios}}\n"
        f"  - {{name: eos1, host: 127.0.0.1, port: {fake_devices['eos1']}, platform: arista_eos}}\n"
        f"  - {{name: olt1, host: 127.0.0.1, port: {fake_devices['olt1']}}}\n"  # platform detected
        f"  - {{name: gone, host: 127.0.0.1, port: {dead}, platform: cisco_ios}}\n"
        f"  - {{name: locked, host: 127.0.0.1, port: {fake_devices['ios1']}, platform: cisco_ios, profile: wrong}}\n")
    out = tmp / "evidence"
    res = run_cli("collect", "ssh", inv, "--credentials", creds, "-o", out, "--timeout", "5")
    return tmp, out, res


def test_collects_reachable_devices_and_records_failures(collected):
    _, out, res = collected
    assert res.exit_code == 0, res.output
    run = json.loads((out / "manifest.json").read_text())["runs"][-1]
    assert sorted(run["targets_ok"]) == ["eos1", "ios1", "olt1"]
    failed = {f["target"]: f["reason"] for f in run["targets_failed"]}
    assert set(failed) == {"gone", "locked"}
    assert "auth" in failed["locked"].lower()
    text = (out / "ssh" / "olt1.txt").read_text()
    assert text.startswith("# netvet-collect: device=olt1") and "display version" in text
    assert "platform=huawei_smartax" in text.splitlines()[0]  # detected from its version output


def test_capture_is_read_as_device_cli(collected):
    _, out, _ = collected
    report = run_audit([out], Context.build(["fcc-covered-list"]))
    by_file = {}
    for o in report.observations:
        by_file.setdefault(o.source.file.rsplit("/", 1)[-1], []).append(o)
    olt = next(o for o in by_file["olt1.txt"] if o.kind == "device")
    assert olt.attributes["collected_by"].startswith("netvet collect ssh")
    names = {i.value for i in olt.identifiers}
    assert not any("netvet-collect" in v for v in names)  # the header is never evidence
    man = next(s for s in report.inputs if s.file.endswith("manifest.json"))
    assert man.failed is None


def test_no_password_anywhere(collected):
    tmp, out, res = collected
    assert grep_tree(out, PASSWORD) == [] and grep_tree(out, "not-the-password-77") == []
    assert PASSWORD not in res.output


def test_platform_classification():
    from netvet.collect.ssh import classify

    assert classify("", "[admin@MikroTik] >", []) == "mikrotik_routeros"
    assert classify("", "netvet@mx1>", []) == "juniper_junos"
    assert classify("", "sw1#", ["Arista DCS-7050TX-64"]) == "arista_eos"
    assert classify("", "<HUAWEI>", ["Huawei Versatile Routing Platform Software"]) == "huawei_vrp"
    assert classify("", "r1>", ["% Invalid input"]) is None


def test_allow_list_is_read_only():
    cmds = load_commands()
    assert {"cisco_ios", "arista_eos", "huawei_smartax"} <= set(cmds)
    for bad in ("configure terminal", "reload", "show run | include x", "show version; reload", "clear counters",
                "display current-configuration > flash:x", "/system reboot", "debug all", "show clear"):
        with pytest.raises(ValueError):
            check_read_only(bad)


def test_bad_allow_list_is_refused(tmp_path):
    bad = tmp_path / "cmds.yaml"
    bad.write_text("schema: 1\nplatforms:\n  cisco_ios: {netmiko: cisco_ios, commands: ['write memory']}\n")
    inv = tmp_path / "inv.yaml"
    inv.write_text("devices:\n  - {host: 127.0.0.1}\n")
    res = run_cli("collect", "ssh", inv, "--commands", bad, "-o", tmp_path / "e")
    assert res.exit_code == 2 and "not a read-only command" in res.output


def test_credentials_file_must_be_private(tmp_path):
    creds = tmp_path / "creds.yaml"
    creds.write_text("profiles:\n  ops: {username: a, password: b}\n")
    creds.chmod(0o640)
    inv = tmp_path / "inv.yaml"
    inv.write_text("devices:\n  - {host: 127.0.0.1, profile: ops}\n")
    res = run_cli("collect", "ssh", inv, "--credentials", creds, "-o", tmp_path / "e")
    assert res.exit_code == 2 and "readable by group or others" in res.output
