"""`netvet demo` and `netvet compare` on the sample network: the documented verdicts."""

import json

import pytest

from netvet.cli import main


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    assert main(["demo", "-d", str(out), "--on", "2026-11-24"]) == 0
    return out, json.loads((out / "netvet-demo-report.json").read_text())


def test_demo_report(demo):
    out, doc = demo
    assert doc["sample_data"] is True
    assert (out / "sample-inventory.csv").exists()
    s = doc["summary"]
    assert (s["observations"], s["attributed"], s["registry_only"], s["unknown"]) == (312, 300, 4, 8)
    # registry-only evidence (the uncurated sensors) is UNKNOWN, never PASS (no PASS without positive evidence)
    assert s["per_policy"] == {
        "clean-network": {"PASS": 207, "REVIEW": 15, "FAIL": 79, "UNKNOWN": 11, "WAIVED": 0},
        "de-critical-components": {"PASS": 283, "REVIEW": 14, "FAIL": 0, "UNKNOWN": 15, "WAIVED": 0},
        "eu-5g-toolbox": {"PASS": 205, "REVIEW": 77, "FAIL": 18, "UNKNOWN": 12, "WAIVED": 0},
        "fcc-covered-list": {"PASS": 247, "REVIEW": 13, "FAIL": 40, "UNKNOWN": 12, "WAIVED": 0},
        "fr-5g-authorisations": {"PASS": 239, "REVIEW": 58, "FAIL": 0, "UNKNOWN": 15, "WAIVED": 0},
        "jp-critical-infrastructure": {"PASS": 211, "REVIEW": 68, "FAIL": 18, "UNKNOWN": 15, "WAIVED": 0},
        "ndaa-889": {"PASS": 251, "REVIEW": 9, "FAIL": 40, "UNKNOWN": 12, "WAIVED": 0},
        "se-pts-2020": {"PASS": 277, "REVIEW": 20, "FAIL": 0, "UNKNOWN": 15, "WAIVED": 0},
        "uk-designated-vendors": {"PASS": 287, "REVIEW": 10, "FAIL": 0, "UNKNOWN": 15, "WAIVED": 0},
        "vendor-neutral-risk": {"PASS": 177, "REVIEW": 105, "FAIL": 18, "UNKNOWN": 12, "WAIVED": 0},
    }


def test_demo_key_cases(demo):
    _, doc = demo
    by = {(f["label"], f["policy"]): f for f in doc["findings"]}
    # a Hikvision camera watching critical infrastructure fails the Covered List; an office one passes
    assert by[("ran-site-a-camera-027", "fcc-covered-list")]["verdict"] == "FAIL"
    office = [f for (lbl, pol), f in by.items() if pol == "fcc-covered-list" and f["rule_ids"] ==
              ["fcc.covered.conditional.out-of-scope"]]
    assert len(office) == 4 and {f["entity"]["id"] for f in office} == {"hikvision"}
    # the Cisco branch router with a Quectel modem: Cisco decides, clean-network asks for review
    r = by[("branch-1-router-001", "clean-network")]
    assert (r["entity"]["id"], r["verdict"], r["rule_ids"]) == ("cisco", "REVIEW", ["clean.component-origin"])
    # a relabelled camera whose maker is undetermined never passes
    lorex = [f for f in doc["findings"] if f["entity"] and f["entity"]["id"] == "lorex"]
    assert lorex and all(f["verdict"] in ("REVIEW", "UNKNOWN") for f in lorex)
    assert all(f["verdict"] == "REVIEW" for f in lorex if f["policy"] in
               ("clean-network", "eu-5g-toolbox", "fcc-covered-list", "ndaa-889", "vendor-neutral-risk"))


def test_compare_on_demo(demo, capsys):
    out, _ = demo
    code = main(["compare", str(out / "sample-inventory.csv"), "-p", "clean-network", "-p", "fcc-covered-list",
                 "-p", "eu-5g-toolbox", "--format", "json", "--on", "2026-11-24"])
    cmp = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {p: v["excluded_assets"] for p, v in cmp["per_policy"].items()} == {
        "clean-network": 79, "fcc-covered-list": 40, "eu-5g-toolbox": 18}
    assert len(cmp["excluded_only_by"]["clean-network"]) == 37
    assert cmp["vendor_neutral_flags_missed_by"]["eu-5g-toolbox vs clean-network"]["assets"] == 22


def test_demo_operator_network_under_national_rules(demo):
    """The sample operator in six countries: the same evidence under US, UK, German, French, Swedish, Japanese and
    EU rules (2026-11-24: the UK caps and core date have passed, Germany's core date has not)."""
    out, _ = demo
    assert (out / "sample-operator-network.csv").exists()
    assert "<svg" in (out / "netvet-demo-timeline.html").read_text()
    doc = json.loads((out / "netvet-demo-operator-report.json").read_text())
    assert doc["sample_data"] is True
    assert {p: (v["FAIL"], v["REVIEW"]) for p, v in doc["summary"]["per_policy"].items()} == {
        "clean-network": (33, 0), "de-critical-components": (0, 0), "eu-5g-toolbox": (6, 27),
        "fcc-covered-list": (33, 0), "fr-5g-authorisations": (2, 19), "jp-critical-infrastructure": (0, 34),
        "se-pts-2020": (29, 0), "uk-designated-vendors": (24, 2)}
    de = [f for f in doc["findings"] if f["policy"] == "de-critical-components" and f["compliant_until"]]
    assert len(de) == 30 and {f["compliant_until"] for f in de} == {"2026-12-31", "2029-12-31"}


