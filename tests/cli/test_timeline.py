"""`netvet timeline`: the dated rules of each pack, the assets and sites they affect, as table, JSON and HTML."""

import json
from pathlib import Path

from netvet.cli import main

INV = Path(__file__).resolve().parents[1] / "fixtures" / "national" / "uk-designated-vendors" / "inventory.csv"


def test_timeline_json(capsys):
    code = main(["timeline", str(INV), "-p", "uk-designated-vendors", "-p", "de-critical-components",
                 "--format", "json", "--on", "2024-01-01"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0
    assert doc["evaluated_on"] == "2024-01-01"
    assert [p["pack"] for p in doc["packs"]] == ["uk-designated-vendors", "de-critical-components"]
    uk = {m["rule"]: m for m in doc["packs"][0]["milestones"]}
    assert [(m["date"], m["rule"], m["status"], m["assets"]) for m in doc["packs"][0]["milestones"]] == [
        ("2023-01-28", "uk.dv.core.draft-date", "passed", 0),
        ("2023-01-28", "uk.dv.national-security-sites", "passed", 1),
        ("2023-07-28", "uk.dv.5g-access-cap", "passed", 7),
        ("2023-10-31", "uk.dv.fibre-access-cap", "passed", 1),
        ("2023-12-31", "uk.dv.core", "passed", 2),
        ("2025-12-31", "uk.dv.transport", "upcoming", 2),
        ("2027-12-31", "uk.dv.5g-exit", "upcoming", 7),
        ("2027-12-31", "uk.dv.5g-exit.technology-unknown", "upcoming", 1),
    ]
    assert uk["uk.dv.core"]["sites"] == {"lon-core": 1, "lon-noc": 1}
    assert uk["uk.dv.5g-exit"]["days"] == 1460
    caps = {(c["cap"], c["group"], c["supplier"]): c for c in doc["packs"][0]["caps"]}
    assert caps[("uk.5g-access", "op-b", "huawei-investment-holding")]["share"] == 0.6667
    de = {m["rule"]: m for m in doc["packs"][1]["milestones"]}
    assert (de["de.9b.core-2026"]["status"], de["de.9b.core-2026"]["assets"]) == ("upcoming", 0)
    assert de["de.9b.guarantee.manufacturer-unknown"]["kind"] == "effective_from"


def test_timeline_table_and_html(capsys, tmp_path):
    assert main(["timeline", str(INV), "-p", "uk-designated-vendors", "--on", "2024-01-01"]) == 0
    out = capsys.readouterr().out
    assert "uk.dv.5g-exit" in out and "PASSED (157 days ago)" in out
    html = tmp_path / "t.html"
    assert main(["timeline", str(INV), "-p", "uk-designated-vendors", "--format", "html", "-o", str(html),
                 "--on", "2024-01-01"]) == 0
    text = html.read_text()
    assert "<svg" in text and "<script" not in text and "http://" not in text.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "uk-designated-vendors · uk.dv.5g-access-cap" in text


def test_timeline_bad_format():
    assert main(["timeline", str(INV), "-p", "uk-designated-vendors", "--format", "pdf"]) == 2
