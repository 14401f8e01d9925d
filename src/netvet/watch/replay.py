"""Replay MRT update files through the watch engine, with netvet's MRT reader (the ``fast`` engine).

Each file is read into a columnar :class:`~netvet.model.route.RouteTable`; the rows of unwatched prefixes are
dropped with NumPy, the paths the rest use are interned once (and their ASes classified in one batch), and the
remaining rows go through the same :meth:`Engine.apply` as live updates, in file order, with the BGP4MP
STATE_CHANGE records (session drops) merged in at their byte offsets.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import numpy as np

from ..model.route import KIND_WITHDRAW
from ..readers.mrt.fast import FastMrtParser

ESTABLISHED = 6
STATE_NAMES = {1: "Idle", 2: "Connect", 3: "Active", 4: "OpenSent", 5: "OpenConfirm", 6: "Established",
               7: "Clearing", 8: "Deleted"}


class _StateTap:
    """Forwards to the parser's sink and keeps the session state changes it reports."""

    def __init__(self, sink, states: list) -> None:
        self.sink = sink
        self.states = states

    def state(self, rtype, ts, usec, peer_ip, peer_as, old, new, offset) -> None:
        self.states.append((offset, ts, peer_ip, peer_as, old, new))
        self.sink.state(rtype, ts, usec, peer_ip, peer_as, old, new, offset)


class _Parser(FastMrtParser):
    def __init__(self, path) -> None:
        super().__init__(path)
        self.states: list = []

    def _state_change(self, sink, ts, usec, sub, body) -> None:
        super()._state_change(_StateTap(sink, self.states), ts, usec, sub, body)


def _v4_key(prefix: str) -> int | None:
    net = ipaddress.ip_network(prefix, strict=False)
    return (int(net.network_address) << 8) | net.prefixlen if net.version == 4 else None


def _candidates(engine, uniq: np.ndarray) -> np.ndarray:
    """Which distinct IPv4 prefixes (keys addr << 8 | len) can be watched: vectorised exact / covering match."""
    keys = uniq.astype(np.uint64)
    addr = keys >> np.uint64(8)
    ln = (keys & np.uint64(255)).astype(np.int64)
    hit = np.zeros(len(keys), bool)
    by_len: dict[int, list[int]] = {}
    for (v, a, L) in engine.matcher.nets:
        if v == 4:
            by_len.setdefault(L, []).append((a << 8) | L)
    for L, wk in by_len.items():
        sel = (ln >= L) if engine.matcher.more else (ln == L)
        if not sel.any():
            continue
        shift = np.uint64(32 - L)
        masked = ((addr[sel] >> shift) << shift << np.uint64(8)) | np.uint64(L)
        hit[np.flatnonzero(sel)[np.isin(masked, np.array(wk, np.uint64))]] = True
    known = [k for k in (_v4_key(p) for p in engine._pfx) if k is not None]
    if known:
        hit |= np.isin(keys, np.array(known, np.uint64))
    return hit


def _prefix_texts(table, rows: np.ndarray, engine=None, extra=None) -> tuple[np.ndarray, list[str | None]]:
    """(inverse index per row, prefix text per distinct prefix) for the given rows; with ``engine``, IPv4 prefixes
    that cannot be watched get None instead of their text (no text is made for them)."""
    n = len(rows)
    inv = np.zeros(n, np.int64)
    texts: list[str | None] = []
    if not n:
        return inv, texts
    fam = table.family[rows]
    v4 = np.flatnonzero(fam == 4)
    if len(v4):
        key = ((table.prefix_lo[rows[v4]].astype(np.uint64) << np.uint64(8))
               | table.prefix_len[rows[v4]].astype(np.uint64))
        uniq, inv4 = np.unique(key, return_inverse=True)
        inv[v4] = inv4
        want = _candidates(engine, uniq) if engine is not None else np.ones(len(uniq), bool)
        if extra is not None:  # origin watches: prefixes announced by a watched origin
            ex = np.zeros(len(uniq), bool)
            ex[inv4[extra[v4]]] = True
            want |= ex
        for k, w in zip(uniq.tolist(), want.tolist(), strict=True):
            texts.append(f"{ipaddress.IPv4Address(k >> 8)}/{k & 255}" if w else None)
    v6 = np.flatnonzero(fam != 4)
    if len(v6):
        seen: dict[tuple[int, int, int], int] = {}
        r6 = rows[v6]
        for j, (h, lo, ln) in enumerate(zip(table.prefix_hi[r6].tolist(), table.prefix_lo[r6].tolist(),
                                           table.prefix_len[r6].tolist(), strict=True)):
            k = seen.get((h, lo, ln))
            if k is None:
                k = seen[(h, lo, ln)] = len(texts)
                texts.append(f"{ipaddress.IPv6Address((h << 64) | lo)}/{ln}")
            inv[v6[j]] = k
    return inv, texts


