"""The core CLI end to end: exit codes, formats, errors without tracebacks."""

import csv
import io
import json
from pathlib import Path

import pytest

from netvet.cli import main

FIX = Path(__file__).resolve().parents[1] / "fixtures"
MINI = ["--registry", str(FIX / "registry" / "mini"), "--mac-db", str(FIX / "pipeline" / "mini-oui.csv")]
PACK = str(FIX / "policies" / "good-pack.yaml")
INV = str(FIX / "pipeline" / "inventory.csv")
BAD = str(FIX / "pipeline" / "inventory-bad.csv")


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_audit_json_exit_codes(capsys):
    code, out, _ = run(capsys, "audit", INV, "--policy", PACK, "--format", "json", "--on", "2026-01-01", *MINI)
    assert code == 1  # FAIL findings, default --fail-on fail
    doc = json.loads(out)
    assert doc["schema"] == "netvet-report/1"
    assert doc["summary"]["per_policy"] == {"test-pack": {"PASS": 2, "REVIEW": 1, "FAIL": 2, "UNKNOWN": 2,
                                                          "WAIVED": 0}}
    core = next(f for f in doc["findings"] if f["label"] == "core-1")
    assert core["source"] == {"file": INV, "line": 2, "offset": None, "pointer": None}
    assert core["entity"] == {"id": "redco", "name": "RedCo Networks Co., Ltd.", "country": "CN",
                              "group": "redco-holding", "group_name": "Crimson Holding Ltd."}
    assert core["verdict"] == "FAIL" and core["rule_ids"] == ["t.listed"]
    assert core["identifier"]["kind"] == "oid"
    code, _, _ = run(capsys, "audit", INV, "--policy", PACK, "--format", "json", "--fail-on", "never", *MINI)
    assert code == 0


def test_audit_csv_and_output_file(capsys, tmp_path):
    out_file = tmp_path / "r.csv"
    code, _, err = run(capsys, "audit", INV, "--policy", PACK, "-f", "csv", "-o", str(out_file), *MINI)
    assert code == 1 and f"wrote {out_file}" in err
    rows = list(csv.DictReader(io.StringIO(out_file.read_text())))
    assert len(rows) == 7
    assert {(r["label"], r["verdict"]) for r in rows} == {
        ("core-1", "FAIL"), ("cam-1", "FAIL"), ("cam-2", "REVIEW"), ("cam-3", "PASS"), ("cam-4", "UNKNOWN"),
        ("sw-1", "PASS"), ("laptop", "UNKNOWN")}


def test_audit_table(capsys):
    code, out, _ = run(capsys, "audit", INV, "--policy", PACK, *MINI)
    assert code == 1
    assert "Verdicts per policy" in out and "test-pack" in out


def test_bad_input_lenient_and_strict(capsys):
    code, out, err = run(capsys, "audit", BAD, "--policy", PACK, "-f", "json", "--fail-on", "never", *MINI)
    assert code == 0
    doc = json.loads(out)
    (stats,) = doc["inputs"]
    assert stats["malformed"] >= 1
    assert "input problem(s)" in err
    code, _, err = run(capsys, "audit", BAD, "--policy", PACK, "-f", "json", "--strict", *MINI)
    assert code == 2
    assert "inventory-bad.csv" in err


def test_missing_file_and_bad_policy(capsys, tmp_path):
    code, _, err = run(capsys, "audit", str(tmp_path / "nope.csv"), "--policy", PACK, *MINI)
    assert code == 2 and "file not found" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(PACK).read_text().replace("verdict: FAIL", "verdict: BLOCK", 1))
    code, _, err = run(capsys, "audit", INV, "--policy", str(bad), *MINI)
    assert code == 2 and f"{bad}:12: rules[0].verdict" in err
    code, _, err = run(capsys, "policies", "check", str(bad))
    assert code == 2 and "rules[0].verdict" in err
    code, out, _ = run(capsys, "policies", "check", PACK, "--registry", str(FIX / "registry" / "mini"))
    assert code == 0 and "valid pack test-pack with 3 rules" in out
    code, _, _ = run(capsys, "audit", INV, "--nonsense")
    assert code == 2


