"""Carrier audit ("Clean Carrier" / "Clean Path"): which excluded carriers are on which routes, and where.

The policy decides about ASes, not about strings: each distinct AS seen is classified once (see
``enforce.classify``) into an :class:`AsVerdict` giving a *level* per position — :data:`CLEAN`,
:data:`REVIEW` or :data:`EXCLUDED` — and the entity behind it. :func:`scan` then matches every route's
AS path against those ASes with NumPy on the table's flat path arrays (``np.isin`` on exact AS numbers,
so AS174 never matches AS1174), AS_SET members included, confederation segments left out (they are
internal to a confederation, RFC 5065 §5.3).

Positions of an AS on a path (bits, an AS can hold several):

* ``origin`` (:data:`POS_ORIGIN`): the last AS of the path (with its prepends), or every member of a
  final AS_SET (an aggregate's origins);
* ``peer`` (:data:`POS_PEER`): the first AS of the path — the neighbour that announced the route —
  and the session's peer AS when the path does not start with it (route servers);
* ``transit`` (:data:`POS_TRANSIT`): every other AS on the path.

Address space (:class:`AddressSpace`) is counted without double counting: the union of the prefixes
concerned, in IPv4 addresses and in IPv6 /48 networks (a prefix longer than /48 counts as the /48 it
lies in). Routes are the table rows of kind RIB entry (``B``) or announcement (``A``) that carry a path.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..model.route import (
    KIND_ANNOUNCE,
    KIND_RIB,
    MARK_CONFED_SEQ,
    MARK_SEQ,
    MARK_SET_FIRST,
    MARK_SET_NEXT,
    RouteTable,
)

POS_ORIGIN = 1
POS_TRANSIT = 2
POS_PEER = 4
POSITION_BITS = {"origin": POS_ORIGIN, "transit": POS_TRANSIT, "peer": POS_PEER}

CLEAN = 0
REVIEW = 1
EXCLUDED = 2
LEVEL_NAMES = {CLEAN: "clean", REVIEW: "review", EXCLUDED: "excluded"}

CLEAN_ALL = "all"  # every route of the prefix avoids excluded ASes
CLEAN_SOME = "some"
CLEAN_NONE = "none"


def position_names(bits: int) -> list[str]:
    """``["origin", "transit"]`` for bits 3, in the fixed order origin, transit, peer."""
    return [name for name, bit in POSITION_BITS.items() if bits & bit]


@dataclass(frozen=True)
class AsVerdict:
    """What the policy says about one AS, per position it was seen in.

    ``entity`` is the key the audit groups by: the registry entity id, or ``AS<n>`` when the AS is not
    attributed to a curated entity. ``entity_info`` is ``{id, name, country}`` as in core findings.
    """

    asn: int
    entity: str
    entity_info: dict | None = None
    origin: int = CLEAN
    transit: int = CLEAN
    peer: int = CLEAN
    verdict: str = "PASS"  # the engine's verdict at the worst position
    rule_ids: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    citations: tuple[dict, ...] = ()  # {label, url, source}
    severity: str | None = None

    @property
    def level(self) -> int:
        return max(self.origin, self.transit, self.peer)

    def level_at(self, bits: int) -> int:
        out = CLEAN
        if bits & POS_ORIGIN:
            out = max(out, self.origin)
        if bits & POS_TRANSIT:
            out = max(out, self.transit)
        if bits & POS_PEER:
            out = max(out, self.peer)
        return out


@dataclass(frozen=True)
class AddressSpace:
    """IPv4 addresses and IPv6 /48 networks covered (a union: overlapping prefixes count once)."""

    ipv4: int = 0
    ipv6_48: int = 0

    def to_dict(self) -> dict:
        return {"ipv4_addresses": self.ipv4, "ipv6_48s": self.ipv6_48}


# ----------------------------------------------------------------------------- path positions
def _path_bounds(offsets: np.ndarray, marks: np.ndarray, pids: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per path of ``pids``: (first, first group's last, last group's first, last) element index of its
    non-confederation part (-1 when the path has none). A group is one sequence member or one whole set."""
    start = offsets[pids].astype(np.int64)
    end = offsets[pids + 1].astype(np.int64)
    first = start.copy()
    last = end - 1

    def walk(pos: np.ndarray, step: int, keep_going) -> None:
        todo = np.flatnonzero(start < end)
        while len(todo):
            p = pos[todo]
            inside = (p >= start[todo]) & (p < end[todo])
            more = np.zeros(len(todo), bool)
            more[inside] = keep_going(p[inside], todo[inside])
            todo = todo[more]
            pos[todo] += step

    # confederation members (normally in front) are not part of the audited path
    walk(first, 1, lambda p, _t: marks[p] >= MARK_CONFED_SEQ)
    walk(last, -1, lambda p, _t: marks[p] >= MARK_CONFED_SEQ)
    valid = (first < end) & (last >= start) & (first <= last)
    first = np.where(valid, first, -1)
    last = np.where(valid, last, -1)
    first_end = first.copy()
    last_start = last.copy()
    # a set at either end: the group runs over its members
    walk(first_end, 1, lambda p, t: (p + 1 < end[t]) & (marks[p] != MARK_SEQ)
         & (marks[np.minimum(p + 1, len(marks) - 1)] == MARK_SET_NEXT))
    walk(last_start, -1, lambda p, _t: marks[p] == MARK_SET_NEXT)
    first_end = np.where(valid, first_end, -1)
    last_start = np.where(valid, last_start, -1)
    return first, first_end, last_start, last


