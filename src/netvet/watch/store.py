"""The watch state on disk: one SQLite file (stdlib sqlite3), replaced in one transaction per checkpoint.

Tables: ``meta`` (schema version, event sequence, health counters as JSON), ``routes`` (feed, peer, prefix ->
current AS path as JSON) and ``open_events`` (the last event sent for each open condition). A checkpoint deletes
and rewrites all three inside one ``BEGIN IMMEDIATE ... COMMIT``: a crash leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from .engine import path_from_json, path_json

VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS routes (feed TEXT NOT NULL, peer TEXT NOT NULL, peer_as INTEGER NOT NULL,
    prefix TEXT NOT NULL, as_path TEXT NOT NULL, PRIMARY KEY (feed, peer, peer_as, prefix));
CREATE TABLE IF NOT EXISTS open_events (key TEXT PRIMARY KEY, seq INTEGER NOT NULL, event TEXT NOT NULL);
"""


def _connect(path: str | Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), isolation_level=None, timeout=10)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.executescript(_SCHEMA)
    return con


def save(engine, path: str | Path) -> None:
    con = _connect(path)
    try:
        con.execute("BEGIN IMMEDIATE")
        con.execute("DELETE FROM meta")
        con.execute("DELETE FROM routes")
        con.execute("DELETE FROM open_events")
        con.executemany("INSERT INTO meta VALUES (?, ?)", [
            ("version", str(VERSION)), ("seq", str(engine.seq)), ("health", json.dumps(engine.health.dump())),
        ])
        rows = []
        for x, d in enumerate(engine.rib):
            prefix = engine.prefixes[x]
            for peer, pid in d.items():
                feed, addr, asn = engine.peers[peer]
                rows.append((feed, addr, asn, prefix, json.dumps(path_json(engine.paths[pid]))))
        con.executemany("INSERT INTO routes VALUES (?, ?, ?, ?, ?)", rows)
        con.executemany("INSERT INTO open_events VALUES (?, ?, ?)", [
            (json.dumps(list(k)), ev["seq"], json.dumps(ev, sort_keys=True)) for k, ev in engine.open.items()])
        con.execute("COMMIT")
    except BaseException:
        if con.in_transaction:
            con.execute("ROLLBACK")
        raise
    finally:
        con.close()


def load(engine, path: str | Path) -> bool:
    """Restore ``engine`` from ``path`` (no events are sent); False when there is no state yet."""
    if not Path(path).exists():
        return False
    con = _connect(path)
    try:
        meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        if not meta:
            return False
        engine.seq = int(meta.get("seq", 0))
        engine.health.load(json.loads(meta.get("health", "{}")))
        for feed, peer, asn, prefix, as_path in con.execute(
                "SELECT feed, peer, peer_as, prefix, as_path FROM routes ORDER BY feed, peer, peer_as, prefix"):
            path = path_from_json(json.loads(as_path))
            x = engine.prefix_id(prefix, path)
            if x is None:  # no longer watched
                continue
            engine.rib[x][engine.intern_peer(feed, peer, asn)] = engine.intern_path(path)
        for key, event in con.execute("SELECT key, event FROM open_events ORDER BY seq"):
            k = tuple(json.loads(key))
            ev = engine.open[k] = json.loads(event)
            if ev.get("prefix") is not None:
                engine._fp[k] = tuple(ev["asns"])
        return True
    finally:
        con.close()


def open_events(path: str | Path) -> list[dict]:
    """The open events of a watch state file, oldest first: the dashboard's view (read-only, no engine needed)."""
    p = Path(path)
    if not p.exists():
        return []
    con = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=10)
    try:
        try:
            rows = con.execute("SELECT event FROM open_events ORDER BY seq").fetchall()
        except sqlite3.OperationalError:
            return []
        return [json.loads(r[0]) for r in rows]
    finally:
        con.close()
