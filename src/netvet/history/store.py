"""The history database: recorded audit runs in an embedded DuckDB file under the data directory.

``$NETVET_HOME/history.duckdb`` (``NETVET_HOME`` when set, else ``~/.local/share/netvet``). One run is written
in one transaction: the run row, its inputs (name, size, sha256), datasets and registry version, policy ids
and versions, one row per finding (with its stable subject key, see ``keys``) and the full JSON report. A
writer killed mid-write leaves no trace: DuckDB's write-ahead log only replays committed transactions.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..model.keys import basename, finding_keys

DB_NAME = "history.duckdb"
SCHEMA_VERSION = "1"

_DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id VARCHAR PRIMARY KEY, seq BIGINT NOT NULL UNIQUE, recorded_at TIMESTAMP NOT NULL,
        generated_at VARCHAR, evaluated_on VARCHAR, netvet_version VARCHAR, registry_version VARCHAR,
        command VARCHAR, sample_data BOOLEAN, observations INTEGER, findings INTEGER,
        fail INTEGER, review INTEGER, unknown INTEGER, pass INTEGER, waived INTEGER,
        report_sha256 VARCHAR, report VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS run_inputs (
        run_id VARCHAR NOT NULL, position INTEGER NOT NULL, name VARCHAR, path VARCHAR, size BIGINT,
        sha256 VARCHAR, format VARCHAR, records INTEGER, malformed INTEGER)""",
    """CREATE TABLE IF NOT EXISTS run_datasets (
        run_id VARCHAR NOT NULL, name VARCHAR NOT NULL, version VARCHAR, detail VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS run_policies (
        run_id VARCHAR NOT NULL, policy_id VARCHAR NOT NULL, version VARCHAR, title VARCHAR,
        approach VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS findings (
        run_id VARCHAR NOT NULL, idx INTEGER NOT NULL, subject_key VARCHAR NOT NULL, policy VARCHAR NOT NULL,
        verdict VARCHAR NOT NULL, rule_ids VARCHAR, severity VARCHAR, entity_id VARCHAR, entity_name VARCHAR,
        entity_country VARCHAR, site VARCHAR, label VARCHAR, source_file VARCHAR, source_line INTEGER,
        identifier VARCHAR)""",
]