def element_positions(offsets: np.ndarray, asns: np.ndarray, marks: np.ndarray,
                      idx: np.ndarray | None = None) -> np.ndarray:
    """Position bits of the elements ``idx`` (default: all) of the flat path arrays (0 for confederation
    members): origin = the last group (or a repeat of the last AS: prepending), peer = the first group
    (or a repeat of the first AS), transit = any other."""
    if idx is None:
        return _all_positions(offsets, asns, marks)
    idx = np.asarray(idx, np.int64)
    if len(idx) == 0:
        return np.zeros(0, np.uint8)
    pid = np.searchsorted(offsets, idx, side="right") - 1
    pids, per = np.unique(pid, return_inverse=True)
    first, first_end, last_start, last = (b[per] for b in _path_bounds(offsets, marks, pids))
    a = asns[idx]
    m = marks[idx]
    ok = (last >= 0) & (m < MARK_CONFED_SEQ)
    fc, lc = np.maximum(first, 0), np.maximum(last, 0)
    is_origin = ok & (((idx >= last_start) & (idx <= last)) | ((a == asns[lc]) & (marks[lc] == MARK_SEQ)))
    is_peer = ok & (((idx >= first) & (idx <= first_end)) | ((a == asns[fc]) & (marks[fc] == MARK_SEQ)))
    pos = np.where(is_origin, POS_ORIGIN, 0).astype(np.uint8)
    pos |= np.where(is_peer, POS_PEER, 0).astype(np.uint8)
    pos |= np.where(ok & ~is_origin & ~is_peer, POS_TRANSIT, 0).astype(np.uint8)
    return pos


