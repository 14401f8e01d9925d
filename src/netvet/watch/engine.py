"""The watch state and its events: per (peer, prefix) the current path, rules evaluated per prefix on change.

Every feed (BGP through ExaBGP, BMP, RIS Live, MRT replay) calls the same four methods: :meth:`Engine.announce`,
:meth:`Engine.withdraw`, :meth:`Engine.peer_down` / :meth:`Engine.peer_up` and :meth:`Engine.tick`. Events are
appended to :attr:`Engine.out` (JSON-ready dicts, see docs/watch.md for the schema) for the runner to deliver.

De-duplication: an event is opened per (rule, prefix) when the rule starts to apply (``raise``), re-sent when the
set of ASes that make it apply changes (``update``: a carrier gained or lost) and closed when it stops applying
(``resolve``). Identical re-announcements, and changes that leave the set of offending ASes as it was, send
nothing. No wall-clock time enters an event: times are the messages' own, so a replay is byte-for-byte
reproducible.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime

from .config import WatchConfig
from .rules import AsBook, RuleSet, origins_of, path_asns

SCHEMA = "netvet-watch-event/1"


def iso(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def path_json(path: tuple) -> list:
    return [e if isinstance(e, int) else sorted(e) for e in path]


def path_from_json(items: list) -> tuple:
    return tuple(e if isinstance(e, int) else frozenset(e) for e in items)


class PrefixMatcher:
    """Which watched prefix (if any) covers a route's prefix: exact, or more-specific when allowed."""

    def __init__(self, prefixes, more_specifics: bool) -> None:
        self.more = more_specifics
        self.nets: dict[tuple[int, int, int], str] = {}
        self.lengths: dict[int, set[int]] = {4: set(), 6: set()}
        for p in prefixes:
            self.add(p)
        self._cache: dict[str, str | None] = {}

    def add(self, prefix: str) -> None:
        net = ipaddress.ip_network(prefix, strict=False)
        self.nets[(net.version, int(net.network_address), net.prefixlen)] = str(net)
        self.lengths[net.version].add(net.prefixlen)
        self._cache = {}

    def __len__(self) -> int:
        return len(self.nets)

    def match(self, prefix: str) -> str | None:
        got = self._cache.get(prefix, 0)
        if got != 0:
            return got
        try:
            net = ipaddress.ip_network(prefix, strict=False)
        except ValueError:
            return None
        v, addr, ln = net.version, int(net.network_address), net.prefixlen
        bits = 32 if v == 4 else 128
        found = self.nets.get((v, addr, ln))
        if found is None and self.more:
            for L in sorted((x for x in self.lengths[v] if x < ln), reverse=True):
                mask = ((1 << L) - 1) << (bits - L) if L else 0
                found = self.nets.get((v, addr & mask, L))
                if found is not None:
                    break
        if len(self._cache) > 1_000_000:
            self._cache.clear()
        self._cache[prefix] = found
        return found


def load_prefix_file(path: str) -> list[str]:
    """Prefixes of a prefix list (one per line, # comments) or of any route file netvet reads (RIB, updates)."""
    from pathlib import Path

    from ..readers.base import open_input

    p = Path(path)
    with open_input(p) as fh:
        head = fh.read(4096)
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    first = next((ln.split("#")[0].strip() for ln in text.splitlines() if ln.split("#")[0].strip()), "")
    try:
        ipaddress.ip_network(first.split()[0], strict=False)
        is_list = True
    except (ValueError, IndexError):
        is_list = False
    if is_list:
        out = []
        with open_input(p) as fh:
            data = fh.read()
        data = data.decode("utf-8") if isinstance(data, bytes) else data
        for line in data.splitlines():
            s = line.split("#")[0].strip()
            if s:
                out.append(str(ipaddress.ip_network(s.split()[0], strict=False)))
        return out
    from ..readers.route_evidence import load_routes

    table, _stats = load_routes(p)
    return sorted({table.prefix(i) for i in range(len(table))})


