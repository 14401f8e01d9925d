"""The history database: recorded audit runs in an embedded DuckDB file under the data directory.

``$NETVET_HOME/history.duckdb`` (``NETVET_HOME`` when set, else ``~/.local/share/netvet``). One run is written
in one transaction: the run row, its inputs (name, size, sha256), datasets and registry version, policy ids
and versions, one row per finding (with its stable subject key, see ``keys``) and the full JSON report. A
writer killed mid-write leaves no trace: DuckDB's write-ahead log only replays committed transactions.

A run is recorded in bounded memory (``History.record`` of a streamed ``pipeline.AuditRun``): findings and
observations are read one at a time, their rows staged in batches (temporary tables that spill to disk past
``WRITE_MEMORY``) and keyed in SQL, and the report text, the canonical JSON whose sha256 is ``report_sha256``,
is zstd-compressed as it is written into ``run_report_chunks`` (schema 2). Runs of schema 1 keep their text in
``runs.report``; both are read.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..model.keys import basename, identity

DB_NAME = "history.duckdb"
# 1: the report text in runs.report; 2: the report text zstd-compressed in run_report_chunks (runs.report NULL).
# A schema-1 database is read as it is and takes schema-2 runs beside its own (both are read).
SCHEMA_VERSION = "2"
REPORT_CHUNK = 1 << 20  # compressed bytes of report text per run_report_chunks row
ROW_BATCH = 5_000  # finding (and observation) rows staged per INSERT
WRITE_MEMORY = "256MB"  # DuckDB's memory limit while a run is written (staged rows beyond it spill to disk)
LISTS = ("findings", "observations")  # the report members record() takes one item at a time

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
    # the report text of a schema-2 run: zstd frames cut in parts, keyed by the run's seq (see record)
    """CREATE TABLE IF NOT EXISTS run_report_chunks (
        seq BIGINT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL)""",
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
# a finding as staged before its key is known: its subject (observation id) and the key to fall back on
# (basename|label=...) in place of subject_key
_STAGED_FINDINGS = [f"{c} {t}" for c, t in zip(["idx", "subject", "fallback", *FINDING_COLUMNS[2:]],
                                                [*_FINDING_TYPES[1:2], "VARCHAR", "VARCHAR", *_FINDING_TYPES[3:]],
                                                strict=True)]
_KEYED_INSERT = f"""
INSERT INTO findings
SELECT ?, f.idx, f.policy || '|' || coalesce(k.subject_key, f.fallback),
       {', '.join('f.' + c for c in FINDING_COLUMNS[2:])}
FROM _nv_findings f
LEFT JOIN (
    SELECT id, subject_key FROM (
        SELECT id, CASE WHEN n = 1 THEN base ELSE base || '#' || n END AS subject_key,
               row_number() OVER (PARTITION BY id ORDER BY pos DESC) AS latest
        FROM (SELECT id, base, pos, row_number() OVER (PARTITION BY base ORDER BY pos) AS n
              FROM _nv_observations))
    WHERE latest = 1) k ON k.id IS NOT DISTINCT FROM f.subject
ORDER BY f.idx"""
INPUT_COLUMNS = ["name", "path", "size", "sha256", "format", "records", "malformed"]


class HistoryError(Exception):
    """A history problem the user can act on (unknown run, database locked ...)."""


_canonical = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode
"""The canonical JSON of a report's member: ``json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)``
(``report_sha256`` is the sha256 of the whole report's)."""


@dataclass(frozen=True)
class RunDocument:
    """A report as :meth:`History.record` reads it: ``head`` (its members but findings and observations) and
    ``lists``: for each of those it has, a callable giving its items (dictionaries) one at a time, in order."""

    head: dict
    lists: dict[str, Callable[[], Iterable[dict]]]

    @classmethod
    def of(cls, report) -> RunDocument:
        """The document of a Report, of its dictionary, or of a streamed audit (``pipeline.AuditRun``: anything
        with ``head()``, ``findings()`` and ``pairs()``), whose findings are evaluated as they are read."""
        if hasattr(report, "pairs") and hasattr(report, "head"):
            run = report

            def observations() -> Iterator[dict]:
                for batch in run.pairs():
                    for obs, att in batch:
                        yield {**obs.to_dict(), "attribution": att.to_dict() if att is not None else None}

            return cls(run.head(), {"findings": lambda: (f.to_dict() for f in run.findings()),
                                    "observations": observations})
        data = report if isinstance(report, dict) else report.to_dict()
        lists = [k for k in LISTS if isinstance(data.get(k), list)]
        return cls({k: v for k, v in data.items() if k not in lists}, {k: (lambda k=k: data[k]) for k in lists})


@dataclass
class _Tally:
    """What record() counts while it writes a document."""

    sha256: str = ""
    observations: int = 0
    findings: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)


