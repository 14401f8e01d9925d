"""Carrier audit of a full table without materialising it: the MRT file is read in bounded chunks.

A full table (about a million prefixes seen by tens of peers: 30+ million routes) read into a
:class:`~netvet.model.route.RouteTable` takes 56 bytes per route, and the audit's NumPy temporaries more,
several GB in all. The audit needs much less: per route its path, its peer and its prefix. Here the ``fast``
MRT engine hands its rows over in chunks (:meth:`~netvet.readers.mrt.fast.FastMrtParser.row_chunks`) and each
chunk is reduced to those columns: path index and peer index per route (8 bytes), and the runs of equal
prefixes (a dump lists a prefix's routes together, so a run costs nothing per route). The result is the same
:class:`~netvet.analyses.carrier.AuditedRoutes` the audit takes from a table (the same prefix order and ids;
peer AS and origin per route come from the peer and the path, as the MRT engines record them), so
:func:`~netvet.analyses.carrier.scan_routes` and :func:`~netvet.analyses.carrier.summarise` give the very same
results. :func:`audit_full_table` is the whole audit of one MRT file; :func:`streamable` says when it applies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..model import InputError, ReadStats
from ..model.route import KIND_ANNOUNCE, KIND_RIB
from .carrier import AuditedRoutes, CarrierScan, CarrierSummary, Prefixes, routes_seen_asns, scan_routes, summarise

CHUNK_ROWS = 1 << 21  # rows per chunk handed over by the reader


@dataclass
class FullTableAudit:
    """One MRT file's carrier audit: its reading statistics, the classification, the scan and the summary."""

    stats: ReadStats
    classification: object  # what ``classify`` returned (``.verdicts``: AS -> AsVerdict)
    scan: CarrierScan
    summary: CarrierSummary


def streamable(paths: Sequence[Path], fmt: str | None, engine: str, selected: bool, route_details: bool) -> bool:
    """Can :func:`audit_full_table` audit these inputs? One MRT file, the ``fast`` engine (or ``auto`` standing
    for it), no ``--prefix``/``--origin`` selection and no per-route details."""
    from ..readers.mrt.engines import ENGINES, resolve_engine
    from ..readers.route_evidence import detect_route_format

    if len(paths) != 1 or selected or route_details or engine not in ENGINES:
        return False
    if resolve_engine(engine) != "fast":
        return False
    try:
        return (fmt or detect_route_format(paths[0])) == "mrt"
    except InputError:
        return False


def gather_routes(path: str | Path, chunk_rows: int = CHUNK_ROWS) -> tuple[AuditedRoutes, ReadStats]:
    """The audited routes of an MRT file (RIB entries and announcements with a path) and the reading
    statistics, read by the ``fast`` engine in chunks of about ``chunk_rows`` rows. InputError when the file
    yields no row at all (as :func:`~netvet.readers.route_evidence.load_routes` users require)."""
    from ..readers.mrt.fast import FastMrtParser

    parser = FastMrtParser(path)
    paths: list[np.ndarray] = []
    peers: list[np.ndarray] = []
    heads: list[tuple[np.ndarray, ...]] = []
    run_lengths: list[np.ndarray] = []
    total = 0
    for cols in parser.row_chunks(chunk_rows):
        kind, pidx = cols["kind"], cols["path_index"]
        total += len(kind)
        keep = ((kind == KIND_RIB) | (kind == KIND_ANNOUNCE)) & (pidx >= 0)
        every = bool(keep.all())
        sub = {n: cols[n] if every else cols[n][keep] for n in
               ("path_index", "peer_index", "family", "prefix_hi", "prefix_lo", "prefix_len")}
        n = len(sub["path_index"])
        if n == 0:
            continue
        paths.append(sub["path_index"])
        peers.append(sub["peer_index"])
        fam, hi, lo, ln = sub["family"], sub["prefix_hi"], sub["prefix_lo"], sub["prefix_len"]
        new = np.ones(n, bool)
        new[1:] = (fam[1:] != fam[:-1]) | (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1]) | (ln[1:] != ln[:-1])
        at = np.flatnonzero(new)
        heads.append((fam[at], hi[at], lo[at], ln[at]))
        run_lengths.append(np.diff(np.append(at, n)))
        del cols, sub
    stats = parser.mstats.stats
    if total == 0:
        first = next((i.reason for i in stats.issues if i.severity == "error"), None)
        raise InputError(str(path), "no routes in this input" + (f" (first problem: {first})" if first else ""))
    shell = parser.shell
    path_index = _concat(paths, np.int32)
    peer_index = _concat(peers, np.int32)
    prefix_id, prefixes = _prefix_ids(heads, run_lengths)
    return AuditedRoutes(
        path_index=path_index, peer_index=peer_index, prefix_id=prefix_id, prefixes=prefixes,
        peer_asns=shell.peer_asns, path_offsets=shell.path_offsets, path_asns=shell.path_asns,
        path_marks=shell.path_marks,
    ), stats


def _concat(parts: list[np.ndarray], dtype) -> np.ndarray:
    """The parts as one array (emptying ``parts`` as it goes, so that they are not all held twice)."""
    out = np.empty(sum(len(p) for p in parts), dtype)
    at = 0
    while parts:
        p = parts.pop(0)
        out[at:at + len(p)] = p
        at += len(p)
    return out


def _prefix_ids(heads: list[tuple[np.ndarray, ...]], run_lengths: list[np.ndarray]) -> tuple[np.ndarray, Prefixes]:
    """Prefix id per route and the unique prefixes, from the runs of equal prefixes: the same order and ids
    as :func:`~netvet.analyses.carrier.unique_prefixes` gives for the same routes."""
    if not heads:
        empty = Prefixes(np.zeros(0, np.uint8), np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(0, np.uint8))
        return np.zeros(0, np.int64), empty
    rf, rh, rl, rn = (np.concatenate([h[k] for h in heads]) for k in range(4))
    order = np.lexsort((rn, rl, rh, np.where(rf == 0, 255, rf)))
    sf, sh, sl, sn = rf[order], rh[order], rl[order], rn[order]
    first = np.ones(len(order), bool)
    first[1:] = (sf[1:] != sf[:-1]) | (sh[1:] != sh[:-1]) | (sl[1:] != sl[:-1]) | (sn[1:] != sn[:-1])
    uid_sorted = np.cumsum(first) - 1
    run_uid = np.empty(len(order), np.int64)
    run_uid[order] = uid_sorted
    prefix_id = np.repeat(run_uid, np.concatenate(run_lengths))
    return prefix_id, Prefixes(sf[first], sh[first], sl[first], sn[first])


def audit_full_table(path: str | Path, classify: Callable[[dict[int, int]], object], include_clean: bool = False,
                     chunk_rows: int = CHUNK_ROWS) -> FullTableAudit:
    """The carrier audit of one MRT file read in chunks (see the module docstring). ``classify`` turns the ASes
    seen (AS -> position bits) into a classification whose ``verdicts`` map AS -> AsVerdict (the CLI passes
    ``enforce.classify.classify_asns`` bound to its context)."""
    routes, stats = gather_routes(path, chunk_rows)
    cls = classify(routes_seen_asns(routes))
    result = scan_routes(routes, list(cls.verdicts.values()))
    return FullTableAudit(stats, cls, result, summarise(result, include_clean=include_clean))
