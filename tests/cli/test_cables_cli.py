"""`netvet cables audit | exposure` end to end on the handmade cable map fixture (and the real data)."""

from __future__ import annotations

import json
import re
import tarfile
from pathlib import Path

import pytest

from netvet.cli import main
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "cables"
ON = ["--on", "2026-01-01"]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def audit_json(capsys, tmp_path, *extra):
    out = tmp_path / "a.json"
    code, _, err = run(capsys, "cables", "audit", "--country", "US", "--data", str(FIX), "-f", "json", "-o",
                       str(out), *ON, *extra)
    assert code == 0, err
    return json.loads(out.read_text()), err


def test_audit_verdicts_per_cable_party_and_landing_point(capsys, tmp_path):
    doc, err = audit_json(capsys, tmp_path)
    assert "5 cables read (2 attributed, 0 unattributed, 2 malformed, 1 elsewhere); 2 land in US" in err
    assert doc["summary"] == {"cables": 2, "landing_points": 2, "parties": 9, "parties_attributed": 7,
                              "cable_verdicts": {"FAIL": 1, "REVIEW": 0, "UNKNOWN": 1, "PASS": 0},
                              "landing_point_verdicts": {"FAIL": 1, "REVIEW": 0, "UNKNOWN": 1, "PASS": 0}}
    cables = {c["id"]: c for c in doc["cables"]}
    assert cables["alpha"]["verdict"] == "FAIL" and cables["beta"]["verdict"] == "UNKNOWN"
    got = [(p["role"], p["name"], p["entity"]["id"] if p["entity"] else None, p["verdict"], p["rule_ids"])
           for p in cables["alpha"]["parties"]]
    assert got == [
        ("owner", "China Telecom", "china-telecom-corp", "FAIL",
         ["clean.named", "clean.prc-jurisdiction", "clean.prc-state-owned"]),
        ("owner", "Google", "google", "PASS", []),
        ("owner", "Arelion (formerly Telia Carrier)", "arelion", "PASS", []),
        ("owner", "Acme Cable, Inc.", None, "UNKNOWN", []),
        ("supplier", "HMN Tech", "hmn-technologies", "FAIL", ["clean.named", "clean.prc-jurisdiction"]),
    ]
    beta = [(p["name"], p["entity"]["id"] if p["entity"] else None, p["verdict"]) for p in cables["beta"]["parties"]]
    assert beta == [("Meta", "meta", "PASS"), ("Nowhere Networks", None, "UNKNOWN"), ("SubCom", "subcom", "PASS"),
                    ("ASN", "alcatel-submarine-networks", "PASS")]
    hmn = cables["alpha"]["parties"][4]
    assert hmn["method"] == "name" and hmn["evidence"][0]["step"] == "identifier"
    assert any(s["step"] == "alias-rule" for s in hmn["evidence"])
    assert [(p["id"], p["verdict"], p["cables"]) for p in doc["landing_points"]] == [
        ("hermosa-beach-ca-united-states", "FAIL", ["alpha"]), ("virginia-beach-va-united-states", "UNKNOWN", ["beta"])]
    assert doc["unmatched"] == {
        "owner": [{"name": "Acme Cable, Inc.", "cables": ["alpha"],
                   "reason": "name 'Acme Cable, Inc.' matches no curated entity"},
                  {"name": "Nowhere Networks", "cables": ["beta"],
                   "reason": "name 'Nowhere Networks' matches no curated entity"}],
        "supplier": []}
    assert doc["input"]["read"] == doc["input"]["attributed"] + doc["input"]["unattributed"] + \
        doc["input"]["malformed"] + doc["input"]["skipped"]
    assert doc["data"]["licence"].startswith("CC BY-NC-SA 3.0")


def test_asn_ownership_before_and_after_the_french_state(capsys, tmp_path):
    doc, _ = audit_json(capsys, tmp_path)
    asn = next(p for c in doc["cables"] for p in c["parties"] if p["name"] == "ASN")
    assert asn["entity"]["group"] == "alcatel-submarine-networks"  # 2026: 80% French state, 20% Nokia
    doc, _ = audit_json(capsys, tmp_path, "--on", "2020-01-01")
    asn = next(p for c in doc["cables"] for p in c["parties"] if p["name"] == "ASN")
    assert asn["entity"]["group"] == "nokia"


def test_html_map_is_offline_svg(capsys, tmp_path):
    out = tmp_path / "m.html"
    code, _, _ = run(capsys, "cables", "audit", "-c", "US", "--data", str(FIX), "-f", "html", "-o", str(out), *ON)
    html = out.read_text()
    assert code == 0
    assert "<svg" in html and "<script" not in html
    assert not re.search(r'(?:src|href)="https?://', html)
    assert html.count('class="cable v-FAIL"') == 2  # alpha's two route segments
    assert html.count('class="cable v-UNKNOWN"') == 1
    assert html.count('class="landing v-FAIL"') == 1 and html.count('class="landing v-UNKNOWN"') == 1
    assert 'cx="-118.4" cy="-33.86"' in html
    assert "CC BY-NC-SA 3.0" in html


