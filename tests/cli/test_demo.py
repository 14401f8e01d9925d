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
    assert s["per_policy"] == {
        "clean-network": {"PASS": 210, "REVIEW": 15, "FAIL": 79, "UNKNOWN": 8, "WAIVED": 0},
        "eu-5g-toolbox": {"PASS": 209, "REVIEW": 77, "FAIL": 18, "UNKNOWN": 8, "WAIVED": 0},
        "fcc-covered-list": {"PASS": 251, "REVIEW": 13, "FAIL": 40, "UNKNOWN": 8, "WAIVED": 0},
        "ndaa-889": {"PASS": 255, "REVIEW": 9, "FAIL": 40, "UNKNOWN": 8, "WAIVED": 0},
        "vendor-neutral-risk": {"PASS": 178, "REVIEW": 108, "FAIL": 18, "UNKNOWN": 8, "WAIVED": 0},
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
    assert lorex and all(f["verdict"] == "REVIEW" for f in lorex)


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
