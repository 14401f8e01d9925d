"""The flow audit on a Dask ``distributed`` cluster: partition-parallel, results identical to one node.

Each partition (a whole text log, or a group of Parquet row groups) is read, attributed and aggregated
on a worker by the same code the single-node engine runs (:func:`~.kernel.process_chunk`); the
attribution tables (prefix index, cloud ranges, DNS answers) are broadcast to every worker once; the copy a
worker holds brings empty run caches (:class:`~.attribution.RunCaches`: address books, Parquet footers), which the
run's tasks on that worker share and which go with the run's data when the run ends. The
client classifies each remote party through the policy engine the first time a partition reports it,
and merges the partial aggregates, which are sums, minima and maxima, so the order partitions finish
in does not change the result.

Partitions are submitted in waves (twice as many as there are worker threads); each carries the
classification known when it is submitted, so workers keep host rows only for parties flagged or not
yet classified. Host rows of parties classified as passing are dropped when merging.

With no scheduler address a :class:`~dask.distributed.LocalCluster` is started on this machine.
"""

from __future__ import annotations

import os

import numpy as np

from ..model import InputError, ReadStats
from ..readers.flowlogs.base import Part
from .aggregate import Partial, merge
from .attribution import FlowTables
from .engine import COMPACT_ROWS, Classifier, Plan, combine_stats, hosts_needed, read_part
from .kernel import process_chunk


def partition_task(part: Part, tables: FlowTables, file_index: int, classified: np.ndarray,
                   flagged: np.ndarray):
    """Worker side: read and aggregate one partition. Returns (partial, stats) or ("error", issue fields).

    ``tables`` is this worker's copy of the run's tables (scattered once per run): its ``caches`` (address books,
    Parquet footers, route and entry caches) are this worker's for this run, shared by the run's tasks here."""
    stats = ReadStats(part.path, part.format)
    need = hosts_needed(classified, flagged)
    acc: list[Partial] = []
    held = 0
    try:
        for chunk in read_part(part, stats, tables.caches.session):
            p = process_chunk(chunk, tables, part.path, file_index, need)
            acc.append(p)
            held += p.rows()
            if held > COMPACT_ROWS and len(acc) > 1:
                acc = [merge(acc)]
                held = acc[0].rows()
    except InputError as exc:  # sent back as plain data: the exception does not pickle by its fields
        i = exc.issue
        return ("error", i.file, i.reason, i.line, i.offset)
    return merge(acc), stats


def _drop_passed(p: Partial, classifier: Classifier) -> Partial:
    """Remove host rows of units classified as passing every policy."""
    import polars as pl

    if not len(p.hosts):
        return p
    done = classifier.classified()
    flagged = classifier.flagged()
    keep = ~pl.col("unit").is_in(done.tolist()) | pl.col("unit").is_in(flagged.tolist())
    p.hosts = p.hosts.filter(keep)
    return p


def open_client(scheduler: str | None = None, workers: int | None = None, processes: bool | None = None,
                host: str | None = None):
    """(client, cluster): a client of the scheduler at ``scheduler``, or of a new LocalCluster (``workers``
    single-threaded workers, on ``host`` when given) that the caller closes after the client."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--engine dask", "the Dask engine needs the 'dask[distributed]' package: "
                         "python3 -m pip install 'netvet[dask]'") from None

    if scheduler:
        try:
            return Client(scheduler, timeout="30s"), None
        except OSError as exc:
            raise InputError(scheduler, f"cannot reach the Dask scheduler: {exc}") from None
    n = workers or min(4, os.cpu_count() or 1)
    extra = {"host": host} if host else {}
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes if processes is not None else True,
                           dashboard_address=":0", silence_logs=40, **extra)
    return Client(cluster), cluster


def run_dask(pln: Plan, tables: FlowTables, classifier: Classifier, scheduler: str | None = None,
             workers: int | None = None, processes: bool | None = None) -> tuple[Partial, dict]:
    """Aggregate every flow part on a Dask cluster (``scheduler`` address, or a LocalCluster)."""
    from dask.distributed import wait

    client, cluster = open_client(scheduler, workers, processes)
    try:
        nthreads = sum(client.nthreads().values()) or 1
        tables_f = client.scatter(tables, broadcast=True, hash=False)
        order = {id(p): i for i, p in enumerate(pln.flow_parts)}
        todo = list(pln.flow_parts)
        inflight: dict = {}
        part_stats: dict[int, ReadStats] = {}
        acc: list[Partial] = []
        held = 0
        while todo or inflight:
            while todo and len(inflight) < 2 * nthreads:
                part = todo.pop(0)
                fut = client.submit(partition_task, part, tables_f, pln.file_index(part.path),
                                    classifier.classified(), classifier.flagged(), pure=False)
                inflight[fut] = part
            done, _ = wait(list(inflight), return_when="FIRST_COMPLETED")
            for fut in done:
                part = inflight.pop(fut)
                result = fut.result()
                if isinstance(result, tuple) and result and result[0] == "error":
                    _tag, file, reason, line, offset = result
                    raise InputError(file, reason, line, offset)
                partial, stats = result
                part_stats[order[id(part)]] = stats
                units = partial.units()
                if len(units):
                    classifier.classify(units)
                acc.append(_drop_passed(partial, classifier))
                held += acc[-1].rows()
                fut.release()
                if held > COMPACT_ROWS and len(acc) > 1:
                    acc = [merge(acc)]
                    held = acc[0].rows()
        merged = _drop_passed(merge(acc), classifier)
        combine_stats(pln, [(pln.flow_parts[i].path, part_stats[i]) for i in sorted(part_stats)])
        info = {"name": "dask", "scheduler": client.scheduler.address, "workers": len(client.nthreads()),
                "threads": nthreads, "partitions": len(pln.flow_parts)}
        return merged, info
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