def test_table_and_japan(capsys):
    code, out, err = run(capsys, "cables", "audit", "-c", "JP", "--data", str(FIX), *ON)
    assert code == 0
    assert "Alpha Pacific" in out and "Gamma Domestic" in out
    assert "2 land in JP: FAIL 1, REVIEW 0, UNKNOWN 1, PASS 0" in err


def test_errors(capsys, tmp_path):
    code, _, err = run(capsys, "cables", "audit", "-c", "XX", "--data", str(FIX))
    assert code == 2 and "unknown country 'XX'" in err
    code, _, err = run(capsys, "cables", "audit", "-c", "US")
    assert code == 2 and "netvet data fetch submarine-cable-map" in err
    code, _, err = run(capsys, "cables", "audit", "-c", "US", "--data", str(tmp_path / "nope"))
    assert code == 2 and "not found" in err
    code, _, err = run(capsys, "cables", "exposure", "--data", str(FIX))
    assert code == 2 and "give --route-evidence FILE or --asn AS" in err


def test_dataset_import_then_audit(capsys, tmp_path):
    import io
    import os

    big = tmp_path / "smc.tar.gz"
    with tarfile.open(big, "w:gz") as t:
        t.add(FIX / "cable", arcname="www-master/public/api/v3/cable")
        t.add(FIX / "landing-point", arcname="www-master/public/api/v3/landing-point")
        blob = os.urandom(120_000)  # incompressible padding: the catalogue wants at least 100 kB
        info = tarfile.TarInfo("www-master/public/assets/random.bin")
        info.size = len(blob)
        t.addfile(info, io.BytesIO(blob))
    code, _, err = run(capsys, "data", "import", "submarine-cable-map", str(big))
    assert code == 0, err
    code, _, err = run(capsys, "cables", "audit", "-c", "US", *ON)
    assert code == 0 and "2 land in US: FAIL 1" in err


def test_dataset_import_refuses_what_the_reader_cannot_read(capsys, tmp_path):
    import io
    import os

    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(bad, "w:gz") as t:
        blob = os.urandom(120_000)
        info = tarfile.TarInfo('x/"landing_points" cable-geo.json')
        info.size = len(blob)
        t.addfile(info, io.BytesIO(blob))
    code, _, err = run(capsys, "data", "import", "submarine-cable-map", str(bad))
    assert code == 2 and "cable map reader" in err


def test_exposure_may_with_reasons(capsys):
    code, out, err = run(capsys, "cables", "exposure", "--asn", "AS4134", "--asn", "23764", "--asn", "64500",
                         "--data", str(FIX), "-f", "json", *ON)
    assert code == 0
    doc = json.loads(out)
    rows = {c["asn"]: c for c in doc["carriers"]}
    assert [(x["cable"], x["exposure"], x["relation"]) for x in rows[4134]["cables"]] == [("alpha", "may", "owner")]
    assert [(x["cable"], x["relation"]) for x in rows[23764]["cables"]] == [("alpha", "same-group")]
    assert "'China Telecom' (-> china-telecom-corp" in rows[4134]["cables"][0]["reason"]
    assert rows[64500]["entity"] is None and "not attributed" in rows[64500]["note"]
    assert [c["cable"] for c in doc["cables"]] == ["alpha"]
    assert doc["cables"][0]["landing_countries"] == ["JP", "US"]


def test_exposure_from_route_evidence(capsys, tmp_path):
    paths = tmp_path / "paths.txt"
    paths.write_text("64500 4134\n64500 3356\n")
    code, out, err = run(capsys, "cables", "exposure", "--route-evidence", str(paths), "--data", str(FIX), *ON)
    assert code == 0, err
    assert "AS4134" in out and "Alpha Pacific (owner)" in out


def test_real_data_us(capsys, tmp_path):
    root = shared_file("cables/cable/cable-geo.json").parents[1]
    out = tmp_path / "us.json"
    code, _, err = run(capsys, "cables", "audit", "-c", "US", "--data", str(root), "-f", "json", "-o", str(out), *ON)
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["summary"]["cables"] == 88 and doc["summary"]["landing_points"] == 122
    fails = sorted(c["name"] for c in doc["cables"] if c["verdict"] == "FAIL")
    assert fails == ["FASTER", "Japan-U.S. Cable Network (JUS)", "New Cross Pacific (NCP) Cable System",
                     "Trans-Pacific Express (TPE) Cable System"]
    sup = {p["name"]: p["entity"]["id"] for c in doc["cables"] for p in c["parties"]
           if p["role"] == "supplier" and p["entity"]}
    assert sup["SubCom"] == "subcom" and sup["ASN"] == "alcatel-submarine-networks" and sup["NEC"] == "nec"
    assert "Xtera" in [u["name"] for u in doc["unmatched"]["supplier"]]


@pytest.mark.parametrize("country", ["CN"])
def test_real_data_hmn_supplier_fails(capsys, tmp_path, country):
    root = shared_file("cables/cable/cable-geo.json").parents[1]
    out = tmp_path / "c.json"
    run(capsys, "cables", "audit", "-c", country, "--data", str(root), "-f", "json", "-o", str(out), *ON)
    doc = json.loads(out.read_text())
    hmn = [p for c in doc["cables"] for p in c["parties"] if p["name"] == "HMN Tech"]
    assert hmn and all(p["verdict"] == "FAIL" and p["entity"]["id"] == "hmn-technologies" for p in hmn)