class Engine:
    def __init__(self, cfg: WatchConfig, book: AsBook) -> None:
        self.cfg = cfg
        self.book = book
        self.rules = RuleSet(cfg, book)
        prefixes = list(cfg.watch.prefixes)
        for f in cfg.watch.prefix_files:
            prefixes += load_prefix_file(f)
        self.matcher = PrefixMatcher(prefixes, cfg.watch.more_specifics)
        self.origin_watch = frozenset(cfg.watch.origins)
        self.rule_matchers = [PrefixMatcher(r.prefixes, True) if r.prefixes else None for r in self.rules.rules]
        # interning
        self.paths: list[tuple] = []
        self.vmask: list[int] = []
        self.viol: list[list] = [[] for _ in self.rules.rules]  # per rule, per path id: offending ASes or None
        self._pid: dict[tuple, int] = {}
        self.peers: list[tuple[str, str, int]] = []  # (feed, address, asn)
        self._peer: dict[tuple[str, str, int], int] = {}
        self.prefixes: list[str] = []
        self.watched_of: list[str] = []
        self.rmask: list[int] = []  # rules that apply to the prefix
        self._pfx: dict[str, int] = {}  # prefix text -> id (watched ones only)
        self._unwatched: set[str] = set()
        # state
        self.rib: list[dict[int, int]] = []  # per prefix id: peer id -> path id
        self.open: dict[tuple[str, str], dict] = {}  # (rule id, prefix) -> the last event sent
        self._fp: dict[tuple, tuple] = {}  # (rule id, prefix) -> its open event's offending ASes
        self.seq = 0
        self.out: list[dict] = []
        from .health import Health

        self.health = Health(self)

    # -- interning -----------------------------------------------------------------------------------
    def intern_path(self, path: tuple, known: bool = False) -> int:
        """The id of ``path``; ``known``: its ASes are already classified."""
        pid = self._pid.get(path)
        if pid is None:
            if not known:
                self.book.ensure(path_asns(path))
            pid = self._pid[path] = len(self.paths)
            self.paths.append(path)
            m = 0
            for i, vi in enumerate(self.viol):
                v = self.rules.violation(i, path)
                vi.append(v)
                if v is not None:
                    m |= 1 << i
            self.vmask.append(m)
        return pid

    def intern_peer(self, feed: str, address: str, asn: int) -> int:
        key = (feed, address, asn)
        i = self._peer.get(key)
        if i is None:
            i = self._peer[key] = len(self.peers)
            self.peers.append(key)
        return i

    def prefix_id(self, prefix: str, path: tuple | None = None) -> int | None:
        """The id of a watched prefix (None: not watched). Origin watches add prefixes as they are announced."""
        x = self._pfx.get(prefix)
        if x is not None:
            return x
        if prefix in self._unwatched and not (path and self.origin_watch):
            return None
        root = self.matcher.match(prefix)
        if root is None and path and self.origin_watch and not self.origin_watch.isdisjoint(origins_of(path)):
            root = prefix
        if root is None:
            if len(self._unwatched) < 2_000_000:
                self._unwatched.add(prefix)
            return None
        self._unwatched.discard(prefix)
        x = self._pfx[prefix] = len(self.prefixes)
        self.prefixes.append(prefix)
        self.watched_of.append(root)
        m = 0
        for i, rm in enumerate(self.rule_matchers):
            if rm is None or rm.match(prefix) is not None:
                m |= 1 << i
        self.rmask.append(m)
        self.rib.append({})
        return x

    # -- updates -------------------------------------------------------------------------------------
    def announce(self, feed: str, address: str, asn: int, prefix: str, path: tuple, ts: float) -> None:
        x = self.prefix_id(prefix, path)
        if x is None:
            return
        self.apply(x, self.intern_peer(feed, address, asn), self.intern_path(path), ts)

    def withdraw(self, feed: str, address: str, asn: int, prefix: str, ts: float) -> None:
        x = self._pfx.get(prefix)
        if x is None:
            return
        self.apply(x, self.intern_peer(feed, address, asn), -1, ts)

    def apply(self, x: int, peer: int, pid: int, ts: float) -> None:
        """Peer ``peer`` now has path ``pid`` (-1: none) for prefix ``x``; evaluate when it can matter."""
        d = self.rib[x]
        old = d.get(peer, -1)
        if old == pid:
            return
        if pid < 0:
            del d[peer]
            crossed = not d
        else:
            d[peer] = pid
            crossed = old < 0 and len(d) == 1
        rel = self.rmask[x] & ((self.vmask[old] if old >= 0 else 0) | (self.vmask[pid] if pid >= 0 else 0)
                               | self.rules.always_bits | (self.rules.withdrawn_bit if crossed else 0))
        if rel:
            self.evaluate(x, ts, rel)

    def peer_down(self, feed: str, address: str, asn: int, ts: float, reason: str = "") -> None:
        """The session with a peer is gone: so are its routes."""
        peer = self.intern_peer(feed, address, asn)
        for x, d in enumerate(self.rib):
            if peer in d:
                self.apply(x, peer, -1, ts)
        self.health.session(feed, address, asn, False, ts, reason)

    def peer_up(self, feed: str, address: str, asn: int, ts: float) -> None:
        self.intern_peer(feed, address, asn)
        self.health.session(feed, address, asn, True, ts, "")

    def tick(self, feed: str, ts: float, messages: int = 1) -> None:
        self.health.messages(feed, ts, messages)

    # -- evaluation ----------------------------------------------------------------------------------
    def _best(self, d: dict[int, int]) -> list[tuple[int, int]]:
        if not d:
            return []
        best = min(d.items(), key=lambda kv: (len(self.paths[kv[1]]), self.peers[kv[0]]))
        return [best]

    def evaluate(self, x: int, ts: float, bits: int) -> None:
        d = self.rib[x]
        prefix = self.prefixes[x]
        rules = self.rules
        for i, r in enumerate(rules.rules):
            b = 1 << i
            if not bits & b:
                continue
            key = (r.id, prefix)
            vi = self.viol[i]
            if r.kind == "withdrawn":
                active = not d
                offending: tuple = ()
            elif r.paths == "any":
                off: set[int] = set()
                active = False
                for pid in d.values():
                    v = vi[pid]
                    if v is not None:
                        active = True
                        off.update(v)
                offending = tuple(sorted(off))
            else:
                items = self._best(d) if r.paths == "best" else list(d.items())
                vs = [vi[pid] for _, pid in items]
                active = bool(items) and all(v is not None for v in vs) if r.paths == "all" else (
                    bool(items) and vs[0] is not None)
                offending = tuple(sorted({a for v in vs if v for a in v})) if active else ()
            cur = self.open.get(key)
            if active:
                if cur is not None and self._fp.get(key) == offending:
                    continue
                if r.kind == "withdrawn":
                    trig: list = []
                else:
                    pool = self._best(d) if r.paths == "best" else d.items()
                    trig = sorted(((p, pid) for p, pid in pool if vi[pid] is not None),
                                  key=lambda kv: self.peers[kv[0]])
                action = "raise" if cur is None else "update"
                ev = self._route_event(action, r, i, prefix, x, ts, offending, trig, cur)
                self.open[key] = ev
                self._fp[key] = offending
                self.out.append(ev)
            elif cur is not None:
                del self.open[key]
                self._fp.pop(key, None)
                ev = self._route_event("resolve", r, i, prefix, x, ts, (),
                                       sorted(d.items(), key=lambda kv: self.peers[kv[0]]), cur)
                self.out.append(ev)

    def _route_event(self, action, rule, i, prefix, x, ts, offending, trig, cur) -> dict:
        self.seq += 1
        opened = cur["opened"] if cur is not None else iso(ts)
        ev_id = cur["id"] if cur is not None else f"{rule.id}/{prefix}#{self.seq}"
        paths = []
        asns: set[int] = set(offending)
        for p, pid in trig:
            feed, addr, pas = self.peers[p]
            path = self.paths[pid]
            v = self.viol[i][pid] if action != "resolve" else None
            paths.append({"feed": feed, "peer": addr, "peer_as": pas, "as_path": path_json(path),
                          "origin": list(origins_of(path)), "offending": list(v or ())})
        if rule.kind in ("must_transit", "required_upstream") and action != "resolve":
            asns.update(a for p in paths for a in p["origin"])
        prev = list(cur["asns"]) if cur is not None else []
        entities = [self.book[a].to_dict() for a in sorted(asns | set(prev))]
        return {
            "schema": SCHEMA, "id": ev_id, "seq": self.seq, "action": action, "kind": rule.kind, "rule": rule.id,
            "severity": rule.severity, "time": iso(ts), "opened": opened, "prefix": prefix,
            "watched": self.watched_of[x], "feed": None, "peer": None,
            "summary": self._summary(action, rule, prefix, offending, len(paths)),
            "asns": list(offending), "previous_asns": prev, "paths": paths, "entities": entities,
        }

    def _summary(self, action, rule, prefix, offending, npaths) -> str:
        names = ", ".join(f"AS{a} {((self.book[a].entity or {}).get('name') or 'unattributed')}" for a in offending)
        what = {
            "excluded_carrier": f"excluded carrier on {npaths} path(s): {names}",
            "excluded_origin": f"originated by an excluded entity: {names}",
            "no_jurisdiction": f"hop in a forbidden jurisdiction ({', '.join(rule.jurisdictions)}) on {npaths} "
                               "path(s): "
                               f"{names}",
            "never_transit": f"path(s) cross a never-transit carrier: {names}",
            "must_transit": f"{npaths} path(s) avoid the must-transit carriers",
            "required_upstream": f"{npaths} path(s) without the required upstream: {names}",
            "withdrawn": "withdrawn everywhere",
        }[rule.kind]
        if action == "resolve":
            return f"{prefix}: resolved ({'visible again' if rule.kind == 'withdrawn' else 'no longer: ' + what})"
        return f"{prefix}: {what}"

    def health_event(self, action: str, kind: str, key: tuple, ts: float, feed: str, peer: dict | None,
                     summary: str, detail: dict) -> None:
        self.seq += 1
        cur = self.open.get(key)
        ev = {
            "schema": SCHEMA,
            "id": cur["id"] if cur is not None else f"{kind}/{'/'.join(map(str, key[1:]))}#{self.seq}",
            "seq": self.seq, "action": action, "kind": kind, "rule": kind, "severity": "high" if kind == "session_down"
            else "medium", "time": iso(ts), "opened": cur["opened"] if cur is not None else iso(ts), "prefix": None,
            "watched": None, "feed": feed, "peer": peer, "summary": summary, "asns": [], "previous_asns": [],
            "paths": [], "entities": [], "health": detail,
        }
        if action == "resolve":
            self.open.pop(key, None)
        else:
            self.open[key] = ev
        self.out.append(ev)

    # -- views ---------------------------------------------------------------------------------------
    def open_events(self) -> list[dict]:
        return sorted(self.open.values(), key=lambda e: e["seq"])

    def drain(self) -> list[dict]:
        out, self.out = self.out, []
        return out