RUN_COLUMNS = [
    "run_id",
    "seq",
    "recorded_at",
    "generated_at",
    "evaluated_on",
    "netvet_version",
    "registry_version",
    "command",
    "sample_data",
    "observations",
    "findings",
    "fail",
    "review",
    "unknown",
    "pass",
    "waived",
    "report_sha256",
]
FINDING_COLUMNS = [
    "idx",
    "subject_key",
    "policy",
    "verdict",
    "rule_ids",
    "severity",
    "entity_id",
    "entity_name",
    "entity_country",
    "site",
    "label",
    "source_file",
    "source_line",
    "identifier",
]
_FINDING_TYPES = ["VARCHAR", "INTEGER", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR",
                  "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "INTEGER", "VARCHAR"]
_UNNEST = [f"unnest(?::{t}[])" for t in _FINDING_TYPES]
INPUT_COLUMNS = ["name", "path", "size", "sha256", "format", "records", "malformed"]


class HistoryError(Exception):
    """A history problem the user can act on (unknown run, database locked ...)."""


def data_dir() -> Path:
    """``$NETVET_HOME`` when set, else ``~/.local/share/netvet``."""
    home = os.environ.get("NETVET_HOME")
    return Path(home) if home else Path.home() / ".local" / "share" / "netvet"


def db_path() -> Path:
    return data_dir() / DB_NAME


@dataclass(frozen=True)
class InputFile:
    name: str
    path: str
    size: int | None
    sha256: str | None


def describe_input(path: str | Path) -> InputFile:
    """Name, size and sha256 of an input file (None for a file that cannot be read any more)."""
    p = Path(path)
    try:
        h = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return InputFile(p.name, str(path), p.stat().st_size, h.hexdigest())
    except OSError:
        return InputFile(basename(str(path)), str(path), None, None)


def _connect(path: Path, read_only: bool, attempts: int = 50):
    """Open the database, retrying while another process holds the lock (about 5 s)."""
    import duckdb

    last: Exception | None = None
    for _ in range(attempts):
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:  # locked by another process
            last = exc
            time.sleep(0.1)
    raise HistoryError(f"cannot open the history database {path}: {last}")


class History:
    """The history database at ``path`` (default: ``db_path()``)."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else db_path()
        self._local = threading.local()  # the connection of an open session(), per thread

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def session(self) -> Iterator[History]:
        """Share one read-only connection between the reads made inside (per thread)."""
        if getattr(self._local, "con", None) is not None or not self.exists():
            yield self
            return
        self._local.con = _connect(self.path, read_only=True)
        try:
            yield self
        finally:
            self._local.con.close()
            self._local.con = None

    @contextmanager
    def _read(self) -> Iterator:
        shared = getattr(self._local, "con", None)
        if shared is not None:
            yield shared
            return
        con = _connect(self.path, read_only=True)
        try:
            yield con
        finally:
            con.close()

    def _ensure_schema(self, con) -> None:
        for ddl in _DDL:
            con.execute(ddl)
        con.execute("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING", [SCHEMA_VERSION])

    # --- writing ----------------------------------------------------------------------------------
    def record(
        self,
        report,
        inputs: Iterable[str | Path] | None = None,
        command: str = "audit",
        now: datetime | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> str:
        """Store ``report`` (a Report or its dictionary) as a new run in one transaction; return its run id.

        ``inputs`` are the evidence files as given on the command line (hashed here); by default the files
        named in the report's inputs. ``before_commit`` is called inside the open transaction, after every row is
        written and before the commit (a caller can observe or interrupt a write in progress).
        """
        data = report if isinstance(report, dict) else report.to_dict()
        text = json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        run_id = f"{now:%Y%m%dT%H%M%SZ}-{digest[:8]}"
        paths = list(inputs) if inputs is not None else [s.get("file") for s in data.get("inputs") or []]
        files = [describe_input(p) for p in paths if p]
        stats = {s.get("file"): s for s in data.get("inputs") or []}
        findings = data.get("findings") or []
        keys = finding_keys(data)
        verdicts = [f.get("verdict") for f in findings]
        rows = []
        for i, (f, key) in enumerate(zip(findings, keys, strict=True)):
            ent = f.get("entity") or {}
            ident = f.get("identifier") or {}
            src = f.get("source") or {}
            rows.append(
                [
                    None,
                    i,
                    key,
                    f.get("policy"),
                    f.get("verdict"),
                    ";".join(f.get("rule_ids") or []),
                    f.get("severity"),
                    ent.get("id"),
                    ent.get("name"),
                    ent.get("country"),
                    f.get("site"),
                    f.get("label"),
                    src.get("file"),
                    src.get("line"),
                    f"{ident.get('kind')}:{ident.get('value')}" if ident else None,
                ]
            )

        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect(self.path, read_only=False)
        try:
            self._ensure_schema(con)
            con.execute("BEGIN TRANSACTION")
            try:
                seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM runs").fetchone()[0]
                base, n = run_id, 1
                while con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone():
                    n += 1  # the same report recorded twice in one second: keep both runs
                    run_id = f"{base}-{n}"
                con.execute(
                    f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}, report) VALUES ({', '.join('?' * 18)})",
                    [
                        run_id,
                        seq,
                        now,
                        data.get("generated_at"),
                        data.get("evaluated_on"),
                        data.get("netvet_version"),
                        data.get("registry_version"),
                        command,
                        bool(data.get("sample_data")),
                        len(data.get("observations") or []),
                        len(findings),
                        verdicts.count("FAIL"),
                        verdicts.count("REVIEW"),
                        verdicts.count("UNKNOWN"),
                        verdicts.count("PASS"),
                        verdicts.count("WAIVED"),
                        digest,
                        text,
                    ],
                )
                for pos, fi in enumerate(files):
                    st = stats.get(fi.path) or {}
                    con.execute(
                        "INSERT INTO run_inputs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            run_id,
                            pos,
                            fi.name,
                            fi.path,
                            fi.size,
                            fi.sha256,
                            st.get("format"),
                            st.get("read"),
                            st.get("malformed"),
                        ],
                    )
                con.execute(
                    "INSERT INTO run_datasets VALUES (?, 'netvet-registry', ?, NULL)",
                    [run_id, data.get("registry_version")],
                )
                for d in data.get("datasets") or []:
                    name = (d.get("name") or d.get("id") or "dataset") if isinstance(d, dict) else str(d)
                    version = d.get("version") if isinstance(d, dict) else None
                    con.execute(
                        "INSERT INTO run_datasets VALUES (?, ?, ?, ?)",
                        [run_id, name, version, json.dumps(d, sort_keys=True, default=str)],
                    )
                for p in data.get("policies") or []:
                    con.execute(
                        "INSERT INTO run_policies VALUES (?, ?, ?, ?, ?)",
                        [run_id, p.get("id"), p.get("version"), p.get("title"), p.get("approach")],
                    )
                if rows:
                    # one statement: each column as a list parameter, zipped back into rows by unnest
                    columns = [list(col) for col in zip(*rows, strict=True)]
                    columns[0] = [run_id] * len(rows)
                    con.execute(f"INSERT INTO findings SELECT {', '.join(_UNNEST)}", columns)
                if before_commit is not None:
                    before_commit()
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()
        return run_id

    # --- reading ----------------------------------------------------------------------------------
    def runs(self) -> list[dict]:
        """Every run, newest first (without the report)."""
        if not self.exists():
            return []
        with self._read() as con:
            cur = con.execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM runs ORDER BY seq DESC")
            out = [dict(zip(RUN_COLUMNS, row, strict=True)) for row in cur.fetchall()]
            pols = con.execute("SELECT run_id, policy_id, version FROM run_policies ORDER BY policy_id")
            by_run: dict[str, list[str]] = {}
            for rid, pid, ver in pols.fetchall():
                by_run.setdefault(rid, []).append(f"{pid}@{ver}")
        for r in out:
            r["recorded_at"] = _iso(r["recorded_at"])
            r["policies"] = by_run.get(r["run_id"], [])
        return out

    def resolve(self, ref: str) -> str:
        """The run id for ``ref``: a run id or its unique prefix, a sequence number, latest or previous."""
        runs: list[dict] = []
        if self.exists():
            with self._read() as con:
                runs = _dicts(con, "SELECT run_id, seq FROM runs ORDER BY seq DESC", [], ["run_id", "seq"])
        if not runs:
            raise HistoryError(f"no runs recorded yet in {self.path} (use `netvet audit --record`)")
        ref = ref.strip()
        if ref in ("latest", "last"):
            return runs[0]["run_id"]
        if ref in ("previous", "prev"):
            if len(runs) < 2:
                raise HistoryError("only one run is recorded: there is no previous run")
            return runs[1]["run_id"]
        for r in runs:
            if r["run_id"] == ref:
                return ref
        number = ref.lstrip("#")
        if number.isascii() and number.isdigit():  # ASCII only: "²".isdigit() is True, int("²") fails
            for r in runs:
                if r["seq"] == int(number):
                    return r["run_id"]
        matches = [r["run_id"] for r in runs if r["run_id"].startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise HistoryError(f"run {ref!r} is ambiguous: {', '.join(matches[:5])}")
        raise HistoryError(f"no run {ref!r} (see `netvet history`)")

    def run(self, ref: str) -> dict:
        """One run with its inputs, datasets and policies (without the report)."""
        run_id = self.resolve(ref)
        with self._read() as con:
            (info,) = _dicts(
                con, f"SELECT {', '.join(RUN_COLUMNS)} FROM runs WHERE run_id = ?", [run_id], RUN_COLUMNS
            )
            info["recorded_at"] = _iso(info["recorded_at"])
            info["inputs"] = _dicts(
                con,
                f"SELECT {', '.join(INPUT_COLUMNS)} FROM run_inputs WHERE run_id = ? ORDER BY position",
                [run_id],
                INPUT_COLUMNS,
            )
            info["datasets"] = _dicts(
                con,
                "SELECT name, version FROM run_datasets WHERE run_id = ? ORDER BY name",
                [run_id],
                ["name", "version"],
            )
            info["policies"] = _dicts(
                con,
                "SELECT policy_id, version, title, approach FROM run_policies "
                "WHERE run_id = ? ORDER BY policy_id",
                [run_id],
                ["id", "version", "title", "approach"],
            )
        return info

    def report(self, ref: str) -> dict:
        """The JSON report of a run."""
        run_id = self.resolve(ref)
        with self._read() as con:
            (text,) = con.execute("SELECT report FROM runs WHERE run_id = ?", [run_id]).fetchone()
        return json.loads(text)

    def findings(self, ref: str, offset: int = 0, limit: int | None = None) -> list[dict]:
        """The finding rows of a run, in report order (``limit`` rows from ``offset``: one page)."""
        run_id = self.resolve(ref)
        page = " LIMIT ? OFFSET ?" if limit is not None else ""
        with self._read() as con:
            out = _dicts(
                con,
                f"SELECT {', '.join(FINDING_COLUMNS)} FROM findings WHERE run_id = ? ORDER BY idx{page}",
                [run_id, limit, offset] if limit is not None else [run_id],
                FINDING_COLUMNS,
            )
        for d in out:
            d["rule_ids"] = [x for x in (d["rule_ids"] or "").split(";") if x]
        return out


def _dicts(con, sql: str, params: list, columns: list[str]) -> list[dict]:
    return [dict(zip(columns, row, strict=True)) for row in con.execute(sql, params).fetchall()]


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)
