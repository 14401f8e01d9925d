"""Attribution uses the datasets brought in with `netvet data`, names them, and reports their age."""

import json

from netvet.cli import main


def _ieee_csv(path, rows: int = 30000):
    lines = ["Registry,Assignment,Organization Name,Organization Address"]
    for i in range(rows):  # synthetic filler so that the catalogue's size check passes
        lines.append(f"MA-L,{0x300000 + i * 4:06X},Synthetic Filler {i} Ltd,1 Test Street Testville  US 00000")
    lines.append('MA-L,3C1B2C,"Example Test Networks Co., Ltd.","9 Example Road Shenzhen Guangdong  CN 518000"')
    path.write_text("\r\n".join(lines) + "\r\n")
    return path


def test_imported_ieee_dataset_is_used_and_named(tmp_path, capsys):
    csv = _ieee_csv(tmp_path / "oui.csv")
    assert main(["data", "import", "ieee-ma-l", str(csv)]) == 0
    capsys.readouterr()
    assert main(["attribute", "3c:1b:2c:00:00:01", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert (doc["status"], doc["org_name"], doc["country"]) == (
        "registry-only", "Example Test Networks Co., Ltd.", "CN")
    assert doc["dataset"].startswith("ieee-ma-l@")
    # netaddr's bundled blocks are still there underneath
    assert main(["attribute", "00:e0:fc:12:34:56", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["entity_id"] == "huawei"


def test_report_lists_datasets_and_warns_when_stale(tmp_path, capsys):
    inv = tmp_path / "inv.csv"
    inv.write_text("hostname,mac,vendor\nsw1,00:e0:fc:00:00:01,Huawei\n")
    assert main(["audit", str(inv), "-p", "fcc-covered-list", "-f", "json", "--fail-on", "never"]) == 0
    out, err = capsys.readouterr()
    names = {d["name"]: d for d in json.loads(out)["datasets"]}
    assert names["ieee-ma-l"]["origin"] == "bundled" and names["ieee-ma-l"]["stale"] is True
    assert "warning: dataset ieee-ma-l (netaddr-1.3.0) is" in err
