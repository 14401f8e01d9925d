"""The history database: what a run records, run references, drift, and a writer killed mid-write."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netvet.cli import main
from netvet.history.drift import diff_runs
from netvet.history.keys import finding_keys, identity, observation_keys
from netvet.history.store import History, HistoryError, data_dir, db_path
from tests.fixtures.reports.reportkit import FIX, HOSTILE, INVENTORY_V1, INVENTORY_V2, PACK, mini_report

T1 = datetime(2024, 6, 1, 9, 0, 0, tzinfo=UTC)
T2 = datetime(2024, 6, 2, 9, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def reports():
    return mini_report(), mini_report(INVENTORY_V2)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_data_dir_follows_netvet_home(tmp_path, monkeypatch):
    monkeypatch.setenv("NETVET_HOME", str(tmp_path / "h"))
    assert db_path() == tmp_path / "h" / "history.duckdb"
    monkeypatch.delenv("NETVET_HOME")
    assert data_dir() == Path.home() / ".local" / "share" / "netvet"


def test_empty_history_creates_nothing(tmp_path):
    h = History(tmp_path / "none.duckdb")
    assert h.runs() == []
    assert not h.path.exists()
    with pytest.raises(HistoryError, match="no runs recorded yet"):
        h.resolve("latest")


def test_record_and_read(tmp_path, reports):
    h = History(tmp_path / "h.duckdb")
    a = h.record(reports[0], [INVENTORY_V1], now=T1)
    b = h.record(reports[1], [INVENTORY_V2], now=T2)
    assert a.startswith("20240601T090000Z-") and b.startswith("20240602T090000Z-")
    runs = h.runs()
    assert [(r["run_id"], r["seq"], r["fail"], r["review"], r["unknown"], r["pass"], r["findings"]) for r in runs] == [
        (b, 2, 3, 0, 2, 2, 7),
        (a, 1, 2, 1, 2, 2, 7),
    ]
    assert runs[0]["policies"] == ["test-pack@1"] and runs[0]["recorded_at"] == "2024-06-02T09:00:00Z"
    info = h.run(a)
    assert info["inputs"] == [
        {
            "name": "inventory.csv",
            "path": str(INVENTORY_V1),
            "size": INVENTORY_V1.stat().st_size,
            "sha256": sha256(INVENTORY_V1),
            "format": "csv-inventory",
            "records": 7,
            "malformed": 0,
        }
    ]
    assert info["datasets"] == [{"name": "netvet-registry", "version": "test-1"}]
    assert info["policies"] == [{"id": "test-pack", "version": "1", "title": "Test pack", "approach": "named-entity"}]
    assert info["registry_version"] == "test-1" and info["evaluated_on"] == "2024-06-01"
    # the full report comes back as recorded
    assert h.report(a) == json.loads(json.dumps(reports[0].to_dict(), default=str))
    rows = h.findings(a)
    assert [(r["subject_key"], r["verdict"], r["rule_ids"], r["entity_id"]) for r in rows] == [
        ("test-pack|inventory.csv|hostname=core-1", "FAIL", ["t.listed"], "redco"),
        ("test-pack|inventory.csv|hostname=cam-1", "FAIL", ["t.conditional.in-scope"], "camco"),
        ("test-pack|inventory.csv|hostname=cam-2", "REVIEW", ["t.conditional.role-unknown"], "camco"),
        ("test-pack|inventory.csv|hostname=cam-3", "PASS", [], "camco"),
        ("test-pack|inventory.csv|hostname=cam-4", "UNKNOWN", [], "relabel-x"),
        ("test-pack|inventory.csv|hostname=sw-1", "PASS", [], "bluenet"),
        ("test-pack|inventory.csv|hostname=laptop", "UNKNOWN", [], None),
    ]
    assert rows[0]["identifier"] == "oid:1.3.6.1.4.1.99001.1" and rows[0]["source_line"] == 2


def test_run_references(tmp_path, reports):
    h = History(tmp_path / "h.duckdb")
    a = h.record(reports[0], [INVENTORY_V1], now=T1)
    with pytest.raises(HistoryError, match="no previous run"):
        h.resolve("previous")
    b = h.record(reports[1], [INVENTORY_V2], now=T2)
    assert h.resolve("latest") == b and h.resolve("previous") == a
    assert h.resolve("1") == a and h.resolve("#2") == b
    assert h.resolve(a[:20]) == a and h.resolve(b) == b
    with pytest.raises(HistoryError, match="ambiguous"):
        h.resolve("2024060")
    with pytest.raises(HistoryError, match="no run 'nope'"):
        h.resolve("nope")


def test_drift(tmp_path, reports):
    h = History(tmp_path / "h.duckdb")
    a = h.record(reports[0], [INVENTORY_V1], now=T1)
    b = h.record(reports[1], [INVENTORY_V2], now=T2)
    d = diff_runs(h, "previous", "latest")
    assert (d.run_a, d.run_b) == (a, b)
    assert [(c.label, c.before, c.after, c.rules_after, c.entity_after) for c in d.new] == [
        ("edge-9", "absent", "FAIL", ["t.listed"], "redco")
    ]
    assert [(c.label, c.before, c.after, c.rules_before) for c in d.resolved] == [
        ("core-1", "FAIL", "absent", ["t.listed"])
    ]
    assert [(c.label, c.before, c.after, c.rules_before, c.rules_after) for c in d.changed] == [
        ("cam-2", "REVIEW", "FAIL", ["t.conditional.role-unknown"], ["t.conditional.in-scope"])
    ]
    assert d.to_dict()["counts"] == {
        "new": 1,
        "resolved": 1,
        "changed": 1,
        "unchanged": 5,
        "subjects_added": 0,
        "subjects_removed": 0,
    }
    back = diff_runs(h, b, a)
    assert (
        [c.label for c in back.new],
        [c.label for c in back.resolved],
        [c.label for c in back.changed],
    ) == (["core-1"], ["edge-9"], ["cam-2"])


def test_subject_keys():
    def obs(oid, file, **attrs):
        return {"id": oid, "source": {"file": file}, "attributes": attrs, "identifiers": []}

    assert identity(obs("a", "x", hostname="Core-1.Example.")) == "hostname=core-1.example."
    assert identity(obs("a", "x", mac="a0b0.c000.0001")) == "mac=A0:B0:C0:00:00:01"
    assert identity(obs("a", "x", serial="S1", ip="10.0.0.1")) == "serial=S1"
    assert identity({"id": "f:9", "identifiers": [{"kind": "asn", "value": "AS4134"}]}) == "asn=AS4134"
    assert identity({"id": "f:9"}) == "id=f:9"
    keys = observation_keys(
        [
            obs("1", "/a/inv.csv", hostname="x"),
            obs("2", "C:\\b\\inv.csv", hostname="X"),
            obs("3", "inv.csv", hostname="y"),
        ]
    )
    assert keys == {"1": "inv.csv|hostname=x", "2": "inv.csv|hostname=x#2", "3": "inv.csv|hostname=y"}


def test_keys_do_not_depend_on_line_order(tmp_path):
    lines = INVENTORY_V1.read_text(encoding="utf-8").splitlines()
    shuffled = tmp_path / "inventory.csv"
    shuffled.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
    a = mini_report(INVENTORY_V1).to_dict()
    b = mini_report(shuffled).to_dict()
    assert sorted(finding_keys(a)) == sorted(finding_keys(b))
    assert len(set(finding_keys(a))) == 7


WRITER = """
import importlib.util
spec = importlib.util.spec_from_file_location("reportkit", {kit!r})
kit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(kit)
import os, pathlib, time
from netvet.history.store import History


