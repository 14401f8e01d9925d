"""Routes -> per-AS observations: what ``netvet audit`` and ``netvet compare`` see of route evidence.

The route readers (``readers.route_evidence``: MRT, ``bgpdump -m`` text, AS-path lists, IPASN/pfx2as;
``readers.atlas_traceroute``: RIPE Atlas traceroutes) yield a :class:`RouteTable` (``ReadResult.routes``);
``pipeline.read_inputs`` turns it into one observation per distinct AS with :func:`route_observations`, counted per AS
(``read`` = attributed + unattributed + malformed + skipped, unit ``AS``; the record counts are kept beside).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..model import Identifier, IdKind, InputError, Observation, ReadStats, SourceRef, Strength
from ..model.route import RouteTable
from .carrier import audit_rows, path_positions, position_names, union_space, unique_prefixes


def as_observations(table: RouteTable, file: str) -> list[Observation]:
    """One observation per distinct AS on the routes of ``table`` (kind ``as``), in AS number order.

    Attributes: ``asn``, ``routes`` (routes whose path holds the AS, or whose peer it is), ``positions``
    (origin/transit/peer), ``prefixes_originated`` and the address space originated
    (``address_space_ipv4`` addresses, ``address_space_ipv6_48`` /48s; see ``analyses.carrier``).
    """
    rows = audit_rows(table)
    if not len(rows):
        return []
    offs = table.path_offsets
    pos = path_positions(offs, table.path_asns, table.path_marks)
    # (path, asn) -> bits, then routes per asn via path counts
    n_paths = len(offs) - 1
    pid = np.repeat(np.arange(n_paths), np.diff(offs))
    keep = pos > 0
    key = np.unique((pid[keep].astype(np.uint64) << np.uint64(32)) | table.path_asns[keep].astype(np.uint64))
    k_pid = (key >> np.uint64(32)).astype(np.int64)
    k_asn = (key & np.uint64(0xFFFFFFFF)).astype(np.int64)
    routes_per_path = np.bincount(table.path_index[rows], minlength=n_paths)
    elem_bits = np.zeros(len(key), np.uint8)
    full_key = (pid[keep].astype(np.uint64) << np.uint64(32)) | table.path_asns[keep].astype(np.uint64)
    np.bitwise_or.at(elem_bits, np.searchsorted(key, full_key), pos[keep])
    used = routes_per_path[k_pid] > 0
    asn_u, inv = np.unique(k_asn[used], return_inverse=True)
    routes = np.bincount(inv, weights=routes_per_path[k_pid[used]], minlength=len(asn_u)).astype(np.int64)
    bits = np.zeros(len(asn_u), np.uint8)
    np.bitwise_or.at(bits, inv, elem_bits[used])
    # peers not on their paths
    peer_u, peer_n = np.unique(table.peer_as[rows].astype(np.int64), return_counts=True)
    info: dict[int, list[int]] = {int(a): [int(r), int(b)] for a, r, b in zip(asn_u, routes, bits, strict=True)}
    for a, n in zip(peer_u.tolist(), peer_n.tolist(), strict=True):
        if a == 0:
            continue
        cur = info.setdefault(a, [0, 0])
        cur[1] |= 4
        cur[0] = max(cur[0], n)
    # originated prefixes and their address space
    prefix_id, prefixes = unique_prefixes(table, rows)
    origin = table.origin_asn[rows].astype(np.int64)
    o_u, o_inv = np.unique(origin, return_inverse=True)
    pairs = np.unique(np.stack((o_inv.astype(np.int64), prefix_id)), axis=1)
    real = prefixes.family[pairs[1]] > 0
    n_orig = np.bincount(pairs[0][real], minlength=len(o_u))
    space = union_space(pairs[0], pairs[1], prefixes, len(o_u))
    originated = {int(a): (int(n_orig[i]), space[i]) for i, a in enumerate(o_u.tolist())}
    out: list[Observation] = []
    src = SourceRef(file)
    for asn in sorted(info):
        n_routes, b = info[asn]
        n_pfx, sp = originated.get(asn, (0, None))
        attrs = {"asn": str(asn), "routes": str(n_routes), "positions": ",".join(position_names(b)),
                 "prefixes_originated": str(n_pfx),
                 "address_space_ipv4": str(sp.ipv4 if sp else 0),
                 "address_space_ipv6_48": str(sp.ipv6_48 if sp else 0)}
        out.append(Observation(id=f"{file}#AS{asn}", kind="as", source=SourceRef(src.file, pointer=f"AS{asn}"),
                               identifiers=[Identifier(IdKind.ASN, f"AS{asn}", "route:as-path", Strength.STRONG)],
                               attributes=attrs))
    return out


def audit_counts(path: str | Path, table: RouteTable, stats: ReadStats,
                 observations: list[Observation]) -> ReadStats:
    """Route evidence read for an audit: counted per AS (the observations), the record counts kept beside; a file
    that yields no route at all is an input error, never an empty, clean-looking input."""
    if len(table) == 0:
        first = next((i.reason for i in stats.issues if i.severity == "error"), None)
        raise InputError(str(path), "no routes in this input" + (f" (first problem: {first})" if first else ""))
    return stats.per_observation(len(observations), "AS")


def route_observations(path: str | Path, table: RouteTable, stats: ReadStats) -> tuple[list[Observation], ReadStats]:
    """The per-AS observations of one input's routes and its statistics counted per AS (see :func:`audit_counts`)."""
    observations = as_observations(table, str(path))
    return observations, audit_counts(path, table, stats, observations)
