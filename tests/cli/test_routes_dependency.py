"""`netvet routes dependency`: AS hegemony per scope kind, exposure to excluded ASes, formats and errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from netvet.cli import main
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
ROUTES = str(FIX / "hegemony.txt")
POLICY = ["--registry", str(FIX / "registry"), "--policy", str(FIX / "route-pack.yaml"), "--on", "2025-01-01"]


def run(capsys, *args):
    code = main(["routes", "dependency", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def hegemonies(result) -> dict[int, float]:
    return {a["asn"]: a["hegemony"] for a in result["ases"]}


def test_asn_scope_json_with_exposure(capsys):
    code, out, _ = run(capsys, ROUTES, "--scope", "AS64500", *POLICY, "-f", "json", "--family", "both")
    assert code == 0
    doc = json.loads(out)
    assert doc["schema"] == "netvet-routes-dependency/1"
    assert doc["scope"] == {"kind": "asn", "label": "AS64500", "prefixes": []}
    v4, v6 = doc["results"]
    assert (v4["family"], v4["viewpoints"], v4["trimmed_each_end"], v4["routes"], v4["prefixes"]) == (4, 10, 1, 21, 2)
    assert hegemonies(v4) == {3356: 0.625, 174: 0.375, 2914: 0.0}  # 2914: mean 0.0125 but trimmed away
    assert v4["ases"][1]["entity"] == {"id": "redtel", "name": "RedTel Communications Co., Ltd.", "country": "CN",
                                       "group": "redtel", "group_name": "RedTel Communications Co., Ltd."}
    assert v4["ases"][1]["verdict"] == "FAIL"
    assert v4["exposure"] == {"hegemony": 0.375, "sum": 0.375, "max": 0.375, "viewpoints": 5, "asns": [174],
                              "by_entity": {"redtel": 0.375}}
    assert (v6["family"], v6["weight_unit"]) == (6, "prefixes")
    assert hegemonies(v6) == {174: 0.5, 3356: 0.5}


def test_country_and_prefix_file_scopes(capsys):
    code, out, _ = run(capsys, ROUTES, "--scope", "DE", "--as-names", str(FIX / "asnames.json"), *POLICY, "-f", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["scope"]["kind"] == "country" and doc["results"][0]["origins"] == [64500, 64501]
    assert hegemonies(doc["results"][0]) == {3356: 0.6, 174: 0.4, 2914: 0.0}
    code, out, _ = run(capsys, ROUTES, "--scope", str(FIX / "scope-prefixes.txt"), *POLICY, "-f", "json")
    doc = json.loads(out)
    assert doc["scope"] == {"kind": "prefixes", "label": "scope-prefixes.txt", "prefixes": ["10.0.0.0/22"]}
    assert hegemonies(doc["results"][0]) == {174: 0.5, 3356: 0.5}


def test_as_set_scope_csv(capsys):
    code, out, _ = run(capsys, ROUTES, "--scope", "64502", *POLICY, "-f", "csv")
    assert code == 0
    rows = [(r["asn"], r["hegemony"], r["viewpoints"]) for r in csv.DictReader(io.StringIO(out))]
    assert rows == [("4134", "0.5", "10"), ("4809", "0.5", "10")]


def test_table_output(capsys):
    code, out, _ = run(capsys, ROUTES, "--scope", "AS64500", *POLICY)
    assert code == 0
    assert "AS hegemony for AS64500 (IPv4): 10 viewpoints" in out
    assert "exposure to excluded ASes (as one node): 0.3750" in out


def test_scope_errors(capsys, tmp_path):
    code, _, err = run(capsys, ROUTES, "--scope", "CN", *POLICY)
    assert code == 2 and "needs --as-names" in err
    code, _, err = run(capsys, ROUTES, "--scope", "no-such-thing", *POLICY)
    assert code == 2 and "expected an AS number" in err
    bad = tmp_path / "bad.txt"
    bad.write_text("10.0.0.0/8\nnot-a-prefix\n")
    code, _, err = run(capsys, ROUTES, "--scope", str(bad), *POLICY)
    assert code == 2 and "bad.txt:2: not a prefix" in err
    code, _, err = run(capsys, ROUTES, "--scope", "AS64500", "--family", "5", *POLICY)
    assert code == 2


def test_real_rib(capsys):
    rib = str(shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz"))
    code, out, _ = run(capsys, rib, "--scope", "AS45528", "-f", "json", "--top", "3", "--on", "2025-01-01")
    assert code == 0
    r = json.loads(out)["results"][0]
    assert (r["viewpoints"], r["trimmed_each_end"], r["routes"], r["prefixes"]) == (32, 3, 14420, 457)
    assert [(a["asn"], round(a["hegemony"], 4)) for a in r["ases"]] == [(6453, 0.7016), (4755, 0.6906), (9498, 0.2016)]
