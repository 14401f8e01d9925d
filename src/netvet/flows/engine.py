"""Running the flow aggregation: planning inputs, the single-node engine, and what every engine shares.

The single-node engine streams each input in chunks (Parquet row groups, blocks of text lines) through
:func:`~.kernel.process_chunk` (each distinct address attributed once per run, then one compiled pass
over the records, or NumPy and Polars without the extension). Threads share the pieces an input cuts
into (row groups, files); a single text log is read on one thread ahead of the others. Partial
aggregates are merged as they accumulate, so memory holds a few chunks plus aggregates, never the input.

When a ``classifier`` is given (``netvet flows audit``), the distinct units of each chunk are handed to
it before the host table is made; units it has classified as passing every policy get no host rows.
"""

from __future__ import annotations

import gc
import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from .. import readers
from ..model import InputError, ReadStats
from ..readers import flowlogs  # noqa: F401 - registers the flow-log readers
from ..readers.flowlogs import problems
from ..readers.flowlogs.base import FlowLogReader, Part, ReadOptions, ReadSession
from ..readers.flowlogs.records import DnsChunk
from .aggregate import Partial, merge
from .attribution import FlowTables
from .dns import DnsIndex
from .kernel import CellAccumulator, process_chunk, use_c

COMPACT_ROWS = 2_000_000  # merge accumulated partials when they hold this many rows


class Classifier(Protocol):
    def classify(self, units: np.ndarray) -> None:
        """Classify the units not seen before (each unit once)."""

    def flagged(self) -> np.ndarray:
        """Sorted units some policy flags (their hosts are kept)."""

    def classified(self) -> np.ndarray:
        """Sorted units classified so far."""


@dataclass
class Plan:
    """The inputs of a run: flow parts (in input order) and DNS logs, with one ReadStats per file."""

    flow_parts: list[Part] = field(default_factory=list)
    dns_parts: list[Part] = field(default_factory=list)
    stats: dict[str, ReadStats] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # flow files; index = file index in unit refs

    def file_index(self, path: str) -> int:
        return self.files.index(path)


def plan(paths: Iterable[str | Path], options: ReadOptions, fmt: str | None = None,
         dns_paths: Iterable[str | Path] = (), session: ReadSession | None = None) -> Plan:
    """Detect every input's format and cut splittable files into parts. ``dns_paths`` are DNS logs
    given apart from the flows (a DNS log among ``paths`` is recognised too). ``session``: the run's
    (``FlowTables.caches.session``), so that what planning reads (Parquet footers) is read once per run."""
    pl_ = Plan()
    flow_list = [str(p) for p in paths]
    for p in flow_list + [str(p) for p in dns_paths]:
        path = Path(p)
        if not path.exists():
            raise InputError(str(p), "file not found")
        f = detect(path, fmt if p in flow_list else None, session)
        name = str(p)
        if name in pl_.stats:
            continue
        pl_.stats[name] = ReadStats(name, f.format)
        parts = f.parts(path, options)
        if f.kind == "dns":
            pl_.dns_parts.extend(parts)
        else:
            pl_.flow_parts.extend(parts)
            pl_.files.append(name)
    return pl_


def read_dns(parts: list[Part], stats: dict[str, ReadStats], domains: dict[str, str],
             session: ReadSession | None = None) -> DnsIndex:
    """Read every DNS log and index its answers (DNS logs are read on this machine, first)."""
    chunks: list[DnsChunk] = []
    for part in parts:
        for c in reader_of(part.format, session).read_part(part, stats[part.path]):
            c.file = part.path
            chunks.append(c)
    return DnsIndex.build(chunks, domains, stats)


def detect(path: str | Path, fmt: str | None = None, session: ReadSession | None = None) -> FlowLogReader:
    """The flow-log reader of ``path`` (``fmt`` names it; else sniffed among the readers that yield flow batches),
    lent the run's ``session`` (its address books and file cache; none: the reader keeps nothing). Unknown input
    raises InputError."""
    return readers.detect(path, fmt, {"session": session}, yields=flowlogs.FLOW_BATCHES)


def reader_of(fmt: str, session: ReadSession | None = None) -> FlowLogReader:
    """The flow-log reader named ``fmt`` (a ``Part``'s format), lent the run's ``session``."""
    return readers.READERS[fmt](session=session)


def read_part(part: Part, stats: ReadStats, session: ReadSession | None = None) -> Iterator:
    return reader_of(part.format, session).read_part(part, stats)


def _prefetch(it: Iterator, pool: ThreadPoolExecutor) -> Iterator:
    """Iterate ``it`` with the next item produced on ``pool`` while the caller works on this one."""
    sentinel = object()
    fut = pool.submit(next, it, sentinel)
    while True:
        item = fut.result()
        if item is sentinel:
            return
        fut = pool.submit(next, it, sentinel)
        yield item


