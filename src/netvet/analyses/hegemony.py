"""AS hegemony: how much a scope depends on each transit AS (Fontugne, Shah, Aben 2017/2018).

Definitions, after R. Fontugne, A. Shah, E. Aben, "AS Hegemony: A Robust Metric for AS Centrality"
(SIGCOMM Posters 2017) and "The (thin) Red Line: Evidence of Internet Dependency ..." (PAM 2018), as
implemented by the Internet Health Report:

* A **viewpoint** is a BGP peer of the collector (one session: peer address and AS). Its routes are the
  RIB entries (``B`` rows) of the table, or, for update files, the last announcement per peer, prefix and
  path id that was not withdrawn afterwards.
* The **scope** is a set of routes: those originated by an AS, those whose prefix lies within a listed
  prefix (equal or more specific), or those whose origin AS is registered in a country.
* **Weights**: an IPv4 route weighs the addresses for which its prefix is the most specific one the
  viewpoint has — the prefix size minus the union of the more-specific prefixes the same viewpoint sees
  (whoever originates them). An IPv6 route weighs 1 (the IHR convention: IPv6 space is too sparse for
  address counts). A viewpoint with several paths for one prefix (ADD-PATH) splits the weight among them.
* Per viewpoint ``v`` the **betweenness** of AS ``x`` is the weighted fraction of ``v``'s scope routes
  whose path crosses ``x`` *in transit*: the peer AS itself (the session's AS and the path's first AS) and
  the route's origin AS are not counted, as in the paper. An AS_SET member takes ``1/|set|`` of a route.
* The **hegemony** of ``x`` is the trimmed mean of its betweenness over the ``n`` viewpoints that have at
  least one scope route (0 where ``x`` is absent): the ``floor(0.1 n)`` lowest and highest values are
  dropped (the paper's symmetric trim).
* **Exposure** to a set of ASes (those a policy excludes): the hegemony of the set taken as one node
  (a route counts once however many excluded ASes it crosses; bounded by 1). The sum and the maximum of
  the members' individual hegemonies are reported alongside.

IPv4 and IPv6 are computed separately; everything is vectorised (no Python loop per route).
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..model.route import KIND_ANNOUNCE, KIND_RIB, KIND_WITHDRAW, MARK_SET_FIRST, MARK_SET_NEXT, RouteTable
from .carrier import POS_TRANSIT, _union, path_positions

ALPHA = 0.1


@dataclass(frozen=True)
class Scope:
    """What depends: ``kind`` is ``asn``, ``prefixes`` or ``country``."""

    kind: str
    label: str
    origins: frozenset[int] = frozenset()
    prefixes: tuple[str, ...] = ()

    @classmethod
    def asn(cls, asn: int) -> Scope:
        return cls("asn", f"AS{asn}", frozenset({asn}))

    @classmethod
    def country(cls, code: str, origins: Iterable[int]) -> Scope:
        return cls("country", code.upper(), frozenset(origins))

    @classmethod
    def prefix_list(cls, label: str, prefixes: Sequence[str]) -> Scope:
        return cls("prefixes", label, frozenset(), tuple(prefixes))


@dataclass
class AsHegemony:
    asn: int
    hegemony: float
    viewpoints: int  # viewpoints with a non-zero betweenness
    mean: float  # untrimmed mean over the viewpoints


@dataclass
class Exposure:
    asns: list[int]
    hegemony: float  # of the set as one node
    sum: float
    max: float
    viewpoints: int
    by_group: dict[str, float] = field(default_factory=dict)  # e.g. per entity: the group's ASes as one node


@dataclass
class HegemonyResult:
    scope: Scope
    family: int
    viewpoints: int  # n
    trimmed: int  # floor(alpha n) dropped at each end
    routes: int  # scope routes over all viewpoints
    prefixes: int
    scope_weight: float  # mean per-viewpoint scope weight (IPv4: addresses; IPv6: prefixes)
    ases: list[AsHegemony]
    exposure: Exposure | None = None
    origins_in_scope: list[int] = field(default_factory=list)

    def of(self, asn: int) -> float:
        for a in self.ases:
            if a.asn == asn:
                return a.hegemony
        return 0.0


# ----------------------------------------------------------------------------- rows
def final_rows(table: RouteTable) -> np.ndarray:
    """The viewpoints' routes: RIB entries, else the last non-withdrawn announcement per (peer, prefix, path id)."""
    rib = np.flatnonzero((table.kind == KIND_RIB) & (table.path_index >= 0))
    if len(rib):
        return rib
    upd = np.flatnonzero((table.kind == KIND_ANNOUNCE) | (table.kind == KIND_WITHDRAW))
    if not len(upd):
        return upd
    rev = upd[::-1]
    order = np.lexsort((np.arange(len(rev)), table.path_id[rev], table.prefix_len[rev], table.prefix_lo[rev],
                        table.prefix_hi[rev], table.family[rev], table.peer_index[rev]))
    s = rev[order]
    keys = (table.peer_index[s], table.family[s], table.prefix_hi[s], table.prefix_lo[s], table.prefix_len[s],
            table.path_id[s])
    first = np.ones(len(s), bool)
    first[1:] = np.logical_or.reduce([k[1:] != k[:-1] for k in keys])
    last = s[first]  # the latest row per key (rows were reversed)
    last = last[(table.kind[last] == KIND_ANNOUNCE) & (table.path_index[last] >= 0)]
    return np.sort(last)


