"""The flows run's caches (route and entry caches, address books, Parquet footers) live on its FlowTables (never in
a module), and travel empty to a worker."""

from __future__ import annotations

import os
import pickle
import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from netvet.flows import engine
from netvet.flows.attribution import FlowTables, RunCaches, lookup
from netvet.model import ReadStats
from netvet.readers.flowlogs import tables as tables_mod
from netvet.readers.flowlogs.base import FileCache, ReadOptions
from tests.flows.helpers import fixture_sources


def test_caches_belong_to_the_tables_and_pickle_empty():
    a, b = FlowTables(), FlowTables()
    assert a.caches is not b.caches
    a.caches.entries.append("entry cache")
    a.caches.route.last_cells = 7
    copy = pickle.loads(pickle.dumps(a))
    assert isinstance(copy.caches, RunCaches) and copy.caches.entries == [] and copy.caches.route.last_cells == 0


def test_each_thread_has_its_own_route_cache():
    tables = FlowTables()
    tables.caches.route.last_cells = 5
    seen = []
    t = threading.Thread(target=lambda: seen.append(tables.caches.route.last_cells))
    t.start()
    t.join()
    assert (seen, tables.caches.route.last_cells) == ([0], 5)


def test_route_answers_through_the_tables_cache_match_a_fresh_lookup():
    src = fixture_sources()
    hi = np.zeros(3, np.uint64)
    # ::ffff:192.0.2.1 (AS4134), ::ffff:198.18.0.9 (AS15169), 192.0.2.1 again
    lo = np.array([0xFFFF00000000 | 0xC0000201, 0xFFFF00000000 | 0xC6120009, 0xFFFF00000000 | 0xC0000201],
                  np.uint64)
    tables = FlowTables(routes=src.routes)
    first = lookup(tables, hi, lo)
    again = lookup(tables, hi, lo)  # every address now cached
    fresh = lookup(FlowTables(routes=src.routes), hi, lo)
    assert tables.caches.route.routes is src.routes
    for name in ("key", "route_set", "route_len"):
        assert getattr(first, name).tolist() == getattr(again, name).tolist() == getattr(fresh, name).tolist()
    assert first.route_len.tolist() == [24 + 96, 16 + 96, 24 + 96]  # lengths in IPv6 terms
    assert [src.routes.origin_sets[i] for i in first.route_set.tolist()] == [(4134,), (15169,), (4134,)]


# ------------------------------------------------------------------------------ address books and Parquet footers
def _parquet(path, groups: int = 4, rows: int = 500) -> None:
    n = groups * rows
    src = [f"10.0.{i % 7}.{i % 11}" for i in range(n)]
    dst = [f"8.8.{i % 5}.{i % 13}" for i in range(n)]
    pq.write_table(pa.table({"src": src, "dst": dst, "bytes": np.arange(n, dtype=np.int64)}), path,
                   row_group_size=rows)


def test_a_run_owns_its_books_and_footers_and_a_pickled_copy_starts_empty(tmp_path):
    _parquet(tmp_path / "f.parquet")
    tables = FlowTables()
    run = tables.caches
    assert run.session.books is run.books and run.session.files is run.files
    pln = engine.plan([tmp_path / "f.parquet"], ReadOptions(), session=run.session)
    stats = ReadStats("f", "parquet-flows")
    chunks = [c for part in pln.flow_parts for c in engine.read_part(part, stats, run.session)]
    assert sum(len(c) for c in chunks) == 2000 and len(run.files) == 1
    book = run.books("text")
    if book is not None:  # with the C extension: the empty text, 7 * 11 sources and 5 * 13 destinations
        assert {c.src_coded.book for c in chunks} == {c.dst_coded.book for c in chunks} == {book}
        assert len(book) == 1 + 7 * 11 + 5 * 13
    copy = pickle.loads(pickle.dumps(tables))
    assert len(copy.caches.files) == 0 and copy.caches.books is not run.books
    assert copy.caches.books("text") is None or len(copy.caches.books("text")) == 1  # only the empty text
    other = FlowTables().caches
    assert other.books is not run.books and other.files is not run.files


