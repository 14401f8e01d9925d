"""Recording in bounded memory: a streamed audit is recorded like its Report, a schema-1 database (written by the
store before run_report_chunks) is read as it was and takes new runs, and recording a large streamed run keeps
Python's peak allocation far below the size of its report."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from netvet.cli import main
from netvet.history.keys import finding_keys
from netvet.history.store import RUN_COLUMNS, History, HistoryError
from tests.fixtures.reports.reportkit import FIX, HOSTILE, INVENTORY_V1, INVENTORY_V2, PACK, streamed

V1 = Path(__file__).parent / "data" / "v1-history"  # EXPORT DATABASE of a database written by schema-1 code
T = datetime(2024, 6, 1, 9, 0, 0, tzinfo=UTC)


def v1_database(tmp_path: Path) -> Path:
    db = tmp_path / "v1.duckdb"
    con = duckdb.connect(str(db))
    try:
        con.execute(f"IMPORT DATABASE '{V1}'")
    finally:
        con.close()
    return db


def table(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def run_rows(h: History, run_id: str) -> tuple:
    """Everything recorded of a run but its time of recording and its input paths (machine-specific)."""
    info = h.run(run_id)
    return (
        {k: info[k] for k in RUN_COLUMNS if k not in ("run_id", "seq", "recorded_at")},
        [{k: v for k, v in i.items() if k != "path"} for i in info["inputs"]],
        info["datasets"],
        info["policies"],
        h.findings(run_id),
        h.report(run_id),
    )


def test_schema1_database_is_read_and_recorded_again_identically(tmp_path):
    old = History(v1_database(tmp_path))
    runs = old.runs()
    assert [(r["seq"], r["findings"], r["fail"], r["review"], r["unknown"], r["pass"]) for r in runs] == [
        (3, 3, 2, 0, 1, 0), (2, 7, 3, 0, 2, 2), (1, 7, 2, 1, 2, 2)]
    assert table(old.path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    new = History(tmp_path / "new.duckdb")
    for r, path in zip(reversed(runs), (INVENTORY_V1, INVENTORY_V2, HOSTILE), strict=True):
        report = old.report(r["run_id"])
        text = "".join(old.report_text(r["run_id"]))
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == r["report_sha256"]
        recorded = datetime.strptime(r["recorded_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        run_id = new.record(report, [path], now=recorded)
        # the same run id (time and sha256 of the same canonical text), rows, counts and report
        assert run_id == r["run_id"]
        assert run_rows(new, run_id) == run_rows(old, r["run_id"])
        assert "".join(new.report_text(run_id)) == text
    assert table(new.path, "SELECT count(*), count(report) FROM runs") == [(3, 0)]
    assert table(new.path, "SELECT count(*) FROM run_report_chunks") == [(3,)]
    assert old.findings("1")[0]["subject_key"] == "test-pack|inventory.csv|hostname=core-1"


def test_schema1_database_takes_a_schema2_run(tmp_path):
    h = History(v1_database(tmp_path))
    before = {r["run_id"]: h.report(r["run_id"]) for r in h.runs()}
    run_id = h.record(before[h.resolve("1")], [INVENTORY_V1], now=datetime(2024, 7, 1, tzinfo=UTC))
    assert table(h.path, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    assert [r["seq"] for r in h.runs()] == [4, 3, 2, 1]
    assert {r: h.report(r) for r in before} == before  # the schema-1 runs, from runs.report
    assert h.report(run_id) == before[h.resolve("1")]  # the new one, from run_report_chunks
    assert table(h.path, "SELECT seq, part FROM run_report_chunks") == [(4, 0)]
    assert [f["subject_key"] for f in h.findings(run_id)] == [f["subject_key"] for f in h.findings("1")]


@pytest.mark.parametrize("paths", [[INVENTORY_V1], [INVENTORY_V2, HOSTILE]])
def test_streamed_record_is_the_record_of_its_report(tmp_path, paths):
    run = streamed(paths)
    try:
        h = History(tmp_path / "h.duckdb")
        a = h.record(run.report(), paths, now=T)
        b = h.record(run, paths, now=T)
        assert b == f"{a}-2"  # the same sha256, recorded in the same second
        assert run_rows(h, b) == run_rows(h, a)
        data = json.loads(json.dumps(run.report().to_dict(), default=str))
        assert h.report(b) == data
        assert h.run(b)["findings"] == len(data["findings"]) and h.run(b)["observations"] == len(data["observations"])
        # the keys made in SQL are those of keys.finding_keys
        assert [f["subject_key"] for f in h.findings(b)] == finding_keys(data)
    finally:
        run.close()


def test_findings_whose_observation_is_missing_fall_back_on_their_label(tmp_path):
    data = {"schema": "x", "findings": [
        {"policy": "p", "verdict": "FAIL", "subject": "o1", "label": "a", "source": {"file": "d/x.csv"}},
        {"policy": "p", "verdict": "PASS", "subject": "gone", "label": "b", "source": {"file": "C:\\in\\y.csv"}},
        {"policy": "q", "verdict": "FAIL", "subject": "o2", "label": "c", "source": {"file": "d/x.csv"}},
        {"policy": "q", "verdict": "REVIEW", "subject": "o3", "label": "d", "source": {"file": "d/x.csv"}}],
        "observations": [
            {"id": "o1", "source": {"file": "d/x.csv"}, "attributes": {"hostname": "A"}},
            {"id": "o2", "source": {"file": "e/x.csv"}, "attributes": {"hostname": "a"}},
            {"id": "o3", "source": {"file": "x.csv"}, "identifiers": [{"kind": "mac", "value": "a0b0c0000001"}]}]}
    h = History(tmp_path / "h.duckdb")
    run_id = h.record(data, [], now=T)
    assert [f["subject_key"] for f in h.findings(run_id)] == [
        "p|x.csv|hostname=a", "p|y.csv|label=b", "q|x.csv|hostname=a#2", "q|x.csv|mac=A0:B0:C0:00:00:01"]
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
    assert "".join(h.report_text(run_id)) == text
    assert h.run(run_id)["report_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert (h.run(run_id)["fail"], h.run(run_id)["review"], h.run(run_id)["pass"]) == (2, 1, 1)
    # a report without findings or observations (or with null ones) is stored as it is
    for odd in ({"schema": "x"}, {"schema": "x", "findings": None, "observations": []}, {}):
        rid = h.record(odd, [], now=T)
        assert h.report(rid) == odd and h.run(rid)["findings"] == 0


def test_damaged_report_is_refused(tmp_path):
    h = History(tmp_path / "h.duckdb")
    run_id = h.record({"schema": "x", "findings": []}, [], now=T)
    con = duckdb.connect(str(h.path))
    con.execute("UPDATE runs SET report_sha256 = 'x'")
    con.close()
    with pytest.raises(HistoryError, match="damaged"):
        h.report(run_id)


class _Finding:
    def __init__(self, i: int) -> None:
        self.i = i

    def to_dict(self) -> dict:
        i = self.i
        return {"subject": f"obs-{i}", "label": f"host-{i:06d}", "source": {"file": "big.csv", "line": i + 2},
                "policy": "p", "verdict": ("FAIL", "REVIEW", "UNKNOWN", "PASS")[i % 4], "rule_ids": ["r.one"],
                "severity": "high", "reasons": ["a reason long enough to weigh what a real one weighs " * 2],
                "citations": [], "entity": {"id": "e", "name": "Entity", "country": "XX"}, "identifier": None,
                "role": None, "site": "site-1", "controls": [], "compliant_until": None, "deadlines": [], "caps": []}


class _Observation(_Finding):
    def to_dict(self) -> dict:
        i = self.i
        return {"id": f"obs-{i}", "source": {"file": "big.csv", "line": i + 2},
                "attributes": {"hostname": f"host-{i:06d}", "model": "X-1000", "vendor": "Entity"},
                "identifiers": [{"kind": "mac", "value": f"a0b0c0{i:06x}", "field": "mac"}]}


class _Attribution:
    def to_dict(self) -> dict:
        return {"status": "attributed", "entity_id": "e", "confidence": 0.9, "evidence": []}


class GeneratedRun:
    """A streamed run of ``n`` observations and findings made up on the fly (the interface of AuditRun that
    record reads: head, findings, pairs)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def head(self) -> dict:
        return {"schema": "netvet-report/1", "generated_at": "2024-06-01T00:00:00Z", "inputs": [], "policies": []}

    def findings(self):
        return (_Finding(i) for i in range(self.n))

    def pairs(self):
        for start in range(0, self.n, 2000):
            yield [(_Observation(i), _Attribution()) for i in range(start, min(self.n, start + 2000))]