def pause():  # inside the open transaction: say so, then wait to be killed
    pathlib.Path({marker!r}).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(60)


History({db!r}).record(kit.mini_report(kit.HOSTILE), [str(kit.HOSTILE)], before_commit=pause)
print("committed")
"""


def test_writer_killed_mid_write_leaves_earlier_runs_intact(tmp_path, reports):
    db = tmp_path / "h.duckdb"
    h = History(db)
    a = h.record(reports[0], [INVENTORY_V1], now=T1)
    b = h.record(reports[1], [INVENTORY_V2], now=T2)
    before = (h.runs(), h.findings(a), h.findings(b))

    marker = tmp_path / "in-transaction"
    code = WRITER.format(kit=str(FIX / "reports" / "reportkit.py"), db=str(db), marker=str(marker))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "writer never reached the transaction"
            time.sleep(0.02)
        assert int(marker.read_text()) == proc.pid
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert b"committed" not in proc.stdout.read()

    # the database opens, the two earlier runs are intact and the killed run left nothing behind
    assert (h.runs(), h.findings(a), h.findings(b)) == before
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in ("runs", "run_inputs", "run_datasets", "run_policies"):
            (n,) = con.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert n == 2, table
        assert con.execute("SELECT count(*) FROM findings").fetchone() == (14,)
    finally:
        con.close()
    # and it takes the next run
    c = h.record(mini_report(HOSTILE), [HOSTILE])
    assert [r["run_id"] for r in h.runs()] == [c, b, a]
    assert [r["seq"] for r in h.runs()] == [3, 2, 1]


def test_cli_record_history_diff(tmp_path, capsys):
    base = [
        "--registry",
        str(FIX / "registry" / "mini"),
        "--policy",
        str(PACK),
        "--on",
        "2024-06-01",
        "--format",
        "json",
        "--output",
        str(tmp_path / "r.json"),
    ]
    assert main(["audit", str(INVENTORY_V1), *base, "--record"]) == 1
    assert main(["audit", str(INVENTORY_V2), *base, "--record"]) == 1
    capsys.readouterr()
    assert main(["history", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["database"] == str(db_path())
    assert [(r["seq"], r["fail"], r["review"]) for r in out["runs"]] == [(2, 3, 0), (1, 2, 1)]
    assert main(["diff", "previous", "latest", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["counts"] == {
        "new": 1,
        "resolved": 1,
        "changed": 1,
        "unchanged": 5,
        "subjects_added": 0,
        "subjects_removed": 0,
    }
    assert main(["diff", "1", "2", "--fail-on-new"]) == 1
    assert "edge-9" in capsys.readouterr().out
    assert main(["diff", "1", "nope"]) == 2
    assert "no run 'nope'" in capsys.readouterr().err
    assert main(["history"]) == 0
    assert "Recorded audit runs" in capsys.readouterr().out


def test_cli_history_when_empty(capsys):
    assert main(["history"]) == 0
    assert "No runs recorded yet" in capsys.readouterr().out
    assert main(["diff", "1", "2"]) == 2
