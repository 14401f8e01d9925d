"""Watch replay throughput: netvet's replay of RIS update files vs a BGPalerter-style per-message JSON loop.

    python3 bench/watch.py [--repeat 3]

Both sides watch the same 1,000 prefixes (the most announced ones of the files) under the clean-network pack's
excluded ASes and alert when a watched prefix's path gains or loses an excluded AS. "Messages" are the update
files' announcements and withdrawals (one per prefix and peer) plus session state changes.

* netvet: ``netvet.watch.runner.replay`` from the compressed MRT files (decode, state, rules, events).
* anchor: the same messages as RIS Live-style JSON strings (one per announcement/withdrawal, made beforehand and
  not timed), each ``json.loads``-ed, its prefix looked up in the watched set, its path scanned for excluded ASes,
  per (peer, prefix) state kept and an alert made on change — the per-message processing BGPalerter does.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "mrt"
FILES = ["rrc15_2010.02_updates.20100227.1600.gz", "rrc15_2010.02_updates.20100227.1610.gz",
         "updates.20070211.0141.gz", "updates.20160811.1600.gz"]


class Count:
    def __init__(self) -> None:
        self.n = 0

    def send(self, event, line) -> None:
        self.n += 1

    def close(self) -> None:
        pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    files = [DATA / f for f in FILES]
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        print("missing:", *missing, file=sys.stderr)
        return 2
    from netvet.enforce.classify import classify_asns
    from netvet.pipeline import Context
    from netvet.readers.mrt import iter_routes
    from netvet.watch.channels import Dispatcher
    from netvet.watch.config import WatchConfig
    from netvet.watch.runner import make_engine, replay

    # the messages, once (for the anchor and to choose the watched prefixes)
    msgs: list[str] = []
    counts: dict[str, int] = {}
    for f in files:
        for r in iter_routes(f):
            if r.kind == "STATE":
                msgs.append(json.dumps({"type": "RIS_PEER_STATE", "peer": r.peer_ip, "peer_asn": r.peer_as,
                                        "timestamp": r.timestamp, "state": "up" if r.new_state == 6 else "down"}))
                continue
            counts[r.prefix] = counts.get(r.prefix, 0) + 1
            if r.kind == "W":
                msgs.append(json.dumps({"type": "UPDATE", "peer": r.peer_ip, "peer_asn": r.peer_as,
                                        "timestamp": r.timestamp, "withdrawals": [r.prefix]}))
            else:
                path = [sorted(e) if isinstance(e, frozenset) else e for e in r.as_path]
                msgs.append(json.dumps({"type": "UPDATE", "peer": r.peer_ip, "peer_asn": r.peer_as,
                                        "timestamp": r.timestamp, "path": path,
                                        "announcements": [{"next_hop": r.next_hop, "prefixes": [r.prefix]}]}))
    watched = sorted(sorted(counts, key=lambda p: (-counts[p], p))[:1000])
    ctx = Context.build(["clean-network"], on=date(2026, 11, 24))
    cfg = WatchConfig.model_validate({"policy": "clean-network", "watch": {"prefixes": watched,
                                      "more_specifics": False},
                                      "rules": [{"id": "excluded-carrier", "kind": "excluded_carrier"}]})
    # the anchor's excluded set comes from the same evaluator
    seen_asns = set()
    for m in msgs:
        d = json.loads(m)
        for e in d.get("path", ()):
            seen_asns.update(e if isinstance(e, list) else [e])
    cls = classify_asns(ctx, {a: 7 for a in seen_asns})
    excluded = frozenset(v.asn for v in cls.excluded)

    def anchor() -> int:
        wset = frozenset(watched)
        state: dict[str, dict] = {}
        alerts = 0
        open_: dict[str, frozenset] = {}
        for m in msgs:
            d = json.loads(m)
            if d["type"] != "UPDATE":
                continue
            peer = (d["peer"], d["peer_asn"])
            for p in d.get("withdrawals", ()):
                if p in wset:
                    state.get(p, {}).pop(peer, None)
            path = d.get("path")
            for a in d.get("announcements", ()):
                for p in a["prefixes"]:
                    if p not in wset:
                        continue
                    bad = frozenset(x for e in path for x in (e if isinstance(e, list) else (e,)) if x in excluded)
                    st = state.setdefault(p, {})
                    st[peer] = bad
                    cur = frozenset().union(*st.values()) if bad else bad
                    if bad and open_.get(p) != cur:
                        open_[p] = cur
                        alerts += 1
        return alerts

    n = len(msgs)
    best_a = best_n = best_c = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        alerts = anchor()
        best_a = min(best_a, time.perf_counter() - t)
    book_info = None
    classified = evaluated = 0
    for _ in range(args.repeat):
        # cold: a fresh policy context (built untimed) and a fresh engine: every AS met is classified on the way
        cctx = Context.build(["clean-network"], on=date(2026, 11, 24))
        eng = make_engine(cfg, cctx)
        t = time.perf_counter()
        replay(cfg, files, Dispatcher([Count()]), engine=eng)
        best_c = min(best_c, time.perf_counter() - t)
        book_info = eng.book.info, eng.book.flagged
        classified, evaluated = len(eng.book.info), eng.book.evaluated
    for _ in range(args.repeat):
        eng = make_engine(cfg, ctx)
        eng.book.info, eng.book.flagged = book_info  # warm: ASes already classified (a running watcher)
        out = Count()
        t = time.perf_counter()
        replay(cfg, files, Dispatcher([out]), engine=eng)
        best_n = min(best_n, time.perf_counter() - t)
    cold = best_c
    print(f"messages: {n:,} ({len(files)} RIS update files), watched prefixes: {len(watched):,}, "
          f"excluded ASes: {len(excluded)}")
    print(f"anchor (per-message JSON, BGPalerter-style): {best_a:.3f} s  {n / best_a:,.0f} msg/s  ({alerts} alerts)")
    print(f"netvet watch --replay (cold: {classified} ASes classified on the way, {evaluated} of them through "
          f"the policy engine): {cold:.3f} s  {n / cold:,.0f} msg/s")
    print(f"netvet watch --replay (warm): {best_n:.3f} s  {n / best_n:,.0f} msg/s  ({out.n} events)")
    print(f"ratio netvet/anchor: cold {best_a / cold:.1f}x, warm {best_a / best_n:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