def _all_positions(offsets: np.ndarray, asns: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """:func:`element_positions` of every element. Paths that start and end with a sequence member (nearly
    all) need only a comparison with their first and last AS; the others take the general route."""
    n = len(asns)
    if n == 0:
        return np.zeros(0, np.uint8)
    lengths = np.diff(offsets)
    nonempty = lengths > 0
    heads = offsets[:-1][nonempty]
    tails = offsets[1:][nonempty] - 1
    first_as = np.zeros(len(lengths), asns.dtype)
    last_as = np.zeros(len(lengths), asns.dtype)
    first_as[nonempty] = asns[heads]
    last_as[nonempty] = asns[tails]
    pos = np.where(asns == np.repeat(last_as, lengths), POS_ORIGIN, 0).astype(np.uint8)
    pos |= np.where(asns == np.repeat(first_as, lengths), POS_PEER, 0).astype(np.uint8)
    pos[pos == 0] = POS_TRANSIT
    confed = marks >= MARK_CONFED_SEQ
    if confed.any():
        pos[confed] = 0
    special = np.flatnonzero(nonempty)[(marks[heads] != MARK_SEQ) | (marks[tails] != MARK_SEQ)]
    if len(special):
        sl = lengths[special]
        elem = np.repeat(offsets[special], sl) + (np.arange(int(sl.sum())) - np.repeat(np.cumsum(sl) - sl, sl))
        pos[elem] = element_positions(offsets, asns, marks, elem)
    return pos


def path_positions(offsets: np.ndarray, asns: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """Position bits of every element of the flat path arrays (0 for confederation members)."""
    return element_positions(offsets, asns, marks)


def first_asns(table: RouteTable) -> np.ndarray:
    """Per unique path: its first AS when that is a sequence member, else 0."""
    return _first_asns(table.path_offsets, table.path_asns, table.path_marks)


def _first_asns(offs: np.ndarray, asns: np.ndarray, marks: np.ndarray) -> np.ndarray:
    n_paths = len(offs) - 1
    out = np.zeros(n_paths, np.uint32)
    nonempty = np.flatnonzero(np.diff(offs) > 0)
    heads = offs[:-1][nonempty]
    is_seq = marks[heads] == MARK_SEQ
    out[nonempty[is_seq]] = asns[heads[is_seq]]
    return out


def audit_rows(table: RouteTable) -> np.ndarray:
    """Rows that are routes with a path: RIB entries and announcements."""
    return np.flatnonzero(((table.kind == KIND_RIB) | (table.kind == KIND_ANNOUNCE)) & (table.path_index >= 0))


def seen_asns(table: RouteTable, rows: np.ndarray | None = None) -> dict[int, int]:
    """Every AS on the paths of ``rows`` (and every peer AS), with the position bits it was seen in."""
    rows = audit_rows(table) if rows is None else rows
    return _seen(table.path_index[rows], table.peer_index[rows], table.peer_asns, table.path_offsets,
                 table.path_asns, table.path_marks)


def routes_seen_asns(routes: AuditedRoutes) -> dict[int, int]:
    """:func:`seen_asns` of :class:`AuditedRoutes`."""
    return _seen(routes.path_index, routes.peer_index, routes.peer_asns, routes.path_offsets, routes.path_asns,
                 routes.path_marks)


def _seen(path_index: np.ndarray, peer_index: np.ndarray, peer_asns: np.ndarray, offs: np.ndarray,
          path_asns: np.ndarray, path_marks: np.ndarray) -> dict[int, int]:
    n_paths = len(offs) - 1
    n = len(path_index)
    used = np.bincount(path_index, minlength=n_paths) > 0 if n else np.zeros(n_paths, bool)
    pos = path_positions(offs, path_asns, path_marks)
    asn = path_asns
    if not used.all():
        keep = np.repeat(used, np.diff(offs))
        pos, asn = pos[keep], asn[keep]
    out: dict[int, int] = {}
    for bit in (POS_ORIGIN, POS_TRANSIT, POS_PEER):
        for a in np.unique(asn[(pos & bit) > 0]).tolist():
            out[a] = out.get(a, 0) | bit
    peers = np.flatnonzero(np.bincount(peer_index, minlength=len(peer_asns)) > 0) if n else np.zeros(0, np.int64)
    for a in np.unique(peer_asns[peers]).tolist():
        if a:
            out[a] = out.get(a, 0) | POS_PEER
    return dict(sorted(out.items()))


# ----------------------------------------------------------------------------- prefixes
@dataclass
class Prefixes:
    """Unique prefixes (sorted: IPv4, IPv6, then prefix-less destinations; by address then length).

    Family 0 marks a route without a prefix (from an AS-path list): its destination is its origin AS,
    kept in ``lo``; it has no address space.
    """

    family: np.ndarray
    hi: np.ndarray
    lo: np.ndarray
    length: np.ndarray

    def __len__(self) -> int:
        return len(self.family)

    def text(self, i: int) -> str:
        """``192.0.2.0/24``; a route without a prefix (an AS-path list line) is shown as ``AS<origin>``."""
        if self.family[i] == 0:
            return f"AS{int(self.lo[i])}"
        if self.family[i] == 4:
            return f"{socket.inet_ntoa(int(self.lo[i]).to_bytes(4, 'big'))}/{int(self.length[i])}"
        return f"{ipaddress.IPv6Address((int(self.hi[i]) << 64) | int(self.lo[i]))}/{int(self.length[i])}"


def unique_prefixes(table: RouteTable, rows: np.ndarray) -> tuple[np.ndarray, Prefixes]:
    """(prefix id per row of ``rows``, the unique prefixes). Runs of equal prefixes are found first
    (dumps list a prefix's routes together), so only the runs are sorted."""
    fam, hi, lo, ln = (table.family[rows], table.prefix_hi[rows], table.prefix_lo[rows], table.prefix_len[rows])
    n = len(rows)
    if n == 0:
        empty = Prefixes(np.zeros(0, np.uint8), np.zeros(0, np.uint64), np.zeros(0, np.uint64), np.zeros(0, np.uint8))
        return np.zeros(0, np.int64), empty
    new = np.ones(n, bool)
    new[1:] = (fam[1:] != fam[:-1]) | (hi[1:] != hi[:-1]) | (lo[1:] != lo[:-1]) | (ln[1:] != ln[:-1])
    heads = np.flatnonzero(new)
    rf, rh, rl, rn = fam[heads], hi[heads], lo[heads], ln[heads]
    order = np.lexsort((rn, rl, rh, np.where(rf == 0, 255, rf)))
    sf, sh, sl, sn = rf[order], rh[order], rl[order], rn[order]
    first = np.ones(len(order), bool)
    first[1:] = (sf[1:] != sf[:-1]) | (sh[1:] != sh[:-1]) | (sl[1:] != sl[:-1]) | (sn[1:] != sn[:-1])
    uid_sorted = np.cumsum(first) - 1
    run_uid = np.empty(len(order), np.int64)
    run_uid[order] = uid_sorted
    prefix_id = np.repeat(run_uid, np.diff(np.append(heads, n)))
    return prefix_id, Prefixes(sf[first], sh[first], sl[first], sn[first])


@dataclass
class AuditedRoutes:
    """What the carrier audit reads of a table: per audited route its path, peer and prefix (``prefix_id`` into
    ``prefixes``), and the table's unique paths and peers. ``peer_as`` and ``origin_asn`` per route are given,
    or (``None``) taken from the peer's AS and the path's origin, as in a table read from MRT.

    :meth:`of` takes them from a :class:`RouteTable`; a full table can also be gathered in bounded chunks
    (:mod:`netvet.analyses.full_table`) without materialising its other columns.
    """

    path_index: np.ndarray
    peer_index: np.ndarray
    prefix_id: np.ndarray
    prefixes: Prefixes
    peer_asns: np.ndarray
    path_offsets: np.ndarray
    path_asns: np.ndarray
    path_marks: np.ndarray
    peer_as: np.ndarray | None = None
    origin_asn: np.ndarray | None = None
    _origins: np.ndarray | None = field(default=None, init=False, repr=False)  # per path, when derived

    def __len__(self) -> int:
        return len(self.path_index)

    @property
    def n_paths(self) -> int:
        return len(self.path_offsets) - 1

    @classmethod
    def of(cls, table: RouteTable, rows: np.ndarray) -> AuditedRoutes:
        """The audited ``rows`` of ``table``."""
        prefix_id, prefixes = unique_prefixes(table, rows)
        return cls(
            path_index=table.path_index[rows], peer_index=table.peer_index[rows], prefix_id=prefix_id,
            prefixes=prefixes, peer_asns=table.peer_asns, path_offsets=table.path_offsets,
            path_asns=table.path_asns, path_marks=table.path_marks,
            peer_as=table.peer_as[rows], origin_asn=table.origin_asn[rows],
        )

    def route_peer_as(self, sel: np.ndarray) -> np.ndarray:
        """The session peer AS of the routes ``sel``."""
        if self.peer_as is not None:
            return self.peer_as[sel]
        return self.peer_asns[self.peer_index[sel]]

    def route_origins(self, sel: np.ndarray | None = None) -> np.ndarray:
        """The origin AS of the routes ``sel`` (default: every route)."""
        if self.origin_asn is not None:
            return self.origin_asn if sel is None else self.origin_asn[sel]
        return self._path_origins()[self.path_index if sel is None else self.path_index[sel]]

    def origin_rows(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the routes whose origin AS is in the sorted int64 array ``wanted``, that origin's index in it)."""
        if len(wanted) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        top = len(wanted) - 1
        if self.origin_asn is None:  # per path first: far fewer paths than routes
            po = self._path_origins().astype(np.int64)
            pos_p = np.minimum(np.searchsorted(wanted, po), top)
            rows = np.flatnonzero((wanted[pos_p] == po)[self.path_index])
            return rows, pos_p[self.path_index[rows]]
        origin = self.origin_asn.astype(np.int64)
        pos = np.minimum(np.searchsorted(wanted, origin), top)
        rows = np.flatnonzero(wanted[pos] == origin)
        return rows, pos[rows]

    def _path_origins(self) -> np.ndarray:
        if self._origins is None:
            self._origins = path_origins(self.path_offsets, self.path_asns, self.path_marks)
        return self._origins


def path_origins(offsets: np.ndarray, asns: np.ndarray, marks: np.ndarray) -> np.ndarray:
    """Per unique path: its origin as :func:`~netvet.model.route.origin_of` gives it (the table's
    ``origin_asn``): the last non-confederation AS when it is a sequence member or a one-member AS_SET, else 0."""
    n_paths = len(offsets) - 1
    out = np.zeros(n_paths, np.uint32)
    nonempty = np.flatnonzero(np.diff(offsets) > 0)
    if len(nonempty) == 0:
        return out
    idx = np.where(marks < MARK_CONFED_SEQ, np.arange(len(marks), dtype=np.int64), -1)
    last = np.maximum.reduceat(idx, offsets[:-1][nonempty])
    ok = last >= 0
    lm = marks[np.maximum(last, 0)]
    ok &= (lm == MARK_SEQ) | (lm == MARK_SET_FIRST)
    out[nonempty[ok]] = asns[last[ok]]
    return out


def union_space(group: np.ndarray, prefix: np.ndarray, prefixes: Prefixes, n_groups: int) -> list[AddressSpace]:
    """Address space of the union of prefixes per group, from ``(group, prefix id)`` pairs (duplicates ok).

    CIDR blocks either nest or are disjoint, so after sorting by (group, start, length) a block is
    covered exactly when it starts before the furthest end seen so far in its group; the union is the
    sum of the uncovered blocks. Groups are kept apart by adding ``group << bits`` to the keys.
    """
    v4 = np.zeros(n_groups, np.int64)
    v6 = np.zeros(n_groups, np.int64)
    if len(group):
        g = np.asarray(group, np.int64)
        p = np.asarray(prefix, np.int64)
        fam = prefixes.family[p]
        ln = prefixes.length[p].astype(np.uint64)
        s4 = fam == 4
        if s4.any():
            start = prefixes.lo[p[s4]].astype(np.uint64)
            size = np.uint64(1) << (np.uint64(32) - ln[s4])
            v4 = _union(g[s4], start, size, ln[s4], 33, n_groups)
        s6 = fam == 6
        if s6.any():
            start = prefixes.hi[p[s6]] >> np.uint64(16)
            l6 = ln[s6]
            size = np.where(l6 <= 48, np.uint64(1) << (np.uint64(48) - np.minimum(l6, np.uint64(48))), np.uint64(1))
            v6 = _union(g[s6], start, size, l6, 49, n_groups)
    return [AddressSpace(int(a), int(b)) for a, b in zip(v4.tolist(), v6.tolist(), strict=True)]


def _union(group: np.ndarray, start: np.ndarray, size: np.ndarray, length: np.ndarray, bits: int,
           n_groups: int) -> np.ndarray:
    out = np.zeros(n_groups, np.int64)
    order = np.lexsort((length, start, group))
    group, start, size = group[order], start[order], size[order]
    span = 1 << (63 - bits)  # groups per batch so that (group << bits) stays below 2^63
    lo = 0
    while lo < len(group):
        base = int(group[lo])
        hi = int(np.searchsorted(group, base + span, side="left"))
        g = (group[lo:hi] - base).astype(np.uint64) << np.uint64(bits)
        s = g + start[lo:hi]
        e = s + size[lo:hi]
        reach = np.maximum.accumulate(e)
        covered = np.zeros(hi - lo, bool)
        covered[1:] = s[1:] < reach[:-1]
        keep = ~covered
        out += np.bincount(group[lo:hi][keep], weights=size[lo:hi][keep].astype(np.float64),
                           minlength=n_groups).astype(np.int64)
        lo = hi
    return out


# ----------------------------------------------------------------------------- the scan
@dataclass
class CarrierScan:
    """Every audited route and the classified ASes on it.

    ``rows``: table rows audited; ``level`` per audited route (:data:`CLEAN` .. :data:`EXCLUDED`);
    ``prefix_id`` per audited route into ``prefixes``. Hits are ``(route, AS)`` pairs with a level above
    clean: ``hit_route`` (index into ``rows``), ``hit_asn``, ``hit_pos`` (position bits) and ``hit_level``.
    """

    table: RouteTable | None  # None when the routes were gathered without a table (full_table)
    rows: np.ndarray | None
    level: np.ndarray
    prefix_id: np.ndarray
    prefixes: Prefixes
    hit_route: np.ndarray
    hit_asn: np.ndarray
    hit_pos: np.ndarray
    hit_level: np.ndarray
    verdicts: dict[int, AsVerdict] = field(default_factory=dict)
    audited: AuditedRoutes | None = None

    @property
    def routes(self) -> int:
        return len(self.level)


def _class_arrays(verdicts: Iterable[AsVerdict]) -> tuple[np.ndarray, np.ndarray]:
    flagged = sorted((v for v in verdicts if v.level > CLEAN), key=lambda v: v.asn)
    asns = np.array([v.asn for v in flagged], np.uint32)
    levels = np.array([[v.origin, v.transit, v.peer] for v in flagged], np.uint8).reshape(-1, 3)
    return asns, levels


def _level_of(levels: np.ndarray, ci: np.ndarray, bits: np.ndarray) -> np.ndarray:
    out = np.zeros(len(ci), np.uint8)
    for col, bit in enumerate((POS_ORIGIN, POS_TRANSIT, POS_PEER)):
        out = np.maximum(out, np.where(bits & bit, levels[ci, col], 0).astype(np.uint8))
    return out


def scan(table: RouteTable, verdicts: Iterable[AsVerdict], rows: np.ndarray | None = None) -> CarrierScan:
    """Match every route of ``rows`` (default: all routes with a path) against the classified ASes."""
    rows = audit_rows(table) if rows is None else np.asarray(rows, np.int64)
    return scan_routes(AuditedRoutes.of(table, rows), verdicts, table, rows)


def scan_routes(routes: AuditedRoutes, verdicts: Iterable[AsVerdict], table: RouteTable | None = None,
                rows: np.ndarray | None = None) -> CarrierScan:
    """:func:`scan` of :class:`AuditedRoutes` (``table``/``rows``: where they came from, kept for route details)."""
    verdicts = list(verdicts)
    cls_asn, levels = _class_arrays(verdicts)
    n_cls = len(cls_asn)
    offs, pasn, pmark = routes.path_offsets, routes.path_asns, routes.path_marks
    n_paths = len(offs) - 1
    n_routes = len(routes)

    # 1. flagged path elements (exact AS numbers), per unique path
    cand = np.flatnonzero(np.isin(pasn, cls_asn)) if n_cls else np.zeros(0, np.int64)
    if len(cand):
        pos = element_positions(offs, pasn, pmark, cand)
        ci = np.searchsorted(cls_asn, pasn[cand])
        lv = _level_of(levels, ci, pos)
        keep = (lv > 0) & (pos > 0)
        cand, pos, ci, lv = cand[keep], pos[keep], ci[keep], lv[keep]
        pid = np.searchsorted(offs, cand, side="right") - 1
        # one entry per (path, AS): prepends merge, positions OR together
        key = pid.astype(np.int64) * max(n_cls, 1) + ci
        order = np.argsort(key, kind="stable")
        key, pos, lv, pid, ci = key[order], pos[order], lv[order], pid[order], ci[order]
        head = np.ones(len(key), bool)
        head[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(head)
        pp_pid, pp_ci = pid[starts], ci[starts]
        pp_pos = np.bitwise_or.reduceat(pos, starts) if len(starts) else pos[:0]
        pp_lv = np.maximum.reduceat(lv, starts) if len(starts) else lv[:0]
    else:
        pp_pid = np.zeros(0, np.int64)
        pp_ci = np.zeros(0, np.int64)
        pp_pos = np.zeros(0, np.uint8)
        pp_lv = np.zeros(0, np.uint8)
    path_cnt = np.bincount(pp_pid, minlength=n_paths).astype(np.int64)
    path_start = np.concatenate(([0], np.cumsum(path_cnt)[:-1])) if n_paths else np.zeros(0, np.int64)

    # 2. expand to routes
    r_path = routes.path_index
    cnt = path_cnt[r_path] if n_routes and n_paths else np.zeros(n_routes, np.int64)
    total = int(cnt.sum())
    hit_route = np.repeat(np.arange(n_routes, dtype=np.int64), cnt)
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    src = np.repeat(path_start[r_path] if n_paths else np.zeros(0, np.int64), cnt) + within
    hit_ci, hit_pos, hit_lv = pp_ci[src], pp_pos[src], pp_lv[src]

    # 3. the session's peer AS when the path does not start with it
    peer_cls = np.isin(routes.peer_asns, cls_asn) if n_cls else np.zeros(len(routes.peer_asns), bool)
    if peer_cls.any() and n_routes:
        cand_rows = np.flatnonzero(peer_cls[routes.peer_index])
        cand_peer = routes.route_peer_as(cand_rows)
        first = _first_asns(offs, pasn, pmark)[r_path[cand_rows]]
        ridx = cand_rows[cand_peer != first]
        if len(ridx):
            pci = np.searchsorted(cls_asn, routes.route_peer_as(ridx))
            plv = levels[pci, 2]
            ok = plv > 0
            ridx, pci, plv = ridx[ok], pci[ok], plv[ok]
            hit_route = np.concatenate((hit_route, ridx))
            hit_ci = np.concatenate((hit_ci, pci))
            hit_pos = np.concatenate((hit_pos, np.full(len(ridx), POS_PEER, np.uint8)))
            hit_lv = np.concatenate((hit_lv, plv))
            # the same AS can also be further down the path: merge (route, AS) duplicates
            key = hit_route * max(n_cls, 1) + hit_ci
            order = np.argsort(key, kind="stable")
            key, hit_route, hit_ci, hit_pos, hit_lv = (key[order], hit_route[order], hit_ci[order],
                                                      hit_pos[order], hit_lv[order])
            head = np.ones(len(key), bool)
            head[1:] = key[1:] != key[:-1]
            starts = np.flatnonzero(head)
            hit_pos = np.bitwise_or.reduceat(hit_pos, starts)
            hit_lv = np.maximum.reduceat(hit_lv, starts)
            hit_route, hit_ci = hit_route[starts], hit_ci[starts]

    level = np.zeros(n_routes, np.uint8)
    if len(hit_route):
        np.maximum.at(level, hit_route, hit_lv)
    return CarrierScan(
        table=table, rows=rows, level=level, prefix_id=routes.prefix_id, prefixes=routes.prefixes,
        hit_route=hit_route, hit_asn=cls_asn[hit_ci] if n_cls else np.zeros(0, np.uint32),
        hit_pos=hit_pos.astype(np.uint8), hit_level=hit_lv.astype(np.uint8), verdicts={v.asn: v for v in verdicts},
        audited=routes,
    )


# ----------------------------------------------------------------------------- summaries
@dataclass
class PrefixSummary:
    prefix: str
    routes: int
    clean_routes: int  # routes with no excluded AS
    review_routes: int  # routes whose worst AS needs review (none excluded)
    origins: list[int]
    clean: str  # all | some | none
    verdict: str  # PASS | REVIEW | FAIL
    entities: list[dict]  # {entity, asns, positions, routes, level}


@dataclass
class GroupSummary:
    """Counts for one origin AS or one entity."""

    key: str | int
    routes: int
    prefixes: int
    excluded_routes: int = 0
    review_routes: int = 0
    positions: dict[str, int] = field(default_factory=dict)  # routes with the group at that position
    asns: list[int] = field(default_factory=list)
    prefixes_clean: dict[str, int] = field(default_factory=dict)  # all/some/none -> prefixes
    space: AddressSpace = field(default_factory=AddressSpace)
    level: int = CLEAN


@dataclass
class CarrierSummary:
    routes: int
    prefixes: int
    peers: int
    paths: int
    excluded_routes: int
    review_routes: int
    prefixes_clean: dict[str, int]
    space: AddressSpace
    space_by_clean: dict[str, AddressSpace]
    findings: list[PrefixSummary]
    entities: list[GroupSummary]
    origins: list[GroupSummary]
    verdicts: dict[str, int] = field(default_factory=dict)  # prefixes per verdict (FAIL, REVIEW, PASS)


def _prefix_clean(scan_: CarrierScan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per prefix: routes, clean routes, review routes and the clean status code (0 all, 1 some, 2 none)."""
    n = len(scan_.prefixes)
    pid = scan_.prefix_id
    routes = np.bincount(pid, minlength=n)
    excluded = np.bincount(pid[scan_.level == EXCLUDED], minlength=n).astype(np.int64)
    review = np.bincount(pid[scan_.level == REVIEW], minlength=n).astype(np.int64)
    clean = routes - excluded
    status = np.where(excluded == 0, 0, np.where(clean > 0, 1, 2))
    return routes, clean, review, status


_STATUS = (CLEAN_ALL, CLEAN_SOME, CLEAN_NONE)


def _unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique`` of keys taken in row order: runs of equal keys (a prefix's routes are listed together)
    are collapsed first, so only the run heads are sorted."""
    if len(keys) < 2:
        return np.unique(keys)
    head = np.ones(len(keys), bool)
    head[1:] = keys[1:] != keys[:-1]
    return np.unique(keys[head])


def summarise(scan_: CarrierScan, include_clean: bool = False, detail_origins: Sequence[int] | None = None
              ) -> CarrierSummary:
    """Per prefix, per entity and per origin AS counts and address space of a :class:`CarrierScan`.

    ``findings`` lists the prefixes with an excluded or review AS on some route (all prefixes when
    ``include_clean``); ``origins`` lists the origin ASes with such routes (plus ``detail_origins``).
    """
    routes_ = scan_.audited
    prefixes = scan_.prefixes
    n_pfx = len(prefixes)
    routes, clean, review, status = _prefix_clean(scan_)
    verdicts = scan_.verdicts

    # entities: group hits by entity key
    ent_keys = sorted({v.entity for v in verdicts.values() if v.level > CLEAN})
    ent_index = {k: i for i, k in enumerate(ent_keys)}
    asn_ent = {a: ent_index[v.entity] for a, v in verdicts.items() if v.level > CLEAN}
    hit_ent = np.array([asn_ent[a] for a in scan_.hit_asn.tolist()], np.int64) if len(scan_.hit_asn) else \
        np.zeros(0, np.int64)
    n_ent = len(ent_keys)
    hit_pfx = scan_.prefix_id[scan_.hit_route]

    # (route, entity) pairs: positions OR-ed, level max
    re_key = scan_.hit_route * max(n_ent, 1) + hit_ent
    order = np.argsort(re_key, kind="stable")
    re_key_s = re_key[order]
    head = np.ones(len(order), bool)
    head[1:] = re_key_s[1:] != re_key_s[:-1]
    st = np.flatnonzero(head)
    re_route = scan_.hit_route[order][st]
    re_ent = hit_ent[order][st]
    re_pos = np.bitwise_or.reduceat(scan_.hit_pos[order], st) if len(st) else np.zeros(0, np.uint8)
    re_lv = np.maximum.reduceat(scan_.hit_level[order], st) if len(st) else np.zeros(0, np.uint8)
    re_pfx = scan_.prefix_id[re_route]

    entities: list[GroupSummary] = []
    ent_space = union_space(re_ent, re_pfx, prefixes, n_ent)
    for i, key in enumerate(ent_keys):
        sel = re_ent == i
        pf = np.unique(re_pfx[sel])
        stc = np.bincount(status[pf], minlength=3)
        asns = sorted({int(a) for a in scan_.hit_asn[hit_ent == i].tolist()})
        entities.append(GroupSummary(
            key=key, routes=int(sel.sum()), prefixes=len(pf),
            excluded_routes=int((re_lv[sel] == EXCLUDED).sum()), review_routes=int((re_lv[sel] == REVIEW).sum()),
            positions={name: int(((re_pos[sel] & bit) > 0).sum()) for name, bit in POSITION_BITS.items()},
            asns=asns, prefixes_clean={s: int(stc[j]) for j, s in enumerate(_STATUS)}, space=ent_space[i],
            level=int(re_lv[sel].max()) if sel.any() else CLEAN,
        ))
    entities.sort(key=lambda g: (-g.level, -g.routes, str(g.key)))

    # origins: only those with flagged routes (and those asked for) are detailed
    wanted = np.unique(routes_.route_origins(np.flatnonzero(scan_.level > CLEAN))).astype(np.int64)
    if detail_origins:
        wanted = np.union1d(wanted, np.asarray(list(detail_origins), np.int64))
    w_rows, o_idx = routes_.origin_rows(wanted)
    n_w = len(wanted)
    o_routes = np.bincount(o_idx, minlength=n_w)
    o_excl = np.bincount(o_idx, weights=scan_.level[w_rows] == EXCLUDED, minlength=n_w).astype(np.int64)
    o_rev = np.bincount(o_idx, weights=scan_.level[w_rows] == REVIEW, minlength=n_w).astype(np.int64)
    stride = max(n_pfx, 1)
    pairs = _unique(o_idx * stride + scan_.prefix_id[w_rows])
    pair_o, pair_p = pairs // stride, pairs % stride
    o_space = union_space(pair_o, pair_p, prefixes, n_w)
    o_bounds = np.searchsorted(pair_o, np.arange(n_w + 1))
    origins: list[GroupSummary] = []
    for j in range(n_w):
        pf = pair_p[o_bounds[j]:o_bounds[j + 1]]
        stc = np.bincount(status[pf], minlength=3)
        origins.append(GroupSummary(
            key=int(wanted[j]), routes=int(o_routes[j]), prefixes=len(pf), excluded_routes=int(o_excl[j]),
            review_routes=int(o_rev[j]), prefixes_clean={s: int(stc[k]) for k, s in enumerate(_STATUS)},
            space=o_space[j],
        ))
    origins.sort(key=lambda g: (-g.excluded_routes, -g.review_routes, g.key))

    # prefixes with findings
    pfx_rev = np.bincount(hit_pfx, weights=scan_.hit_level == REVIEW, minlength=n_pfx) > 0
    show = (status > 0) | pfx_rev
    if include_clean:
        show[:] = True
    pe_key = re_pfx * max(n_ent, 1) + re_ent
    order = np.argsort(pe_key, kind="stable")
    pe_s = pe_key[order]
    head = np.ones(len(order), bool)
    head[1:] = pe_s[1:] != pe_s[:-1]
    st = np.flatnonzero(head)
    bounds = np.append(st, len(order))
    pe_pfx = re_pfx[order][st]
    pe_ent = re_ent[order][st]
    pe_pos = np.bitwise_or.reduceat(re_pos[order], st) if len(st) else np.zeros(0, np.uint8)
    pe_lv = np.maximum.reduceat(re_lv[order], st) if len(st) else np.zeros(0, np.uint8)
    pe_cnt = np.diff(bounds)
    # ASNs per (prefix, entity)
    hp_key = (hit_pfx * max(n_ent, 1) + hit_ent).astype(np.int64)
    asn_pairs = np.unique((hp_key << 32) | scan_.hit_asn.astype(np.int64))
    asns_of: dict[int, list[int]] = {}
    for k, a in zip((asn_pairs >> 32).tolist(), (asn_pairs & 0xFFFFFFFF).tolist(), strict=True):
        asns_of.setdefault(k, []).append(a)
    ent_of_pfx: dict[int, list[dict]] = {}
    for k in range(len(st)):
        p, e = int(pe_pfx[k]), int(pe_ent[k])
        ent_of_pfx.setdefault(p, []).append({
            "entity": ent_keys[e], "asns": asns_of.get(p * max(n_ent, 1) + e, []),
            "positions": position_names(int(pe_pos[k])), "routes": int(pe_cnt[k]), "level": int(pe_lv[k]),
        })
    # origins per prefix shown
    show_idx = np.flatnonzero(show)
    shown_rows = np.flatnonzero(show[scan_.prefix_id]) if n_pfx else np.zeros(0, np.int64)
    po = _unique((scan_.prefix_id[shown_rows].astype(np.int64) << 32)
                 | routes_.route_origins(shown_rows).astype(np.int64))
    origins_of: dict[int, list[int]] = {}
    for p, o in zip((po >> 32).tolist(), (po & 0xFFFFFFFF).tolist(), strict=True):
        origins_of.setdefault(p, []).append(o)
    findings = []
    for p in show_idx.tolist():
        s = int(status[p])
        verdict = "FAIL" if s == 2 else ("REVIEW" if s == 1 or pfx_rev[p] else "PASS")
        ents = sorted(ent_of_pfx.get(p, []), key=lambda d: (-d["level"], -d["routes"], d["entity"]))
        findings.append(PrefixSummary(
            prefix=prefixes.text(p), routes=int(routes[p]), clean_routes=int(clean[p]),
            review_routes=int(review[p]), origins=origins_of.get(p, []), clean=_STATUS[s], verdict=verdict,
            entities=ents,
        ))
    order_f = {"FAIL": 0, "REVIEW": 1, "PASS": 2}
    findings.sort(key=lambda f: order_f[f.verdict])

    # totals
    all_space = union_space(np.zeros(n_pfx, np.int64), np.arange(n_pfx), prefixes, 1)[0]
    by_clean_space = union_space(status, np.arange(n_pfx), prefixes, 3)
    stc = np.bincount(status, minlength=3) if n_pfx else np.zeros(3, np.int64)
    n_fail = int((status == 2).sum())
    n_review = int(((status == 1) | ((status == 0) & pfx_rev)).sum())
    n_routes = len(routes_)
    return CarrierSummary(
        routes=n_routes, prefixes=n_pfx,
        peers=int((np.bincount(routes_.peer_index, minlength=len(routes_.peer_asns)) > 0).sum()) if n_routes else 0,
        paths=int((np.bincount(routes_.path_index, minlength=routes_.n_paths) > 0).sum()) if n_routes else 0,
        excluded_routes=int((scan_.level == EXCLUDED).sum()),
        review_routes=int((scan_.level == REVIEW).sum()),
        prefixes_clean={s: int(stc[j]) for j, s in enumerate(_STATUS)}, space=all_space,
        space_by_clean={s: by_clean_space[j] for j, s in enumerate(_STATUS)}, findings=findings,
        entities=entities, origins=origins,
        verdicts={"FAIL": n_fail, "REVIEW": n_review, "PASS": n_pfx - n_fail - n_review},
    )


# ----------------------------------------------------------------------------- selections
def select_rows(table: RouteTable, prefixes: Sequence[str] = (), origins: Sequence[int] = ()) -> np.ndarray:
    """Audited rows, narrowed to routes whose prefix overlaps one of ``prefixes`` (equal, more or less
    specific) and/or whose origin AS is one of ``origins`` (a route is kept when it matches either)."""
    rows = audit_rows(table)
    if not prefixes and not origins:
        return rows
    keep = np.zeros(len(rows), bool)
    if origins:
        keep |= np.isin(table.origin_asn[rows], np.asarray(list(origins), np.uint32))
    fam, hi, lo, ln = (table.family[rows], table.prefix_hi[rows], table.prefix_lo[rows],
                       table.prefix_len[rows].astype(np.int64))
    for text in prefixes:
        net = ipaddress.ip_network(text, strict=False)
        if net.version == 4:
            p_start, p_len = int(net.network_address), net.prefixlen
            r_start = lo.astype(np.int64)
            m = fam == 4
            shift = np.minimum(ln, p_len)
            # overlap of two CIDR blocks: they agree on the shorter one's bits
            keep |= m & ((r_start >> (32 - shift)) == (np.int64(p_start) >> (32 - shift)))
        else:
            value = int(net.network_address)
            p_hi, p_lo, p_len = value >> 64, value & ((1 << 64) - 1), net.prefixlen
            m = fam == 6
            shift = np.minimum(ln, p_len)
            keep |= m & _v6_agree(hi, lo, np.uint64(p_hi), np.uint64(p_lo), shift)
    return rows[keep]


def _v6_agree(hi: np.ndarray, lo: np.ndarray, p_hi: np.uint64, p_lo: np.uint64, bits: np.ndarray) -> np.ndarray:
    """Do the top ``bits`` bits of (hi, lo) and (p_hi, p_lo) agree?"""
    b = bits.astype(np.int64)
    hb = np.clip(b, 0, 64).astype(np.uint64)
    lb = np.clip(b - 64, 0, 64).astype(np.uint64)
    full = np.uint64(0xFFFFFFFFFFFFFFFF)
    hmask = np.where(hb == 0, np.uint64(0), full << (np.uint64(64) - np.maximum(hb, np.uint64(1))))
    lmask = np.where(lb == 0, np.uint64(0), full << (np.uint64(64) - np.maximum(lb, np.uint64(1))))
    return (((hi ^ p_hi) & hmask) == 0) & (((lo ^ p_lo) & lmask) == 0)