class _ReportSink:
    """The canonical report text, written piece by piece: hashed, zstd-compressed and stored in parts of about
    ``REPORT_CHUNK`` bytes as rows of run_report_chunks (``seq``)."""

    def __init__(self, con, seq: int) -> None:
        import zstandard

        self.con, self.seq, self.part = con, seq, 0
        self.sha = hashlib.sha256()
        self.zobj = zstandard.ZstdCompressor(level=3).compressobj()
        self.text: list[str] = []
        self.size = 0
        self.out: list[bytes] = []
        self.out_size = 0

    def write(self, text: str) -> None:
        self.text.append(text)
        self.size += len(text)
        if self.size >= 1 << 18:
            self._compress()

    def _compress(self) -> None:
        data = "".join(self.text).encode("utf-8")
        self.text, self.size = [], 0
        self.sha.update(data)
        out = self.zobj.compress(data)
        if out:
            self.out.append(out)
            self.out_size += len(out)
        if self.out_size >= REPORT_CHUNK:
            self._store()

    def _store(self) -> None:
        if self.out:
            self.con.execute("INSERT INTO run_report_chunks VALUES (?, ?, ?)",
                             [self.seq, self.part, b"".join(self.out)])
            self.part += 1
        self.out, self.out_size = [], 0

    def close(self) -> str:
        """Store what is left; return the sha256 of the whole text."""
        self._compress()
        self.out.append(self.zobj.flush())
        self._store()
        return self.sha.hexdigest()


class _Basenames(dict):
    """``basename`` of the few source files of a run, each computed once (at most ``MAX`` remembered)."""

    MAX = 1_000

    def __missing__(self, path: str) -> str:
        if len(self) >= self.MAX:
            self.clear()
        name = self[path] = basename(path)
        return name


