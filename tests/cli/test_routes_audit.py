"""`netvet routes audit` end to end: formats, selections, traceroutes, exit codes, errors without tracebacks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from netvet.cli import main
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
PATHS = str(FIX / "paths.txt")
POLICY = ["--registry", str(FIX / "registry"), "--policy", str(FIX / "route-pack.yaml"), "--on", "2025-01-01"]


def run(capsys, *args):
    code = main(["routes", "audit", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_json_document(capsys):
    code, out, _ = run(capsys, PATHS, *POLICY, "--format", "json")
    assert code == 1  # prefixes reachable only through excluded carriers
    doc = json.loads(out)
    assert doc["schema"] == "netvet-routes-audit/1"
    assert doc["policies"] == [{"id": "route-test", "title": "Route test pack", "version": "1"}]
    assert doc["evaluated_on"] == "2025-01-01" and doc["registry_version"] == "routes-test-1"
    assert [(i["file"], i["format"], i["read"], i["malformed"]) for i in doc["inputs"]] == [
        (PATHS, "as-path-list", 13, 0)]
    s = doc["summary"]
    assert {k: s[k] for k in ("routes", "prefixes", "peers", "paths", "asns_seen", "asns_excluded", "asns_review",
                              "excluded_routes", "review_routes")} == {
        "routes": 13, "prefixes": 9, "peers": 4, "paths": 13, "asns_seen": 12, "asns_excluded": 4, "asns_review": 1,
        "excluded_routes": 7, "review_routes": 1}
    assert s["prefixes_clean"] == {"all": 2, "some": 1, "none": 6}
    assert s["verdicts"] == {"FAIL": 6, "REVIEW": 2, "PASS": 1}
    assert s["address_space"] == {"ipv4_addresses": 197376, "ipv6_48s": 65536}
    f = {x["prefix"]: x for x in doc["findings"]}
    assert set(f) == {"192.0.2.0/24", "10.20.0.0/16", "10.30.0.0/16", "2001:db8::/32", "2001:db8:1::/48", "AS64999",
                      "10.10.0.0/16", "203.0.113.0/24"}
    ten = f["10.10.0.0/16"]
    assert (ten["verdict"], ten["clean"], ten["routes"], ten["clean_routes"], ten["origins"]) == (
        "REVIEW", "some", 2, 1, [64998])
    assert ten["entity"] == {"id": "redtel", "name": "RedTel Communications Co., Ltd.", "country": "CN",
                             "group": "redtel", "group_name": "RedTel Communications Co., Ltd."}
    assert ten["entities"][0]["asns"] == [64497] and ten["entities"][0]["positions"] == ["transit"]
    assert ten["entities"][0]["rule_ids"] == ["r.cn", "r.listed"]
    assert ten["reasons"][0] == "RedTel Communications Co., Ltd. (AS64497) at transit on 1 of 2 route(s)"
    assert ten["citations"] == [{"label": "test-carriers entry C1", "url": "https://example.org/carrier-list",
                                 "source": "src-routes-list"}]
    hk = f["10.20.0.0/16"]["entities"][0]
    assert (hk["entity"]["id"], hk["positions"], hk["verdict"]) == ("redtel-hk", ["origin"], "FAIL")
    ents = {e["entity"]["id"]: (e["verdict"], e["routes"], e["address_space"]) for e in doc["entities"]}
    assert ents == {"redtel": ("FAIL", 6, {"ipv4_addresses": 131328, "ipv6_48s": 65536}),
                    "redtel-hk": ("FAIL", 1, {"ipv4_addresses": 65536, "ipv6_48s": 0}),
                    "harbour": ("REVIEW", 1, {"ipv4_addresses": 256, "ipv6_48s": 0})}
    assert [c["asn"] for c in doc["classified_asns"]] == [174, 64496, 64497, 64500, 65537]
    assert doc["classified_asns"][3]["levels"] == {"origin": "clean", "transit": "review", "peer": "clean"}
    assert [o["asn"] for o in doc["origins"]] == [64999, 174, 64496, 64998, 65537]


def test_fail_on_levels_and_route_detail(capsys):
    assert run(capsys, PATHS, *POLICY, "-f", "json", "--fail-on", "never")[0] == 0
    code, out, _ = run(capsys, PATHS, *POLICY, "-f", "json", "--prefix", "203.0.113.0/24", "--fail-on", "review",
                       "--routes")
    assert code == 1
    doc = json.loads(out)
    assert doc["selection"] == {"prefixes": ["203.0.113.0/24"], "origins": []}
    assert doc["summary"]["verdicts"] == {"FAIL": 0, "REVIEW": 1, "PASS": 0}
    assert doc["routes"] == [{"prefix": "203.0.113.0/24", "peer_ip": "", "peer_as": 64510,
                              "as_path": "64510 64500 64999", "level": "review",
                              "ases": [{"asn": 64500, "entity": "harbour", "positions": ["transit"],
                                        "level": "review"}]}]
    assert run(capsys, PATHS, *POLICY, "-f", "json", "--prefix", "203.0.113.0/24")[0] == 0  # REVIEW < fail


def test_origin_selection_and_all_prefixes_csv(capsys, tmp_path):
    out_file = tmp_path / "a.csv"
    code, _, err = run(capsys, PATHS, *POLICY, "-f", "csv", "--origin", "AS64998", "--origin", "1174",
                       "--all-prefixes", "-o", str(out_file))
    assert code == 0 and f"wrote {out_file}" in err
    rows = list(csv.DictReader(io.StringIO(out_file.read_text())))
    assert [(r["prefix"], r["verdict"], r["clean"], r["entity_id"], r["asns"], r["positions"]) for r in rows] == [
        ("10.10.0.0/16", "REVIEW", "some", "redtel", "AS64497", "transit"),
        ("198.51.100.0/24", "PASS", "all", "", "", ""),
    ]


def test_table_and_html(capsys, tmp_path):
    code, out, _ = run(capsys, PATHS, *POLICY)
    assert code == 1
    assert "Carrier audit (route-test)" in out and "RedTel Communications" in out and "AS174 AS64496 AS64497" in out
    assert "prefixes clean on no route" in out and "6  (131,328 v4 / 65,536 v6 /48)" in out
    html = tmp_path / "a.html"
    code, _, _ = run(capsys, PATHS, *POLICY, "-f", "html", "-o", str(html))
    assert code == 1
    text = html.read_text()
    assert text.lstrip().lower().startswith("<!doctype html") and "RedTel Communications Co., Ltd." in text


def test_traceroutes_with_an_asn_db(capsys):
    code, out, err = run(capsys, str(FIX / "atlas_mixed.jsonl"), "--asn-db", str(FIX / "atlas_asn.ipasn"), *POLICY,
                         "-f", "json")
    assert code == 1 and "6 input problem(s)" in err
    doc = json.loads(out)
    inp = doc["inputs"][0]
    # 3 results could not be read; 3 bad hops inside results that were read are damage, not lost results
    assert (inp["format"], inp["read"], inp["malformed"], inp["damaged"]) == ("atlas-traceroute", 5, 3, 3)
    assert inp["traceroutes"] == {"results": 2, "hops": 8, "hop_errors": 1, "replies": 11, "timeouts": 5,
                                  "error_replies": 1, "private_replies": 4, "addresses": 9, "private_addresses": 3}
    assert [(f["prefix"], f["verdict"], f["entities"][0]["positions"]) for f in doc["findings"]] == [
        ("13.0.0.0/24", "FAIL", ["transit"]), ("2a00::/16", "FAIL", ["origin", "peer"])]
    assert run(capsys, str(FIX / "atlas_mixed.jsonl"), "--asn-db", str(FIX / "atlas_asn.ipasn"), *POLICY,
               "-f", "json", "--strict")[0] == 2


def test_errors_exit_2_without_traceback(capsys, tmp_path):
    code, _, err = run(capsys, str(FIX / "atlas_mixed.jsonl"), *POLICY)
    assert code == 2 and "traceroutes need --asn-db" in err
    code, _, err = run(capsys, PATHS, *POLICY, "--origin", "ASX")
    assert code == 2 and "not an AS number" in err
    code, _, err = run(capsys, PATHS, *POLICY, "--prefix", "10.0.0.0/33")
    assert code == 2
    code, _, err = run(capsys, str(tmp_path / "missing.mrt"), *POLICY)
    assert code == 2 and "file not found" in err
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01\x02junk" * 20)
    code, _, err = run(capsys, str(junk), *POLICY)
    assert code == 2 and "not route evidence" in err


def test_real_update_file_with_clean_network(capsys):
    code, out, _ = run(capsys, str(shared_file("mrt/updates.20160811.1600.gz")), "-f", "json", "--on", "2025-01-01")
    assert code == 1
    doc = json.loads(out)
    s = doc["summary"]
    assert (s["routes"], s["prefixes"], s["peers"], s["paths"], s["asns_seen"]) == (39256, 1712, 35, 7204, 634)
    assert doc["inputs"][0]["read"] == 17406 and doc["inputs"][0]["malformed"] == 0
    fail_ids = {e["entity"]["id"] for e in doc["entities"] if e["verdict"] == "FAIL"}
    assert fail_ids >= {"china-telecom-corp", "china-unicom-hk", "china-mobile-ltd", "china-mobile-international"}
    assert s["excluded_routes"] >= 1450


def test_fail_on_unknown_is_the_shared_definition(capsys):
    """`--fail-on unknown` means what it means in `audit` (FAIL, REVIEW or UNKNOWN): one definition, FailOn."""
    from netvet.cli.common import FailOn, exit_code_for

    assert FailOn.unknown.verdicts == {"FAIL", "REVIEW", "UNKNOWN"}
    assert exit_code_for(["PASS", "UNKNOWN"], FailOn.unknown) == 1
    assert exit_code_for(["PASS", "UNKNOWN"], FailOn.review) == 0
    # the REVIEW-only prefix: review and unknown fail, fail does not
    only_review = [PATHS, *POLICY, "-f", "json", "--prefix", "203.0.113.0/24"]
    assert run(capsys, *only_review, "--fail-on", "unknown")[0] == 1
    assert run(capsys, *only_review, "--fail-on", "review")[0] == 1
    assert run(capsys, *only_review, "--fail-on", "fail")[0] == 0
    assert run(capsys, PATHS, *POLICY, "-f", "json", "--fail-on", "unknown")[0] == 1