def test_attribute_mac_and_oid(capsys):
    code, out, _ = run(capsys, "attribute", "00:e0:fc:12:34:56", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["entity_id"] == "huawei" and doc["status"] == "attributed"
    assert doc["org_name"] == "HUAWEI TECHNOLOGIES CO.,LTD"
    steps = [s["step"] for s in doc["chain"]]
    assert steps[:4] == ["identifier", "registry-lookup", "alias-rule", "entity"]
    assert "designation" in steps
    code, out, _ = run(capsys, "attribute", "1.3.6.1.4.1.2011.2.23.96", "--format", "json")
    assert json.loads(out)["entity_id"] == "huawei"
    code, out, _ = run(capsys, "attribute", "02:42:ac:1c:01:03", "--format", "json")
    doc = json.loads(out)
    assert doc["status"] == "unknown" and "locally administered" in doc["reason"]
    code, out, _ = run(capsys, "attribute", "00:e0:fc:12:34:56")
    assert code == 0 and "Evidence chain" in out


def test_registry_show_and_list(capsys):
    code, out, _ = run(capsys, "registry", "show", "huawei", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["id"] == "huawei" and doc["jurisdiction"]["headquarters"] == "CN"
    assert {"fcc-covered-list", "ndaa-889"} <= {d["list"] for d in doc["designations"]}
    assert "huawei-device" in {s["id"] for s in doc["subsidiaries"]}
    code, out, _ = run(capsys, "registry", "show", "honor", "--on", "2019-06-01", "--format", "json")
    assert json.loads(out)["parent_chain"][0] == "huawei"
    code, _, err = run(capsys, "registry", "show", "no-such-vendor")
    assert code == 2 and "no entity 'no-such-vendor'" in err
    code, out, _ = run(capsys, "registry", "unmatched-ouis", "--limit", "5", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and len(doc["unmatched"]) == 5 and doc["claimed_blocks"] > 3000


def test_policies_list_show(capsys):
    code, out, _ = run(capsys, "policies", "list", "--format", "json")
    ids = {p["id"] for p in json.loads(out)}
    assert ids == {"fcc-covered-list", "ndaa-889", "clean-network", "eu-5g-toolbox", "vendor-neutral-risk",
                   "uk-designated-vendors", "de-critical-components", "fr-5g-authorisations", "se-pts-2020",
                   "jp-critical-infrastructure"}
    code, out, _ = run(capsys, "policies", "show", "fcc-covered-list", "--format", "json")
    assert "fcc.covered.conditional.role-unknown" in {r["id"] for r in json.loads(out)["rules"]}


@pytest.mark.parametrize("policy", ["fcc-covered-list", "clean-network"])
def test_audit_real_nmap_sample(capsys, shared, policy):
    path = shared("inputs/nmap_xml/libnmap_full_sudo6.xml")
    code, out, _ = run(capsys, "audit", str(path), "--policy", policy, "-f", "json", "--fail-on", "never")
    doc = json.loads(out)
    assert code == 0
    assert doc["inputs"][0]["read"] == 256 and doc["inputs"][0]["skipped"] == 252
    assert len(doc["observations"]) == 4


def test_attribute_ip_through_asn_db(capsys, shared):
    db = str(shared("ipasn/ipasn_20140513.dat.gz"))
    code, out, _ = run(capsys, "attribute", "221.0.0.1", "--asn-db", db, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["entity_id"] == "china-unicom-hk"
    assert doc["chain"][1] == {"step": "prefix-lookup", "detail": "221.0.0.1 in 221.0.0.0/15, originated by AS4837",
                               "registry": "ip-to-asn", "source": db}
    code, out, _ = run(capsys, "attribute", "10.0.0.1", "--asn-db", db, "--format", "json")
    doc = json.loads(out)
    assert (code, doc["status"], doc["reason"]) == (0, "unknown", "unrouted: no prefix covers this address")
    names = str(shared("ipasn/asnames.json.gz"))
    code, out, _ = run(capsys, "attribute", "AS2497", "--as-names", names, "--format", "json")
    doc = json.loads(out)
    assert (doc["status"], doc["org_name"], doc["country"]) == ("registry-only", "Internet Initiative Japan Inc.", "JP")
    code, _, err = run(capsys, "attribute", "8.8.8.8")
    assert code == 2 and "IP -> AS needs --asn-db FILE" in err