def _finding_row(i: int, f: dict, names: _Basenames) -> list:
    ent = f.get("entity") or {}
    ident = f.get("identifier") or {}
    src = f.get("source") or {}
    return [
        i,
        f.get("subject", ""),
        f"{names[src.get('file') or '']}|label={f.get('label', '')}",  # keys.finding_keys' fallback
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


def _stage(con, table: str, types: list[str], rows: list[list]) -> None:
    """Insert ``rows`` in one statement: each column a list parameter, zipped back into rows by unnest."""
    if rows:
        con.execute(f"INSERT INTO {table} SELECT {', '.join(f'unnest(?::{t}[])' for t in types)}",
                    [list(col) for col in zip(*rows, strict=True)])
        rows.clear()


def _write_document(con, doc: RunDocument, seq: int) -> _Tally:
    """Write the canonical text of ``doc`` (``json.dumps(report dict, ensure_ascii=False, sort_keys=True,
    default=str)``, piece by piece) to run_report_chunks and stage its findings and observation keys in the temporary
    tables _nv_findings and _nv_observations, in batches; return the counts and the text's sha256."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _nv_findings ({', '.join(_STAGED_FINDINGS)})")
    con.execute("CREATE OR REPLACE TEMP TABLE _nv_observations (pos BIGINT, id VARCHAR, base VARCHAR)")
    staged_types = [c.split(" ")[1] for c in _STAGED_FINDINGS]
    tally = _Tally()
    names = _Basenames()
    sink = _ReportSink(con, seq)
    members = {**doc.head, **{k: None for k in doc.lists}}
    sep = "{"
    for key in sorted(members):
        sink.write(f"{sep}{_canonical(key)}: ")
        sep = ", "
        if key not in doc.lists:
            sink.write(_canonical(members[key]))
            continue
        rows: list[list] = []
        item_sep = "["
        n = 0
        for n, item in enumerate(doc.lists[key](), 1):
            sink.write(item_sep)
            sink.write(_canonical(item))
            item_sep = ", "
            if key == "findings":
                rows.append(_finding_row(n - 1, item, names))
                verdict = item.get("verdict")
                tally.verdicts[verdict] = tally.verdicts.get(verdict, 0) + 1
                table, types = "_nv_findings", staged_types
            else:
                src = item.get("source") or {}
                rows.append([n - 1, item.get("id", ""), f"{names[src.get('file') or '']}|{identity(item)}"])
                table, types = "_nv_observations", ["BIGINT", "VARCHAR", "VARCHAR"]
            if len(rows) >= ROW_BATCH:
                _stage(con, table, types, rows)
        if rows:
            _stage(con, table, types, rows)
        sink.write("]" if n else "[]")
        if key == "findings":
            tally.findings = n
        else:
            tally.observations = n
    sink.write("}" if members else "{}")
    tally.sha256 = sink.close()
    return tally


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
        """Create the tables (a schema-1 database gets run_report_chunks and says schema 2 from then on)."""
        for ddl in _DDL:
            con.execute(ddl)
        con.execute("INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = "
                    "excluded.value", [SCHEMA_VERSION])

    # --- writing ----------------------------------------------------------------------------------
    def record(
        self,
        report,
        inputs: Iterable[str | Path] | None = None,
        command: str = "audit",
        now: datetime | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> str:
        """Store ``report`` as a new run in one transaction; return its run id.

        ``report`` is a Report, its dictionary or a streamed audit (``pipeline.AuditRun``), read through
        :meth:`RunDocument.of`: findings and observations are taken one at a time, their rows inserted in batches
        and the report text compressed as it is written, so a streamed run is recorded in bounded memory.
        ``inputs`` are the evidence files as given on the command line (hashed here); by default the files named
        in the report's inputs. ``before_commit`` is called inside the open transaction, after every row is
        written and before the commit (a caller can observe or interrupt a write in progress).
        """
        doc = RunDocument.of(report)
        head = doc.head
        now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        paths = list(inputs) if inputs is not None else [s.get("file") for s in head.get("inputs") or []]
        files = [describe_input(p) for p in paths if p]
        stats = {s.get("file"): s for s in head.get("inputs") or []}
        # a report recorded with its files elsewhere (another checkout, another machine): matched by file name
        # when that name is the report's only input of that name
        names = Counter(Path(f).name for f in stats if f)
        by_name = {Path(f).name: s for f, s in stats.items() if f and names[Path(f).name] == 1}

        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = _connect(self.path, read_only=False)
        try:
            self._ensure_schema(con)
            con.execute(f"SET memory_limit = '{WRITE_MEMORY}'")  # staged rows spill to disk beyond it
            con.execute("BEGIN TRANSACTION")
            try:
                seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM runs").fetchone()[0]
                tally = _write_document(con, doc, seq)
                digest = tally.sha256
                base = run_id = f"{now:%Y%m%dT%H%M%SZ}-{digest[:8]}"
                n = 1
                while con.execute("SELECT 1 FROM runs WHERE run_id = ?", [run_id]).fetchone():
                    n += 1  # the same report recorded twice in one second: keep both runs
                    run_id = f"{base}-{n}"
                verdicts = tally.verdicts
                con.execute(
                    f"INSERT INTO runs ({', '.join(RUN_COLUMNS)}, report) VALUES ({', '.join('?' * 18)})",
                    [
                        run_id,
                        seq,
                        now,
                        head.get("generated_at"),
                        head.get("evaluated_on"),
                        head.get("netvet_version"),
                        head.get("registry_version"),
                        command,
                        bool(head.get("sample_data")),
                        tally.observations,
                        tally.findings,
                        verdicts.get("FAIL", 0),
                        verdicts.get("REVIEW", 0),
                        verdicts.get("UNKNOWN", 0),
                        verdicts.get("PASS", 0),
                        verdicts.get("WAIVED", 0),
                        digest,
                        None,  # the text is in run_report_chunks (schema 2)
                    ],
                )
                for pos, fi in enumerate(files):
                    st = stats.get(fi.path) or by_name.get(Path(fi.path).name) or {}
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
                    [run_id, head.get("registry_version")],
                )
                for d in head.get("datasets") or []:
                    name = (d.get("name") or d.get("id") or "dataset") if isinstance(d, dict) else str(d)
                    version = d.get("version") if isinstance(d, dict) else None
                    con.execute(
                        "INSERT INTO run_datasets VALUES (?, ?, ?, ?)",
                        [run_id, name, version, json.dumps(d, sort_keys=True, default=str)],
                    )
                for p in head.get("policies") or []:
                    con.execute(
                        "INSERT INTO run_policies VALUES (?, ?, ?, ?, ?)",
                        [run_id, p.get("id"), p.get("version"), p.get("title"), p.get("approach")],
                    )
                # the staged findings get their stable keys (keys.observation_keys, as a window over the
                # staged observations: the n-th observation of a file with one identity gets #n; an id seen
                # twice keeps its last key) and go into the table in report order
                con.execute(_KEYED_INSERT, [run_id])
                con.execute("DROP TABLE _nv_findings")
                con.execute("DROP TABLE _nv_observations")
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
        """The JSON report of a run (checked against its ``report_sha256``)."""
        return json.loads("".join(self.report_text(ref)))

    def report_text(self, ref: str, parts: int = 8) -> Iterator[str]:
        """The canonical JSON text of a run's report, piece by piece (``parts`` stored parts read at a time):
        from runs.report for a schema-1 run, decompressed from run_report_chunks for a schema-2 run. Raises
        HistoryError at the end when the text does not have the recorded sha256 (a damaged database)."""
        import codecs

        run_id = self.resolve(ref)
        with self._read() as con:
            seq, digest, text = con.execute(
                "SELECT seq, report_sha256, report FROM runs WHERE run_id = ?", [run_id]).fetchone()
            sha = hashlib.sha256()
            if text is not None:
                sha.update(text.encode("utf-8"))
                yield text
            else:
                import zstandard

                unz = zstandard.ZstdDecompressor().decompressobj()
                utf8 = codecs.getincrementaldecoder("utf-8")()
                first = 0
                while True:
                    rows = con.execute("SELECT data FROM run_report_chunks WHERE seq = ? AND part >= ? AND part < ? "
                                       "ORDER BY part", [seq, first, first + parts]).fetchall()
                    for (data,) in rows:
                        raw = unz.decompress(data)
                        sha.update(raw)
                        yield utf8.decode(raw)
                    if len(rows) < parts:
                        break
                    first += parts
                yield utf8.decode(b"", final=True)
        if sha.hexdigest() != digest:
            raise HistoryError(f"the stored report of run {run_id} is damaged (its sha256 is not the recorded one)")

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
