"""Many collectors: one route table per collector (RIPE RIS rrc00, RouteViews route-views2, …), audited each on
its own and merged.

A collector is a name and the files read for it. Its files are concatenated as one table
(:meth:`RouteTable.concat`: a peer seen in two files of one collector is one peer). The merged table
concatenates the collectors' tables with their peers kept apart (:func:`merge_tables`): the merged peer
set is the union of (collector, peer) pairs, so two collectors' peers are distinct even when their
addresses and AS numbers are equal. Paths are numbered as :meth:`RouteTable.concat` numbers them.

:func:`audit_collector` is the per-collector carrier audit: the same row selection, scan and summary as
the merged audit, against the verdicts classified once over the merged table. The single-node run and
the Dask run (:mod:`netvet.flows.route_dask`) both call these functions, which is what makes their
results identical.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..model.route import RouteTable
from .carrier import AsVerdict, CarrierSummary, scan, seen_asns, select_rows, summarise


@dataclass(frozen=True)
class Collector:
    """A collector's name and the route evidence files read for it (in the order given)."""

    name: str
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class Selection:
    """The audit's row selection and summary options (``--prefix``, ``--origin``, ``--all-prefixes``)."""

    prefixes: tuple[str, ...] = ()
    origins: tuple[int, ...] = ()
    include_clean: bool = False


@dataclass
class CollectorAudit:
    """The carrier audit of one collector: its summary and the ASes seen on its selected routes (the per-route
    scan is not kept: it is the merged audit that lists routes)."""

    name: str
    summary: CarrierSummary
    seen: dict[int, int]


def group_collectors(entries: Iterable[tuple[str | None, Path]]) -> list[Collector]:
    """Collectors from (name or None, path) entries, in first-appearance order. An unnamed file is a collector
    of its own named by its file name (by the path as given when two unnamed files share a file name); files
    given the same name are one collector."""
    entries = list(entries)
    base = [p.name for n, p in entries if n is None]
    clash = {b for b in base if base.count(b) > 1}
    groups: dict[str, list[Path]] = {}
    for name, path in entries:
        key = name if name is not None else (str(path) if path.name in clash else path.name)
        groups.setdefault(key, []).append(path)
    return [Collector(k, tuple(v)) for k, v in groups.items()]


def merge_tables(tables: Sequence[RouteTable]) -> RouteTable:
    """The collectors' tables as one, rows in order; peers offset per table (never merged across tables)."""
    if len(tables) == 1:
        return tables[0]
    out = RouteTable.concat(list(tables))
    if not tables:
        return out
    offsets = np.cumsum([0] + [len(t.peer_ips) for t in tables[:-1]], dtype=np.int64)
    dtype = out.peer_index.dtype
    out.peer_index = np.concatenate([t.peer_index.astype(np.int64) + off
                                     for t, off in zip(tables, offsets.tolist(), strict=True)]).astype(dtype)
    out.peer_ips = [ip for t in tables for ip in t.peer_ips]
    out.peer_asns = np.concatenate([t.peer_asns for t in tables]).astype(np.uint32)
    return out


def peer_collectors(names: Sequence[str], tables: Sequence[RouteTable]) -> list[str]:
    """The collector name of every peer of :func:`merge_tables` (same order as its ``peer_ips``)."""
    return [n for n, t in zip(names, tables, strict=True) for _ in t.peer_ips]


def audit_collector(name: str, table: RouteTable, verdicts: Iterable[AsVerdict], sel: Selection) -> CollectorAudit:
    """The carrier audit of one collector's table against ``verdicts`` (classified over the merged table)."""
    rows = select_rows(table, list(sel.prefixes), list(sel.origins))
    result = scan(table, verdicts, rows)
    summary = summarise(result, include_clean=sel.include_clean, detail_origins=list(sel.origins))
    return CollectorAudit(name, summary, seen_asns(table, rows))


def concat_tables(tables: Sequence[RouteTable]) -> RouteTable:
    """One collector's files as one table (:meth:`RouteTable.concat`: a peer in two files is one peer)."""
    return RouteTable.concat(list(tables))
