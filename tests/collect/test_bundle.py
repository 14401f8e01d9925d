"""Bundles: atomic files and manifest, verification, interruption, reading by `netvet audit`; credentials; the
device-cli reader's handling of the collector's header."""

from __future__ import annotations

import json
import shutil

import pytest

from netvet.collect import CollectError
from netvet.collect.bundle import Bundle, verify
from netvet.collect.credentials import SECRETS, check_private, from_keyring, load_profiles
from netvet.pipeline import read_inputs
from netvet.readers.device_cli import DeviceCliReader
from tests.collect.conftest import need_module
from tests.collect.helpers import private, run_cli
from tests.conftest import shared_file

WALK = "inputs/snmp/librenms_comware_h3c.snmprec"


def test_interrupted_collection_leaves_a_consistent_bundle(tmp_path):
    from netvet.cli.collect_cmd import _run

    walk = shared_file(WALK).read_bytes()
    b = Bundle(tmp_path / "ev", "snmp", "targets.txt", {"targets": 3})

    def body():
        b.add_file("snmp/a.snmprec", walk, "a:161", "snmp-walk")
        b.ok("a:161")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _run(b, body)
    manifest = json.loads((tmp_path / "ev" / "manifest.json").read_text())
    assert manifest["runs"][0]["status"] == "interrupted" and manifest["runs"][0]["targets_ok"] == ["a:161"]
    assert verify(tmp_path / "ev").ok
    obs, stats = read_inputs([tmp_path / "ev"])
    assert len(obs) == 1 and all(s.failed is None for s in stats)
    assert not [p for p in (tmp_path / "ev").rglob("*.tmp")]


def test_manifest_is_skipped_and_cited_not_unreadable(tmp_path):
    b = Bundle(tmp_path / "ev", "snmp", "t.txt")
    b.add_file("snmp/x.snmprec", shared_file(WALK).read_bytes(), "x:161", "snmp-walk")
    b.ok("x:161")
    b.failed("y:161", "No SNMP response received before timeout")
    b.finish()
    obs, stats = read_inputs([tmp_path / "ev"])
    man = next(s for s in stats if s.file.endswith("manifest.json"))
    assert (man.format, man.read, man.skipped, man.failed) == ("bundle-manifest", 1, 1, None)
    assert any("y:161" in i.reason for i in man.issues)  # the failed target is reported
    assert obs[0].attributes["collected_from"] == "t.txt / x:161"
    res = run_cli("audit", tmp_path / "ev", "--policy", "fcc-covered-list", "--fail-on", "never")
    assert res.exit_code == 0 and "unreadable" not in res.output.lower()


def test_verify_reports_missing_and_unlisted_files(tmp_path):
    b = Bundle(tmp_path / "ev", "snmp", "t.txt")
    b.add_file("snmp/x.snmprec", shared_file(WALK).read_bytes(), "x:161", "snmp-walk")
    b.finish()
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / "ev", copy)
    (copy / "snmp" / "x.snmprec").unlink()
    (copy / "extra.csv").write_text("hostname\nx\n")
    problems = verify(copy).problems
    assert any("missing" in p for p in problems) and any("not listed" in p for p in problems)


def test_bundle_refuses_paths_outside(tmp_path):
    b = Bundle(tmp_path / "ev", "snmp", "t.txt")
    for bad in ("../x", "/etc/x", "manifest.json"):
        with pytest.raises(CollectError):
            b.add_file(bad, b"", "t", "snmp-walk")


def test_credentials_file_permissions_and_redaction(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("profiles:\n  a: {community: pub-S3cret}\n")
    f.chmod(0o644)
    with pytest.raises(CollectError, match="chmod 600"):
        check_private(f)
    f.chmod(0o600)
    assert load_profiles(f).get("a")["community"] == "pub-S3cret"
    assert SECRETS.redact("timeout for pub-S3cret") == "timeout for ***"


def test_keyring_credentials(tmp_path, monkeypatch):
    need_module("keyring")
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        store = {("netvet-test", "community"): "ring-S3cret", ("netvet-test", "password"): "pw-ring"}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    old = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        assert from_keyring("netvet-test", "community", "x") == "ring-S3cret"
        creds = private(tmp_path / "c.yaml", "profiles:\n  ops: {username: u, password: {keyring: netvet-test}}\n")
        assert load_profiles(creds).get("ops")["password"] == "pw-ring"
        with pytest.raises(CollectError, match="no keyring entry"):
            from_keyring("netvet-test", "token", "x")
    finally:
        keyring.set_keyring(old)


def test_device_cli_reader_skips_the_collector_header(tmp_path):
    src = shared_file("inputs/cli_outputs/cisco_ios_show_version.raw").read_text()
    plain = tmp_path / "plain.txt"
    plain.write_text(src)
    headed = tmp_path / "headed.txt"
    headed.write_text("# netvet-collect: device=r1 host=10.0.0.1:22 platform=huawei_vrp collected_at=2026-01-01\n"
                      "# netvet-collect: commands=show version\n" + src)
    a = DeviceCliReader().read(plain)
    b = DeviceCliReader().read(headed)
    assert DeviceCliReader().sniff(headed, headed.read_bytes()[:4096])
    ident = [[(i.kind, i.value, i.field) for i in o.identifiers] for o in a.observations]
    assert ident == [[(i.kind, i.value, i.field) for i in o.identifiers] for o in b.observations]
    assert b.stats.malformed == a.stats.malformed == 0


def test_missing_package_names_the_extra():
    from netvet.collect import need

    with pytest.raises(CollectError, match=r"pip install 'netvet\[collect\]'"):
        need("netvet_no_such_module_xyz")