def replay_mrt(engine, path: str | Path, feed: str = "mrt") -> dict:
    """Apply one MRT file to ``engine``; returns counts (routes, watched routes, state changes, problems)."""
    parser = _Parser(path)
    table = parser.table()
    stats = parser.mstats
    n = len(table)
    states = sorted(parser.states)
    # watched prefixes: decide once per distinct prefix (origin watches: per announced origin)
    ow = None
    if engine.origin_watch:
        ow = np.isin(table.origin_asn, np.fromiter(engine.origin_watch, np.uint32)) & (table.kind != KIND_WITHDRAW)
    inv, texts = _prefix_texts(table, np.arange(n), engine, ow)
    watch_x = np.full(len(texts), -1, np.int64)
    origin_hit = np.zeros(len(texts), bool)
    if ow is not None:
        origin_hit[inv[ow]] = True
    for i, t in enumerate(texts):
        if t is None:
            continue
        x = engine._pfx.get(t)
        if x is None:
            if origin_hit[i]:
                # an origin watch: add it with the announcing path (its origin is watched)
                j = int(np.flatnonzero((inv == i) & ow)[0])
                x = engine.prefix_id(t, table.path(int(table.path_index[j])))
            else:
                x = engine.prefix_id(t)
        if x is not None:
            watch_x[i] = x
    rx = watch_x[inv]
    keep = np.flatnonzero(rx >= 0)
    # paths of the kept rows: classify their ASes in one batch, intern each once
    used = np.unique(table.path_index[keep])
    used = used[used >= 0]
    pmap = np.full(max(table.n_paths, 1), -1, np.int64)
    if len(used):
        offs_p = table.path_offsets
        lens = offs_p[used + 1] - offs_p[used]
        sel = np.repeat(offs_p[used], lens) + (np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens))
        engine.book.ensure(np.unique(table.path_asns[sel]).tolist())
        # paths of AS_SEQUENCE members only (the usual case) become tuples straight from the flat array
        nonseq = np.zeros(table.n_paths, bool)
        bad = table.path_marks != 0
        if bad.any():
            owner = np.searchsorted(offs_p, np.flatnonzero(bad), side="right") - 1
            nonseq[owner] = True
        flat = table.path_asns.tolist()
        bounds = offs_p.tolist()
        intern = engine.intern_path
        pmap[used] = [intern(table.path(i) if nonseq[i] else tuple(flat[bounds[i]:bounds[i + 1]]), known=True)
                      for i in used.tolist()]
    peer_ids = np.array([engine.intern_peer(feed, ip, int(a)) for ip, a in zip(table.peer_ips, table.peer_asns.tolist(),
                                                                               strict=True)] or [0], np.int64)
    kinds = (table.kind[keep] == KIND_WITHDRAW).tolist()
    xs = rx[keep].tolist()
    peers = peer_ids[table.peer_index[keep]].tolist() if len(keep) else []
    pidx = table.path_index[keep]
    pids = np.where(pidx >= 0, pmap[np.maximum(pidx, 0)], -1).tolist()
    tss = table.timestamp[keep].tolist()
    offs = table.offset[keep]
    # health: message counts per second over every row (watched or not) and state change
    all_ts = table.timestamp
    health = engine.health
    # segments between state changes
    st_off = np.array([s[0] for s in states], np.int64)
    cut = np.searchsorted(offs, st_off, side="left").tolist() if states else []
    row_cut = np.searchsorted(table.offset, st_off, side="left").tolist() if states else []
    apply = engine.apply
    lo = 0
    hlo = 0
    for si in range(len(states) + 1):
        hi = cut[si] if si < len(states) else len(xs)
        hhi = row_cut[si] if si < len(states) else n
        if hhi > hlo:
            ts_seg = all_ts[hlo:hhi]
            change = np.flatnonzero(np.diff(ts_seg)) + 1
            starts = [0, *change.tolist()]
            ends = [*change.tolist(), len(ts_seg)]
            # interleave the health ticks (one per distinct second) with the watched rows of that second
            seg_ts = ts_seg[np.array(starts)].tolist() if starts else []
            j = lo
            for k, t in enumerate(seg_ts):
                health.messages(feed, t, ends[k] - starts[k])
                while j < hi and tss[j] <= t:
                    apply(xs[j], peers[j], -1 if kinds[j] else pids[j], tss[j])
                    j += 1
            while j < hi:
                apply(xs[j], peers[j], -1 if kinds[j] else pids[j], tss[j])
                j += 1
        lo, hlo = hi, hhi
        if si < len(states):
            _off, ts, ip, asn, old, new = states[si]
            health.messages(feed, ts, 1)
            if new == ESTABLISHED:
                engine.peer_up(feed, ip, asn, ts)
            elif old == ESTABLISHED or new in (7, 8, 1):
                engine.peer_down(feed, ip, asn, ts, f"BGP FSM {STATE_NAMES.get(old, old)} -> "
                                 f"{STATE_NAMES.get(new, new)}")
    return {"file": str(path), "routes": n, "watched_routes": len(keep), "state_changes": len(states),
            "problems": len(stats.stats.issues) if hasattr(stats.stats, "issues") else 0}
