"""`netvet enforce` blocklists: exact contents, and each output checked by its real tool (nft -c, named-checkzone,
unbound-checkconf, ipset restore in a throw-away network namespace)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from netvet.cli import main
from netvet.enforce.blocklists import WRITERS, collapse

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "enforce"
PFX = ["--asn-db", str(FIX / "pfx2as.txt")]
REPORT = ["--from-report", str(FIX / "report.json")]
ON = ["--on", "2026-01-01"]


def tool(name: str) -> str:
    """A system tool's path; missing: fail under CI=true, skip otherwise (like conftest.system_file)."""
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/sbin/{name}") if os.path.exists(p)), None)
    if path is None:
        msg = f"system tool missing (install its Debian package): {name}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


def run(capsys, tmp_path, fmt, *args):
    out = tmp_path / f"out.{fmt}"
    code = main(["enforce", "-f", fmt, "-o", str(out), *ON, *args])
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code == 0, err
    return out, out.read_text(), err


def body(text: str, comment: str = "#") -> list[str]:
    return [x for x in text.splitlines() if x.strip() and not x.lstrip().startswith(comment)]


def test_writers_registered():
    assert sorted(WRITERS) == ["device-csv", "dnsmasq", "ipset", "mdm-csv", "nftables", "rpz", "unbound"]


def test_collapse():
    assert collapse(["1.0.4.0/24", "1.0.5.0/24", "1.0.4.0/25", "2400:da00::/32"]) == (["1.0.4.0/23"],
                                                                                       ["2400:da00::/32"])


def test_nftables_policy(capsys, tmp_path):
    out, text, err = run(capsys, tmp_path, "nftables", *PFX)
    assert "3 prefixes blocked" in err
    assert "# 1 prefixes also originated by an AS the policy does not exclude are NOT blocked" in text
    assert "#   AS4134: China Telecom Corporation Limited: FAIL clean.named" in text
    elements = [x.strip() for x in text.splitlines() if x.startswith("\t\t\t")]
    assert elements == ["1.0.4.0/23,", "101.0.0.0/16,", "2400:da00::/32,"]
    nft = tool("nft")
    res = subprocess.run([nft, "-c", "-f", str(out)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr


def test_ipset_restores_in_a_namespace(capsys, tmp_path):
    out, text, _ = run(capsys, tmp_path, "ipset", *PFX)
    assert body(text) == [
        "create netvet-clean-network-v4 hash:net family inet maxelem 65536 -exist",
        "flush netvet-clean-network-v4",
        "add netvet-clean-network-v4 1.0.4.0/23 -exist",
        "add netvet-clean-network-v4 101.0.0.0/16 -exist",
        "create netvet-clean-network-v6 hash:net family inet6 maxelem 65536 -exist",
        "flush netvet-clean-network-v6",
        "add netvet-clean-network-v6 2400:da00::/32 -exist",
    ]
    ip, ipset = tool("ip"), tool("ipset")
    ns = f"netvet-test-{uuid.uuid4().hex[:8]}"
    made = subprocess.run([ip, "netns", "add", ns], capture_output=True, text=True, timeout=30)
    if made.returncode != 0:
        msg = f"cannot create a network namespace: {made.stderr.strip()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        with open(out) as fh:
            res = subprocess.run([ip, "netns", "exec", ns, ipset, "restore"], stdin=fh, capture_output=True,
                                 text=True, timeout=30)
        assert res.returncode == 0, res.stderr
        listed = subprocess.run([ip, "netns", "exec", ns, ipset, "list", "netvet-clean-network-v4"],
                                capture_output=True, text=True, timeout=30).stdout
        assert "Number of entries: 2" in listed and "101.0.0.0/16" in listed
    finally:
        subprocess.run([ip, "netns", "del", ns], capture_output=True, timeout=30)


def test_rpz_zone(capsys, tmp_path):
    out, text, err = run(capsys, tmp_path, "rpz")
    lines = body(text, ";")
    assert lines[:3] == ["$TTL 300", "@\tIN\tSOA\tlocalhost. hostmaster.localhost. ( 1 3600 600 86400 300 )",
                         "@\tIN\tNS\tlocalhost."]
    assert "huawei.com\tCNAME\t." in lines and "*.huawei.com\tCNAME\t." in lines
    assert not any(x.startswith(("google.com", "cisco.com")) for x in lines)
    res = subprocess.run([tool("named-checkzone"), "rpz.netvet", str(out)], capture_output=True, text=True,
                         timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr


def test_unbound_and_dnsmasq_from_report(capsys, tmp_path):
    out, text, _ = run(capsys, tmp_path, "unbound", *REPORT)
    assert body(text) == ["server:", '\tlocal-zone: "qq.com." always_nxdomain']
    res = subprocess.run([tool("unbound-checkconf"), str(out)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    _, text, _ = run(capsys, tmp_path, "dnsmasq", *REPORT)
    assert body(text) == ["address=/qq.com/"]


def test_unbound_policy_passes_checkconf(capsys, tmp_path):
    out, text, err = run(capsys, tmp_path, "unbound")
    assert '\tlocal-zone: "huawei.com." always_nxdomain' in text
    res = subprocess.run([tool("unbound-checkconf"), str(out)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr


def test_mdm_csv(capsys, tmp_path):
    _, text, _ = run(capsys, tmp_path, "mdm-csv", *REPORT)
    assert text.splitlines() == ["package,match,entity_id,entity,verdict,rule_ids,note",
                                 "com.tencent.mm,exact,tencent,Tencent Holdings Limited,FAIL,clean.named,"
                                 "finding pkgs.txt:1"]
    _, text, _ = run(capsys, tmp_path, "mdm-csv")  # from the curated package rules
    rows = text.splitlines()
    assert rows[0] == "package,match,entity_id,entity,verdict,rule_ids,note"
    assert any(r.startswith("com.tencent.,prefix,tencent,") for r in rows)
    assert not any(",google," in r or ",meta," in r for r in rows)


def test_device_csv(capsys, tmp_path):
    _, text, _ = run(capsys, tmp_path, "device-csv", *REPORT)
    assert text.splitlines() == [
        "subject,label,kind,hostname,ip,mac,site,role,entity_id,entity,country,verdict,rule_ids,reasons,source",
        'inv.csv:2,core-sw-1,device,core-sw-1,10.0.0.1,00:e0:fc:12:34:56,hq,core,huawei,"Huawei Technologies Co., '
        'Ltd.",CN,FAIL,clean.named,"Huawei Technologies Co., Ltd. is named by the Clean Network",inv.csv:2']
    _, text, _ = run(capsys, tmp_path, "device-csv", *REPORT, "--include-review")
    assert len(text.splitlines()) == 3


def test_nftables_from_report(capsys, tmp_path):
    _, text, _ = run(capsys, tmp_path, "nftables", *REPORT, *PFX)
    assert [x.strip() for x in text.splitlines() if x.startswith("\t\t\t")] == ["1.0.4.0/23,", "2400:da00::/32,"]


def test_errors(capsys, tmp_path):
    for args, msg in ((["-f", "device-csv"], "give --from-report"),
                      (["-f", "nftables"], "need IP -> AS data"),
                      (["-f", "rpz", "--from-report", str(FIX / "pfx2as.txt")], "not valid JSON"),
                      (["-f", "rpz", "--from-report", str(FIX / "report.json"), "--policy", "ndaa-889"],
                       "no findings of policy 'ndaa-889'")):
        code = main(["enforce", *args])
        _, err = capsys.readouterr()
        assert code == 2 and msg in err and "Traceback" not in err
