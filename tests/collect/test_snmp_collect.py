"""`netvet collect snmp` against snmpsim serving the real LibreNMS walks on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netvet.collect.bundle import verify
from netvet.pipeline import Context, run_audit
from netvet.policies import bundled_pack_paths
from tests.collect.conftest import V3
from tests.collect.helpers import finding_keys, grep_tree, private, run_cli

COMMUNITY_SECRET = "env-community-S3CRET"


@pytest.fixture(scope="module")
def collected(snmp_agent, snmp_walks, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("snmp")
    lines = [f"127.0.0.1:{snmp_agent} community={name} name={name}" for name in snmp_walks]
    lines.append(f"127.0.0.1:{snmp_agent} profile=v3 name=v3-comware")
    lines.append("127.0.0.1:9 name=unreachable")  # nothing listens: times out, the others are kept
    targets = private(tmp / "targets.txt", "\n".join(lines) + "\n")
    user, auth, priv = V3
    creds = private(tmp / "creds.yaml", f"profiles:\n  v3: {{snmp_version: '3', user: {user}, auth_key: {auth}, "
                    f"priv_key: {priv}, context: librenms_comware_h3c}}\n")
    out = tmp / "evidence"
    res = run_cli("collect", "snmp", targets, "--community-env", "NETVET_TEST_COMMUNITY", "--credentials", creds,
                  "-o", out, "--timeout", "3", "--retries", "1",  # generous: a loaded CI machine answers slowly
                  env={"NETVET_TEST_COMMUNITY": COMMUNITY_SECRET})
    return tmp, out, res


def test_collects_every_reachable_target_and_records_the_failure(collected, snmp_walks):
    _, out, res = collected
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "manifest.json").read_text())
    run = manifest["runs"][-1]
    assert run["status"] == "partial"
    assert len(run["targets_ok"]) == len(snmp_walks) + 1
    assert [f["target"] for f in run["targets_failed"]] == ["127.0.0.1:9 (unreachable)"]
    assert "timeout" in run["targets_failed"][0]["reason"].lower()
    assert verify(out).ok
    line = (out / "snmp" / f"127.0.0.1_{run['targets_ok'][0].split(':')[1].split()[0]}_"
            f"{next(iter(snmp_walks))}.snmprec").read_text().splitlines()[0]
    assert line.startswith("1.3.6.1.2.1.1.1.0|4")


def test_bundle_audits_to_the_same_findings_as_the_walks(collected, snmp_walks):
    _, out, _ = collected
    ctx = Context.build(list(bundled_pack_paths()))
    direct = finding_keys(run_audit(list(snmp_walks.values()), ctx), lambda f: Path(f).stem)
    bundle_report = run_audit([out], ctx)
    collected_keys = finding_keys(bundle_report, lambda f: Path(f).stem.split("_", 2)[-1])
    for name in snmp_walks:
        assert collected_keys[name] == direct[name], name
    assert collected_keys["v3-comware"] == direct["librenms_comware_h3c"]  # SNMPv3 walk of the same agent
    # the manifest is read (cited, skipped), never an unreadable input
    man = next(s for s in bundle_report.inputs if s.file.endswith("manifest.json"))
    assert man.format == "bundle-manifest" and man.failed is None and man.skipped == 1
    # every observation cites the bundle
    for obs in bundle_report.observations:
        assert obs.attributes["bundle_manifest"].endswith("manifest.json")
        assert obs.attributes["bundle_integrity"] == "sha256 ok"
        assert obs.attributes["collected_by"].startswith("netvet collect snmp")
    # re-audited later: identical findings
    again = finding_keys(run_audit([out], ctx), lambda f: Path(f).stem)
    assert again == finding_keys(bundle_report, lambda f: Path(f).stem)


def test_no_secret_in_bundle_or_output(collected):
    tmp, out, res = collected
    for secret in (COMMUNITY_SECRET, V3[1], V3[2]):
        assert grep_tree(out, secret) == []
        assert secret not in res.output
    report = tmp / "report.json"
    run_cli("audit", out, "-f", "json", "-o", report, "--fail-on", "never")
    for secret in (COMMUNITY_SECRET, V3[1], V3[2]):
        assert secret not in report.read_text()


def test_verify_detects_a_changed_file(collected, tmp_path):
    import shutil

    _, out, _ = collected
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    victim = sorted((copy / "snmp").iterdir())[0]
    victim.write_text(victim.read_text().replace("|4|", "|4|X", 1))
    res = run_cli("collect", "verify", copy)
    assert res.exit_code == 2 and "sha256" in res.output
    report = run_audit([copy], Context.build(["fcc-covered-list"]))
    obs = next(o for o in report.observations if o.source.file == str(victim))
    assert obs.attributes["bundle_integrity"] == "MODIFIED since collection"
    assert run_cli("collect", "verify", out).exit_code == 0


def test_targets_file_with_communities_must_be_private(tmp_path):
    t = tmp_path / "targets.txt"
    t.write_text("127.0.0.1 community=abc\n")
    t.chmod(0o644)
    res = run_cli("collect", "snmp", t, "-o", tmp_path / "ev")
    assert res.exit_code == 2 and "chmod 600" in res.output
    assert "abc" not in res.output


def test_missing_credentials_is_a_usage_error(tmp_path):
    t = tmp_path / "targets.txt"
    t.write_text("127.0.0.1\n")
    res = run_cli("collect", "snmp", t, "-o", tmp_path / "ev")
    assert res.exit_code == 2 and "no credentials" in res.output
    res = run_cli("collect", "snmp", t, "--community-env", "NETVET_UNSET_VAR_X", "-o", tmp_path / "ev")
    assert res.exit_code == 2 and "NETVET_UNSET_VAR_X is not set" in res.output
