"""Many-collector route audits on a Dask ``distributed`` cluster (``netvet routes audit --engine dask``).

The work is the single-node engine's, cut in two waves of tasks:

1. every input file is parsed on a worker into its compact :class:`~netvet.model.route.RouteTable`
   (NumPy columns, cheap to pickle) with its read statistics; the tables come back to the client, which
   concatenates each collector's files, merges the collectors and classifies the ASes once;
2. every collector is audited on a worker (against the verdicts of step 1) from the file tables still
   held there, while the client audits the merged table.

The functions a task runs are passed in by the caller (importable module-level functions), so that this
module only orchestrates: it lives beside :mod:`.dask_engine` (whose cluster handling it shares) above
:mod:`netvet.pipeline`, the layer Dask orchestration belongs to. Results do not depend on which worker runs
what or when it finishes: each task is a pure function of its inputs, and results are put back in input
order. With no scheduler address, a LocalCluster of two single-threaded worker processes is started on
127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..model import InputError
from .dask_engine import open_client

LOCAL_WORKERS = 2


def _guarded(fn: Callable, *args):
    """Worker side: ``fn(*args)``, an :class:`InputError` sent back as plain data (it does not pickle by its
    fields)."""
    try:
        return fn(*args)
    except InputError as exc:
        i = exc.issue
        return ("error", i.file, i.reason, i.line, i.offset)


def _unguard(result):
    if isinstance(result, tuple) and len(result) == 5 and result[0] == "error":
        _tag, file, reason, line, offset = result
        raise InputError(file, reason, line, offset)
    return result


def _audit_task(fn: Callable, concat: Callable, name: str, args: tuple, *loaded):
    """Worker side: the audit of one collector from its files' (table, ...) results."""
    return fn(name, concat([x[0] for x in loaded]), *args)


@dataclass
class RouteCluster:
    """A Dask client for one command (a context manager): ``load`` the files, then ``submit_audits`` and
    ``gather_audits`` per collector."""

    scheduler: str | None = None
    workers: int = LOCAL_WORKERS
    client: Any = None
    cluster: Any = None
    _files: list[list[Any]] = field(default_factory=list)
    _audits: list[Any] = field(default_factory=list)

    def __enter__(self) -> RouteCluster:
        self.client, self.cluster = open_client(self.scheduler, self.workers, True, host="127.0.0.1")
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def info(self) -> dict:
        """The engine block of the command's statistics: scheduler address, workers and threads."""
        nthreads = self.client.nthreads()
        return {"name": "dask", "scheduler": self.client.scheduler.address, "workers": len(nthreads),
                "threads": sum(nthreads.values())}

    def load(self, load: Callable, groups: Sequence[Sequence[tuple]]) -> list[list[Any]]:
        """``load(*args)`` on the workers for every argument tuple of every group (a collector's files); the
        results in the same nesting and order. The futures are kept for :meth:`submit_audits`."""
        self._files = [[self.client.submit(_guarded, load, *args, pure=False) for args in g] for g in groups]
        flat = [f for g in self._files for f in g]
        results = iter(self.client.gather(flat))
        return [[_unguard(next(results)) for _ in g] for g in self._files]

    def submit_audits(self, audit: Callable, concat: Callable, names: Sequence[str], args: tuple) -> None:
        """Start ``audit(name, concat(tables of its files), *args)`` for every collector, on the workers holding
        its file tables."""
        self._audits = [self.client.submit(_audit_task, audit, concat, name, args, *files, pure=False)
                        for name, files in zip(names, self._files, strict=True)]

    def gather_audits(self) -> list[Any]:
        """The collectors' audits, in collector order."""
        out = self.client.gather(self._audits)
        self._audits, self._files = [], []
        return out