def scope_mask(table: RouteTable, rows: np.ndarray, scope: Scope) -> np.ndarray:
    """Which of ``rows`` belong to ``scope``."""
    if scope.kind in ("asn", "country"):
        return np.isin(table.origin_asn[rows], np.fromiter(scope.origins, np.uint32, len(scope.origins)))
    from .carrier import _v6_agree

    keep = np.zeros(len(rows), bool)
    fam, hi, lo, ln = table.family[rows], table.prefix_hi[rows], table.prefix_lo[rows], table.prefix_len[rows]
    for text in scope.prefixes:
        net = ipaddress.ip_network(text, strict=False)
        within = ln >= net.prefixlen
        if net.version == 4:
            shift = 32 - net.prefixlen
            keep |= (fam == 4) & within & ((lo.astype(np.int64) >> shift) == (int(net.network_address) >> shift))
        else:
            v = int(net.network_address)
            bits = np.full(len(rows), net.prefixlen, np.int64)
            keep |= (fam == 6) & within & _v6_agree(hi, lo, np.uint64(v >> 64), np.uint64(v & ((1 << 64) - 1)),
                                                   bits)
    return keep


# ----------------------------------------------------------------------------- weights
def route_weights(table: RouteTable, rows: np.ndarray, scope_rows: np.ndarray, family: int) -> np.ndarray:
    """Weight of each scope row (see the module docstring); ``rows`` are all the viewpoints' routes."""
    n = len(scope_rows)
    if n == 0:
        return np.zeros(0)
    peer_s = table.peer_index[scope_rows].astype(np.uint64)
    if family == 6:
        w = np.ones(n)
    else:
        fam_rows = rows[table.family[rows] == 4]
        key_all = (table.peer_index[fam_rows].astype(np.uint64) << np.uint64(33)) | table.prefix_lo[fam_rows]
        order = np.argsort(key_all, kind="stable")
        key_sorted = key_all[order]
        len_sorted = table.prefix_len[fam_rows][order].astype(np.int64)
        start_sorted = table.prefix_lo[fam_rows][order]
        s_start = table.prefix_lo[scope_rows]
        s_len = table.prefix_len[scope_rows].astype(np.int64)
        size = (np.uint64(1) << (np.uint64(32) - s_len.astype(np.uint64))).astype(np.uint64)
        lo = np.searchsorted(key_sorted, (peer_s << np.uint64(33)) | s_start, side="left")
        hi = np.searchsorted(key_sorted, (peer_s << np.uint64(33)) | (s_start + size), side="left")
        cnt = (hi - lo).astype(np.int64)
        total = int(cnt.sum())
        grp = np.repeat(np.arange(n, dtype=np.int64), cnt)
        cand = np.repeat(lo.astype(np.int64), cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        more = len_sorted[cand] > s_len[grp]
        grp, cand = grp[more], cand[more]
        c_len = len_sorted[cand].astype(np.uint64)
        covered = _union(grp, start_sorted[cand], np.uint64(1) << (np.uint64(32) - c_len), c_len, 33, n) \
            if len(grp) else np.zeros(n, np.int64)
        w = size.astype(np.float64) - covered.astype(np.float64)
    # ADD-PATH: split among the paths a viewpoint has for the same prefix
    key = np.stack((peer_s, table.prefix_hi[scope_rows], table.prefix_lo[scope_rows],
                    table.prefix_len[scope_rows].astype(np.uint64)))
    _, inv, counts = np.unique(key, axis=1, return_inverse=True, return_counts=True)
    return w / counts[inv.reshape(-1)]


# ----------------------------------------------------------------------------- hegemony
def trimmed_mean(values: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    """Row-wise trimmed mean of a (m, n) matrix dropping floor(alpha n) values at each end."""
    m, n = values.shape
    if n == 0:
        return np.zeros(m)
    k = math.floor(alpha * n)
    s = np.sort(values, axis=1)
    kept = s[:, k:n - k] if n - 2 * k > 0 else s
    return kept.mean(axis=1)


def hegemony(table: RouteTable, scope: Scope, family: int = 4, excluded: Iterable[int] = (),
             groups: dict[str, Iterable[int]] | None = None, alpha: float = ALPHA,
             rows: np.ndarray | None = None) -> HegemonyResult:
    """AS hegemony of every transit AS for ``scope`` in address family ``family``; exposure to ``excluded``."""
    rows = final_rows(table) if rows is None else rows
    rows = rows[table.family[rows] == family]
    srows = rows[scope_mask(table, rows, scope)]
    w = route_weights(table, rows, srows, family)
    peers = table.peer_index[srows].astype(np.int64)
    vp, vp_idx = np.unique(peers, return_inverse=True)
    n = len(vp)
    w_peer = np.bincount(vp_idx, weights=w, minlength=n)
    active = w_peer > 0

    # transit elements of every scope route, with their share (AS_SET members 1/|set|)
    offs = table.path_offsets
    pos = path_positions(offs, table.path_asns, table.path_marks)
    pidx = table.path_index[srows].astype(np.int64)
    lengths = (offs[pidx + 1] - offs[pidx]).astype(np.int64)
    total = int(lengths.sum())
    route = np.repeat(np.arange(len(srows), dtype=np.int64), lengths)
    elem = np.repeat(offs[pidx], lengths) + (np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths))
    asn = table.path_asns[elem].astype(np.int64)
    marks = table.path_marks[elem]
    share = np.ones(total)
    in_set = (marks == MARK_SET_FIRST) | (marks == MARK_SET_NEXT)
    if in_set.any():
        set_id = np.cumsum(marks != MARK_SET_NEXT) - 1
        sizes = np.bincount(set_id[in_set], minlength=int(set_id.max()) + 1)
        share[in_set] = 1.0 / sizes[set_id[in_set]]
    transit = (pos[elem] == POS_TRANSIT)
    transit &= asn != table.peer_as[srows][route].astype(np.int64)
    transit &= asn != table.origin_asn[srows][route].astype(np.int64)
    if scope.kind == "asn":
        transit &= ~np.isin(asn, np.fromiter(scope.origins, np.int64, len(scope.origins)))
    route, asn, share = route[transit], asn[transit], share[transit]
    # one contribution per (route, AS) (a path may repeat an AS): the largest share
    key = route * (1 << 32) + asn
    order = np.argsort(key, kind="stable")
    key, share = key[order], share[order]
    head = np.ones(len(key), bool)
    head[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(head)
    share = np.maximum.reduceat(share, starts) if len(starts) else share
    route, asn = key[starts] >> 32, key[starts] & ((1 << 32) - 1)
    contrib = w[route] * share / np.where(w_peer[vp_idx[route]] > 0, w_peer[vp_idx[route]], 1.0)
    ua, ai = np.unique(asn, return_inverse=True)
    bc = np.zeros((len(ua), n))
    np.add.at(bc, (ai, vp_idx[route]), contrib)
    bc = bc[:, active] if n else bc
    heg = trimmed_mean(bc, alpha)
    seen_by = (bc > 0).sum(axis=1)
    mean = bc.mean(axis=1) if bc.shape[1] else np.zeros(len(ua))
    ases = [AsHegemony(int(a), float(h), int(s), float(m)) for a, h, s, m in zip(ua, heg, seen_by, mean, strict=True)]
    ases.sort(key=lambda x: (-x.hegemony, -x.mean, x.asn))

    exp = None
    excluded = sorted(set(int(x) for x in excluded))
    if excluded:
        def set_hegemony(members: Iterable[int]) -> float:
            m = np.isin(asn, np.fromiter(members, np.int64))
            per_route = np.minimum(np.bincount(route[m], weights=share[m], minlength=len(srows)), 1.0)
            per_peer = np.bincount(vp_idx, weights=w * per_route, minlength=n) / np.where(w_peer > 0, w_peer, 1.0)
            return float(trimmed_mean(per_peer[active][None, :], alpha)[0]) if active.any() else 0.0

        indiv = [a.hegemony for a in ases if a.asn in set(excluded)]
        seen_ex = np.isin(asn, np.array(excluded, np.int64))
        exp = Exposure(
            asns=excluded, hegemony=set_hegemony(excluded), sum=float(sum(indiv)), max=float(max(indiv, default=0.0)),
            viewpoints=int(len(np.unique(vp_idx[route[seen_ex]]))) if seen_ex.any() else 0,
            by_group={g: set_hegemony(m) for g, m in (groups or {}).items()},
        )
    n_active = int(active.sum())
    pfx = np.unique(np.stack((table.prefix_hi[srows], table.prefix_lo[srows],
                              table.prefix_len[srows].astype(np.uint64))), axis=1).shape[1] if len(srows) else 0
    return HegemonyResult(
        scope=scope, family=family, viewpoints=n_active, trimmed=math.floor(alpha * n_active), routes=len(srows),
        prefixes=pfx, scope_weight=float(w_peer[active].mean()) if n_active else 0.0, ases=ases, exposure=exp,
        origins_in_scope=sorted(set(table.origin_asn[srows].tolist())),
    )