def test_recording_a_large_streamed_run_stays_in_bounded_memory(tmp_path):
    n = 50_000
    run = GeneratedRun(n)
    h = History(tmp_path / "h.duckdb")
    h.record(GeneratedRun(10), [], now=T)  # DuckDB and zstandard loaded before measuring
    tracemalloc.start()
    try:
        run_id = h.record(run, [], now=T)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # recording held the whole report's text at once before (and the report's dictionary, and a list of every
    # finding row): more than the text's length. Measured: peak 5.3 MB for a text of 46 MB.
    text = "".join(h.report_text(run_id))
    print(f"peak {peak / 2**20:.1f} MB, text {len(text) / 2**20:.1f} MB")
    assert peak < 16 * 2**20 < len(text)
    info = h.run(run_id)
    assert (info["findings"], info["observations"], info["fail"], info["review"], info["unknown"], info["pass"]) == (
        n, n, n // 4, n // 4, n // 4, n // 4)
    assert info["report_sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    rows = h.findings(run_id, offset=n - 1, limit=1)
    assert rows[0]["subject_key"] == f"p|big.csv|hostname=host-{n - 1:06d}" and rows[0]["idx"] == n - 1
    data = json.loads(text)
    assert data["findings"][7] == _Finding(7).to_dict() and data["observations"][-1]["id"] == f"obs-{n - 1}"


def test_cli_record_stores_the_report_it_writes(tmp_path, capsys):
    out = tmp_path / "r.json"
    args = ["audit", str(INVENTORY_V2), str(HOSTILE), "--registry", str(FIX / "registry" / "mini"), "--policy",
            str(PACK), "--on", "2024-06-01", "--format", "json", "--output", str(out), "--record"]
    assert main(args) == 1
    assert "recorded run" in capsys.readouterr().err
    h = History()  # NETVET_HOME: a scratch folder per test (tests/conftest.py)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert h.report("latest") == written
    info = h.run("latest")
    assert (info["findings"], info["observations"]) == (len(written["findings"]), len(written["observations"]))
    assert [f["subject_key"] for f in h.findings("latest")] == finding_keys(written)


def test_a_report_whose_files_were_elsewhere_keeps_its_input_counts(tmp_path):
    """A report recorded again from another checkout or machine: its inputs' counts are matched by file name when
    the paths differ (found when the schema-1 fixture, recorded in one checkout, was re-recorded in another)."""
    run = streamed([INVENTORY_V1])
    try:
        data = run.report().to_dict()
    finally:
        run.close()
    data["inputs"][0]["file"] = "/elsewhere/" + INVENTORY_V1.name
    h = History(tmp_path / "h.duckdb")
    run_id = h.record(data, [INVENTORY_V1], now=datetime(2024, 7, 1, tzinfo=UTC))
    [row] = h.run(run_id)["inputs"]
    assert (row["name"], row["format"], row["records"], row["malformed"]) == ("inventory.csv", "csv-inventory", 7, 0)