def test_a_run_reads_each_parquet_footer_once(tmp_path, monkeypatch):
    """Planning, splitting into row groups and four threads reading them all ask for the footer: one read per run
    (and again in the next run, which has caches of its own)."""
    _parquet(tmp_path / "f.parquet", groups=8)
    reads = []
    real = tables_mod._read_footer
    monkeypatch.setattr(tables_mod, "_read_footer", lambda path: reads.append(path) or real(path))

    def one_run() -> int:
        tables = FlowTables()
        pln = engine.plan([tmp_path / "f.parquet"], ReadOptions(), session=tables.caches.session)
        merged = engine.run_single(pln, tables, None, threads=4)
        return int(engine.finish(pln, merged)[0].read)

    assert one_run() == 4000 and reads == [str(tmp_path / "f.parquet")]
    assert one_run() == 4000 and len(reads) == 2
    # a reader without a session keeps nothing: every part reads the footer again
    reader = engine.reader_of("parquet-flows")
    parts = reader.parts(tmp_path / "f.parquet", ReadOptions(part_rows=1000))
    assert len(parts) == 4 and sum(len(c) for p in parts for c in reader.read_part(p, ReadStats("f", "x"))) == 4000
    assert len(reads) == 2 + 1 + 4


def test_the_file_cache_keys_by_version_and_keeps_no_failure(tmp_path):
    path = tmp_path / "a"
    path.write_bytes(b"one")
    cache = FileCache(limit=2)
    loads = []

    def load(p: str) -> bytes:
        loads.append(p)
        return Path(p).read_bytes()

    assert cache.get(str(path), load) == b"one" and cache.get(str(path), load) == b"one" and len(loads) == 1
    path.write_bytes(b"three")  # another size: another version of the file
    assert cache.get(str(path), load) == b"three" and len(loads) == 2

    def fail(p: str):
        raise ValueError("damaged")

    with pytest.raises(ValueError):
        cache.get(str(tmp_path), fail)
    assert len(cache) == 2  # the failure was not kept
    (tmp_path / "b").write_bytes(b"b")
    assert cache.get(str(tmp_path / "b"), load) == b"b" and len(cache) == 1  # past the limit it starts over
    with pytest.raises(FileNotFoundError):
        cache.get(str(tmp_path / "missing"), load)


def _worker_state(tables: FlowTables) -> tuple[int, int, int]:
    """(process id, id of the run caches, footers kept) on the worker holding ``tables``."""
    import os

    return os.getpid(), id(tables.caches), len(tables.caches.files)


def test_dask_workers_keep_a_run_s_caches_per_worker_and_per_run(tmp_path):
    """The tables are scattered once per run; every task of the run on a worker gets that worker's one copy, whose
    (empty) caches fill as the tasks read, and the next run's copy starts empty again."""
    pytest.importorskip("dask.distributed")
    from netvet.flows.dask_engine import open_client, partition_task

    _parquet(tmp_path / "f.parquet", groups=4)
    options = ReadOptions(part_rows=500)
    pln = engine.plan([tmp_path / "f.parquet"], options)
    assert len(pln.flow_parts) == 4
    none = np.zeros(0, np.int64)
    client, cluster = open_client(workers=1, processes=True, host="127.0.0.1")
    try:
        states = []
        for _run in range(2):
            tables_f = client.scatter(FlowTables(), broadcast=True, hash=False)
            before = client.submit(_worker_state, tables_f, pure=False).result()
            results = client.gather([client.submit(partition_task, part, tables_f, 0, none, none, pure=False)
                                     for part in pln.flow_parts])
            after = client.submit(_worker_state, tables_f, pure=False).result()
            assert sum(stats.read for _partial, stats in results) == 2000
            states.append((before, after))
            del tables_f
    finally:
        client.close()
        cluster.close()
    (b1, a1), (b2, a2) = states
    assert b1[0] == a1[0] == b2[0] == a2[0] != os.getpid()  # one worker process
    assert b1[1] == a1[1] and b2[1] == a2[1]  # the run's tasks share the worker's copy
    assert (b1[2], a1[2], b2[2], a2[2]) == (0, 1, 0, 1)  # the footer read once per run on the worker
