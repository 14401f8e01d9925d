"""`netvet flows audit` end to end: formats, exit codes, column maps, dataset defaults, a Dask scheduler."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from netvet.cli import main
from tests.flows.helpers import CLOUD, FLOWS

DATA = ["--asn-db", str(FLOWS / "asn.ipasn"), "--as-names", str(FLOWS / "asnames.json"),
        "--cloud-ranges", str(CLOUD / "ip-ranges.json"), "--cloud-ranges", str(CLOUD / "cloudflare-ips")]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["flows", "audit", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_table_output_and_exit_code(capsys):
    code, out, err = run(capsys, str(FLOWS / "conn.log"), str(FLOWS / "dns.log"), *DATA)
    assert code == 1  # FAIL findings
    assert "clean-network: exposure per policy line" in out
    assert "China Telecom Corporation Limited" in out and "clean-carrier" in out
    assert "internal hosts talking to them" in out and "10.0.0.5" in out
    assert "4 malformed record(s), 4 input problem(s) listed" in err
    assert "conn.log, line 19: expected 21 tab-separated fields, found 22" in err


def test_json_csv_html_to_files(capsys, tmp_path):
    args = [str(FLOWS / "conn.log"), *DATA, "--fail-on", "never"]
    code, _out, err = run(capsys, *args, "--format", "json", "--output", str(tmp_path / "r.json"))
    assert code == 0 and f"wrote {tmp_path / 'r.json'}" in err
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["schema"] == "netvet-flows/1" and doc["engine"]["name"] == "polars"
    assert len(doc["remotes"]) == 6
    assert doc["exposure"]["clean-network"]["entities"][0]["entity"]["id"] == "china-telecom-corp"
    code, _out, _err = run(capsys, *args, "--format", "csv", "--output", str(tmp_path / "r.csv"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert len(rows) == 6
    cn = next(r for r in rows if r["remote"] == "flow:AS4134")
    assert (cn["verdict"], cn["line"], cn["bytes"], cn["hosts"], cn["entity_country"]) == ("FAIL", "clean-carrier",
                                                                                          "6760", "2", "CN")
    code, _out, _err = run(capsys, *args, "--format", "html", "--output", str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "China Telecom Corporation Limited" in html
    code, _out, _err = run(capsys, *args, "--output", str(tmp_path / "r.txt"))
    assert "exposure per policy line" in (tmp_path / "r.txt").read_text()


def test_strict_and_fail_on(capsys):
    code, _out, err = run(capsys, str(FLOWS / "vpc-v2.log"), *DATA, "--strict")
    assert code == 2
    assert "vpc-v2.log, line 9: expected 14 space-separated fields, found 11" in err
    code, _out, _err = run(capsys, str(FLOWS / "vpc-headerless.log"), *DATA, "--strict", "--fail-on", "never")
    assert code == 0
    code, _out, _err = run(capsys, str(FLOWS / "vpc-headerless.log"), *DATA, "--fail-on", "review")
    assert code == 1  # AS64500: registry-only, registered in CN -> REVIEW


def test_column_map(capsys):
    code, out, err = run(capsys, str(FLOWS / "flows.csv"), *DATA, "--input-format", "csv-flows", "--map",
                         "src=client,dst=server,bytes=sent", "--map", "rbytes=received,start=begin,end=finish",
                         "--format", "json", "--fail-on", "never")
    assert code == 0
    doc = json.loads(out)
    assert doc["inputs"][0]["read"] == 6 and doc["inputs"][0]["malformed"] == 3
    assert {r["id"]: r["bytes"] for r in doc["remotes"]} == {"flow:AS4134": 6000, "flow:AS15169": 500,
                                                           "flow:AS37963": 700}


@pytest.mark.parametrize("args, message", [
    (["--map", "source=client"], "--map: unknown field 'source'"),
    (["--map", "src"], "--map entry 'src' is not field=column"),
    (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler needs --engine dask"),
    (["--chunk-rows", "10"], "--chunk-rows must be at least 1000"),
])
def test_usage_errors(capsys, args, message):
    code, _out, err = run(capsys, str(FLOWS / "conn.log"), *args)
    assert code == 2 and message in err


def test_input_errors(capsys, tmp_path):
    code, _out, err = run(capsys, str(tmp_path / "missing.log"))
    assert code == 2 and "file not found" in err
    (tmp_path / "x.txt").write_text("hello\n")
    code, _out, err = run(capsys, str(tmp_path / "x.txt"))
    assert code == 2 and "not a flow or DNS log" in err
    code, _out, err = run(capsys, str(FLOWS / "conn.log"), "--asn-db", str(tmp_path / "x.txt"))
    assert code == 2 and "not route evidence: expected an MRT dump, bgpdump -m text, an AS-path list" in err


def test_datasets_are_the_default_attribution_data(capsys, monkeypatch):
    import netvet.datasets

    files = {"caida-pfx2as-v4": FLOWS / "asn.ipasn", "aws-ip-ranges": CLOUD / "ip-ranges.json"}
    monkeypatch.setattr(netvet.datasets, "active_path", lambda name, **kw: files.get(name))
    code, out, _err = run(capsys, str(FLOWS / "conn.log"), "--format", "json")
    doc = json.loads(out)
    assert [d["name"] for d in doc["attribution_data"]] == ["ip-to-asn", "cloud-ranges"]
    assert {r["id"] for r in doc["remotes"]} == {"flow:AS4134", "flow:cloud:aws", "flow:AS64500", "flow:AS37963",
                                                 "flow:AS15169", "flow:AS13335"}
    monkeypatch.setattr(netvet.datasets, "active_path", lambda name, **kw: None)
    code, out, _err = run(capsys, str(FLOWS / "conn.log"), "--format", "json", "--fail-on", "never")
    doc = json.loads(out)
    assert doc["notes"][0].startswith("no IP -> AS data")
    assert [r["id"] for r in doc["remotes"]] == ["flow:no-route-data"]


def test_a_dask_scheduler_address(capsys, tmp_path):
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=":0") as cluster:
        code, out, _err = run(capsys, str(FLOWS / "conn.log"), str(FLOWS / "nfdump.csv"), *DATA, "--engine", "dask",
                              "--scheduler", cluster.scheduler_address, "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert doc["engine"]["name"] == "dask" and doc["engine"]["scheduler"] == cluster.scheduler_address
    single = json.loads(run(capsys, str(FLOWS / "conn.log"), str(FLOWS / "nfdump.csv"), *DATA, "--format", "json")[1])
    for key in ("inputs", "remotes", "exposure", "traffic", "findings"):
        assert doc[key] == single[key], key
    assert Path(doc["inputs"][0]["file"]).name == "conn.log"
