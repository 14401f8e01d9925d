"""`netvet routes audit | dependency` over many collectors: NAME=PATH and --from-list, per-collector sections
(table, JSON, CSV), the merged audit over distinct (collector, peer) pairs, and the missing Dask extra."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from netvet.cli import main
from tests.conftest import shared_file

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "routes"
PATHS = str(FIX / "paths.txt")
POLICY = ["--registry", str(FIX / "registry"), "--policy", str(FIX / "route-pack.yaml"), "--on", "2025-01-01"]


def run(capsys, cmd, *args):
    code = main(["routes", cmd, *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def audit_json(capsys, *args) -> dict:
    code, out, _ = run(capsys, "audit", *args, *POLICY, "-f", "json")
    assert code == 1
    doc = json.loads(out)
    doc.pop("generated_at")
    return doc


def test_two_collectors_report_each_and_merged(capsys):
    one = audit_json(capsys, PATHS)
    two = audit_json(capsys, f"rrc00={PATHS}", f"rrc01={PATHS}")
    assert "collectors" not in one
    assert [(c["name"], c["files"]) for c in two["collectors"]] == [("rrc00", [PATHS]), ("rrc01", [PATHS])]
    for c in two["collectors"]:  # each collector alone is the one-file audit
        assert c["summary"] == one["summary"]
        assert (c["findings"], c["entities"], c["origins"]) == (one["findings"], one["entities"], one["origins"])
    s, s1 = two["summary"], one["summary"]
    # merged: every route twice, the peers of the two collectors distinct, the prefixes and ASes the same
    assert (s["routes"], s["peers"], s["prefixes"], s["asns_seen"]) == (
        2 * s1["routes"], 2 * s1["peers"], s1["prefixes"], s1["asns_seen"])
    assert s["excluded_routes"] == 2 * s1["excluded_routes"] and s["verdicts"] == s1["verdicts"]
    assert [(f["prefix"], f["routes"]) for f in two["findings"]] == [(f["prefix"], 2 * f["routes"])
                                                                      for f in one["findings"]]
    assert len(two["inputs"]) == 2


def test_files_named_alike_are_one_collector(capsys):
    one = audit_json(capsys, PATHS)
    same = audit_json(capsys, f"rrc00={PATHS}", f"rrc00={PATHS}")
    assert "collectors" not in same
    # one collector: a peer in two of its files is one peer (as before collectors)
    assert (same["summary"]["routes"], same["summary"]["peers"]) == (2 * one["summary"]["routes"],
                                                                     one["summary"]["peers"])


def test_from_list_matches_the_command_line(capsys, tmp_path):
    lst = tmp_path / "ribs.txt"
    link = tmp_path / "paths.txt"
    link.write_text(Path(PATHS).read_text())
    lst.write_text(f"# collectors\n{PATHS} rrc00\n\npaths.txt   rrc01  # relative to the list\n")
    from_list = audit_json(capsys, "--from-list", str(lst))
    args = audit_json(capsys, f"rrc00={PATHS}", f"rrc01={link}")
    assert from_list == args


def test_merged_equals_one_table_when_peers_differ(capsys):
    rib = str(shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz"))
    bird = str(shared_file("mrt/bird-mrtdump_rib"))
    args = ["--on", "2025-01-01", "-f", "json", "--fail-on", "never"]
    code, out, _ = run(capsys, "audit", rib, bird, *args)
    many = json.loads(out)
    code2, out2, _ = run(capsys, "audit", f"x={rib}", f"x={bird}", *args)
    one = json.loads(out2)
    assert code == code2 == 0
    assert [c["name"] for c in many.pop("collectors")] == [Path(rib).name, Path(bird).name]
    for d in (many, one):
        d.pop("generated_at")
    assert many == one  # no peer in common: the merged audit is the concatenated table's


def test_csv_and_table_sections(capsys):
    code, out, _ = run(capsys, "audit", f"a={PATHS}", f"b={PATHS}", *POLICY, "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    code1, out1, _ = run(capsys, "audit", PATHS, *POLICY, "-f", "csv")
    single = list(csv.DictReader(io.StringIO(out1)))
    assert code == code1 == 1
    assert list(rows[0])[0] == "collector" and "collector" not in single[0]
    for name in ("(all)", "a", "b"):
        mine = [{k: v for k, v in r.items() if k != "collector"} for r in rows if r["collector"] == name]
        assert [r["prefix"] for r in mine] == [r["prefix"] for r in single]
        if name != "(all)":
            assert mine == single
    code, out, _ = run(capsys, "audit", f"a={PATHS}", f"b={PATHS}", *POLICY)
    assert "Collectors (2;" in out and "all collectors" in out


def test_dependency_over_collectors(capsys):
    rib = str(shared_file("mrt/rib.20140523.0600_first9073records.mrt.gz"))
    base = ["--scope", "AS4134", "--on", "2025-01-01", "-f", "json"]
    code, out, _ = run(capsys, "dependency", rib, *base)
    one = json.loads(out)["results"][0]
    code2, out2, _ = run(capsys, "dependency", f"a={rib}", f"b={rib}", *base)
    two = json.loads(out2)["results"][0]
    assert code == code2 == 0
    # a collector's peers are viewpoints of their own: twice the viewpoints, the same hegemony
    assert two["viewpoints"] == 2 * one["viewpoints"] and two["routes"] == 2 * one["routes"]
    assert [(a["asn"], a["hegemony"]) for a in two["ases"]] == [(a["asn"], a["hegemony"]) for a in one["ases"]]


def test_no_input_and_scheduler_without_dask(capsys):
    code, _, err = run(capsys, "audit", *POLICY)
    assert code == 2 and "no input" in err
    code, _, err = run(capsys, "audit", PATHS, *POLICY, "--scheduler", "tcp://127.0.0.1:1")
    assert code == 2 and "--scheduler needs --engine dask" in err


def test_dask_engine_without_dask(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails like a missing package
    code, _, err = run(capsys, "audit", PATHS, *POLICY, "--engine", "dask")
    assert code == 2 and "pip install 'netvet[dask]'" in err