def hosts_needed(classified: np.ndarray, flagged: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """hosts_for(units) for the aggregation: the units flagged, or not classified yet."""
    def need(units: np.ndarray) -> np.ndarray:
        if not len(classified):
            return units
        return units[~np.isin(units, classified) | np.isin(units, flagged)]

    return need


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def run_single(pln: Plan, tables: FlowTables, classifier: Classifier | None = None,
               progress: Callable[[str, int], None] | None = None, threads: int | None = None) -> Partial:
    """Aggregate every flow part on this machine with ``threads`` threads (default: the CPU count, at most 4).

    When the inputs cut into at least as many pieces as there are threads (Parquet row groups, several
    files), each thread reads and aggregates whole pieces; otherwise (one text file) one thread reads
    ahead while the others aggregate. Partials are merged as they accumulate. The readers are lent the run's
    session (``tables.caches``: its address books and Parquet footers)."""
    # The registry, indexes and tables built so far live on, and a run makes few reference cycles but
    # many objects (a classified party is a few dozen): the cyclic collector waits until the run is over.
    gc.freeze()
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_single(pln, tables, classifier, progress, threads or default_threads())
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


def _run_single(pln: Plan, tables: FlowTables, classifier: Classifier | None,
                progress: Callable[[str, int], None] | None, threads: int) -> Partial:
    lock = threading.Lock()
    acc: list[Partial] = []
    held = 0

    def on_units(units: np.ndarray) -> None:
        with lock:
            classifier.classify(units)

    def hosts_for(units: np.ndarray | None) -> np.ndarray:
        with lock:
            flagged = classifier.flagged()
        if units is None:  # every unit that needs host rows (a thread's cell accumulator)
            return flagged
        return units[np.isin(units, flagged)]  # on_units has just classified every unit of the chunk

    def take(p: Partial) -> None:
        nonlocal acc, held
        with lock:
            acc.append(p)
            held += p.rows()
            if held > COMPACT_ROWS and len(acc) > 1:
                todo, acc = acc, []
                held = 0
            else:
                return
        merged = merge(todo)  # outside the lock: the other threads go on meanwhile
        with lock:
            acc.append(merged)
            held += merged.rows()

    def process(chunk, part: Part, index: int, cells: CellAccumulator | None = None) -> Partial:
        return process_chunk(chunk, tables, part.path, index, hosts_for if classifier else None,
                             on_units if classifier else None, cells)

    session = tables.caches.session
    pieces = [piece for part in pln.flow_parts for piece in reader_of(part.format, session).split(part)]
    if threads > 1 and len(pieces) >= threads:
        part_stats: list[ReadStats | None] = [None] * len(pieces)
        counter = iter(range(len(pieces)))

        failed = threading.Event()  # a bad input stops every thread at its next chunk

        accumulators: list[CellAccumulator] = []

        def work() -> None:
            cells = CellAccumulator() if use_c() else None  # this thread's cells, over all its pieces
            if cells is not None:
                with lock:
                    accumulators.append(cells)
            pieces_of_thread(cells)

        def pieces_of_thread(cells: CellAccumulator | None) -> None:
            while not failed.is_set():
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                part = pieces[i]
                stats = part_stats[i] = ReadStats(part.path, part.format)
                index = pln.file_index(part.path)
                try:
                    for chunk in read_part(part, stats, session):
                        if failed.is_set():
                            return
                        take(process(chunk, part, index, cells))
                        if progress is not None:
                            with lock:
                                progress(part.path, len(chunk))
                except BaseException:
                    failed.set()
                    raise

        with ThreadPoolExecutor(threads, thread_name_prefix="netvet-flows") as pool:
            for f in [pool.submit(work) for _ in range(threads)]:
                f.result()
        if accumulators:  # the threads' cells, added up in the compiled tables: one table, one frame
            acc.extend(a.take_hosts() for a in accumulators)
            for other in accumulators[1:]:
                accumulators[0].merge(other)
            acc.append(Partial(cells=accumulators[0].frame()))
        combine_stats(pln, [(p.path, s) for p, s in zip(pieces, part_stats, strict=True) if s is not None])
        return merge(acc)

    with ThreadPoolExecutor(1, thread_name_prefix="netvet-read") as reader, \
            ThreadPoolExecutor(threads, thread_name_prefix="netvet-flows") as workers:
        pending: deque = deque()
        for part in pln.flow_parts:
            stats = pln.stats[part.path]
            index = pln.file_index(part.path)
            for chunk in _prefetch(read_part(part, stats, session), reader):
                pending.append(workers.submit(process, chunk, part, index))
                if progress is not None:
                    progress(part.path, len(chunk))
                while len(pending) > threads:
                    take(pending.popleft().result())
        while pending:
            take(pending.popleft().result())
    return merge(acc)


def combine_stats(pln: Plan, part_stats: list[tuple[str, ReadStats]]) -> None:
    """Set each file's statistics from those of its parts (in part order), as read apart."""
    by_file: dict[str, list[ReadStats]] = {}
    for path, stats in part_stats:
        by_file.setdefault(path, []).append(stats)
    for f, parts in by_file.items():
        combined = problems.merge(parts)
        s = pln.stats[f]
        s.read, s.malformed, s.skipped = combined.read, combined.malformed, combined.skipped
        s.attributed, s.unattributed = combined.attributed, combined.unattributed
        s.issues = combined.issues


def finish(pln: Plan, merged: Partial) -> list[ReadStats]:
    """Per-file statistics with the attribution counts of the run, issues sorted and trimmed."""
    for f, (att, unatt, skipped) in merged.files.items():
        s = pln.stats[f]
        s.attributed += att
        s.unattributed += unatt
        s.skipped += skipped
    return [problems.finish(pln.stats[f]) for f in pln.stats]