def test_compare_national_on_demo(demo, capsys):
    out, _ = demo
    code = main(["compare", str(out / "sample-operator-network.csv"), "-p", "clean-network", "-p",
                 "uk-designated-vendors", "-p", "jp-critical-infrastructure", "--format", "json", "--on", "2026-11-24"])
    cmp = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {p: v["excluded_assets"] for p, v in cmp["per_policy"].items()} == {
        "clean-network": 33, "uk-designated-vendors": 24, "jp-critical-infrastructure": 0}


def test_demo_phone_fleet(demo):
    """Four SAMPLE handsets (`pm list packages -f -i`): the makers' system packages and the apps of PRC stores."""
    out, _ = demo
    phones = sorted((out / "SAMPLE-DATA-phones").iterdir())
    assert [p.name for p in phones] == [f"SAMPLE-DATA-{m}-pm-list-packages.txt" for m in (
        "google-pixel-8", "huawei-nova-12", "samsung-galaxy-s24", "xiaomi-redmi-note-13")]
    doc = json.loads((out / "netvet-demo-phones-report.json").read_text())
    assert doc["sample_data"] is True and (out / "netvet-demo-phones-report.html").exists()
    s = doc["summary"]
    assert (s["observations"], s["attributed"], s["registry_only"], s["unknown"]) == (31, 28, 0, 3)
    assert {p: (v["FAIL"], v["REVIEW"], v["UNKNOWN"], v["PASS"]) for p, v in s["per_policy"].items()} == {
        "clean-network": (15, 0, 3, 13), "de-critical-components": (0, 3, 3, 25), "eu-5g-toolbox": (0, 5, 3, 23),
        "fcc-covered-list": (3, 0, 3, 25), "fr-5g-authorisations": (0, 5, 3, 23),
        "jp-critical-infrastructure": (0, 5, 3, 23), "ndaa-889": (3, 0, 3, 25), "se-pts-2020": (0, 3, 3, 25),
        "uk-designated-vendors": (0, 3, 3, 25), "vendor-neutral-risk": (0, 14, 3, 14)}
    cn = {f["label"]: f for f in doc["findings"] if f["policy"] == "clean-network"}
    xiaomi = "SAMPLE-DATA-xiaomi-redmi-note-13-pm-list-packages.txt"
    huawei = "SAMPLE-DATA-huawei-nova-12-pm-list-packages.txt"
    # a Xiaomi system package; WeChat from the Xiaomi store; Teams (Microsoft) from Huawei AppGallery
    assert "clean.apps.oem-preinstalled" in cn[f"{xiaomi}:1"]["rule_ids"]
    assert "clean.apps.untrusted-store" in cn[f"{xiaomi}:7"]["rule_ids"]
    teams = cn[f"{huawei}:7"]
    assert (teams["entity"]["id"], teams["verdict"], teams["rule_ids"]) == (
        "microsoft", "FAIL", ["clean.apps.untrusted-store"])
    pixel = [f for lbl, f in cn.items() if lbl.startswith("SAMPLE-DATA-google-pixel-8")]
    assert [f["verdict"] for f in pixel] == ["PASS"] * 6 + ["FAIL", "UNKNOWN"]


def test_demo_cables(demo):
    """The cables of the demo country (US) from the synthetic SAMPLE cable map, through `cables audit`."""
    out, _ = demo
    assert (out / "SAMPLE-DATA-cables" / "cable" / "sample-pacific-light.json").exists()
    doc = json.loads((out / "netvet-demo-cables.json").read_text())
    assert doc["sample_data"] is True and doc["country"] == "US" and doc["policy"]["id"] == "clean-network"
    assert "SAMPLE DATA" in doc["data"]["licence"] and "TeleGeography data)" in doc["data"]["licence"]
    assert doc["summary"] == {"cables": 4, "landing_points": 3, "parties": 12, "parties_attributed": 11,
                              "cable_verdicts": {"FAIL": 1, "REVIEW": 1, "UNKNOWN": 1, "PASS": 1},
                              "landing_point_verdicts": {"FAIL": 1, "REVIEW": 0, "UNKNOWN": 1, "PASS": 1}}
    st = doc["input"]
    assert (st["read"], st["attributed"], st["unattributed"], st["malformed"], st["skipped"]) == (5, 4, 0, 0, 1)
    assert {c["id"]: c["verdict"] for c in doc["cables"]} == {
        "sample-atlantic-crossing": "PASS", "sample-caribbean-loop": "UNKNOWN",
        "sample-harbour-express": "REVIEW", "sample-pacific-light": "FAIL"}
    assert [u["name"] for u in doc["unmatched"]["owner"]] == ["Islands Sample Cable Ltd"]
    html = (out / "netvet-demo-cables.html").read_text()
    assert "<svg" in html and "SAMPLE DATA" in html and "CC BY-NC-SA" not in html
    # the same data through the command itself
    assert main(["cables", "audit", "--country", "US", "--data", str(out / "SAMPLE-DATA-cables"),
                 "--format", "json", "--on", "2026-11-24", "-o", str(out / "cables-cli.json")]) == 0
    cli = json.loads((out / "cables-cli.json").read_text())
    assert cli["summary"] == doc["summary"]
