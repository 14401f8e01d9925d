"""RIS Live: recorded messages (RIS Live's documented format) through a local websocket server, a file feed and
--replay, with exact events; the required_upstream rule; AS classification grouped by attribution facts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading

import pytest

from netvet.cli import main
from netvet.watch.channels import Dispatcher
from netvet.watch.config import WatchConfig, load_config
from netvet.watch.engine import Engine
from netvet.watch.rules import AsBook, _as_independent_text, packs_as_independent
from netvet.watch.runner import replay, run_live
from tests.conftest import FIXTURES
from tests.watch.conftest import Recorder

RIS_DIR = FIXTURES / "watch"
RIS_CONFIG = RIS_DIR / "rislive.yaml"
RIS_MESSAGES = RIS_DIR / "rislive.jsonl"
P100, P101 = "198.51.100.0/24", "198.51.101.0/24"
CT = "China Telecom Corporation Limited"
COGENT = "Cogent Communications Holdings, Inc."
R1, R2, R3 = "rrc00/192.0.2.1", "rrc00/192.0.2.2", "rrc00/192.0.2.3"
PATH_CT = [1299, 4134, 64500, 64500]
PATH_CLEAN = [1299, 64500, 64500]

# (seq, action, kind, rule, prefix, time, asns, previous_asns, [(peer, as_path)], summary) of rislive.jsonl
EXPECTED = [
    (1, "raise", "excluded_carrier", "excluded-carrier", P100, "2024-12-07T12:00:01Z", [4134], [],
     [(R2, PATH_CT)], f"{P100}: excluded carrier on 1 path(s): AS4134 {CT}"),
    (2, "raise", "required_upstream", "upstream", P100, "2024-12-07T12:00:01Z", [4134], [],
     [(R2, PATH_CT)], f"{P100}: 1 path(s) without the required upstream: AS4134 {CT}"),
    (3, "raise", "excluded_carrier", "excluded-carrier", P101, "2024-12-07T12:00:01Z", [4134], [],
     [(R2, PATH_CT)], f"{P101}: excluded carrier on 1 path(s): AS4134 {CT}"),
    (4, "raise", "required_upstream", "upstream", P101, "2024-12-07T12:00:01Z", [4134], [],
     [(R2, PATH_CT)], f"{P101}: 1 path(s) without the required upstream: AS4134 {CT}"),
    (5, "update", "required_upstream", "upstream", P101, "2024-12-07T12:00:02Z", [174, 4134], [4134],
     [(R2, PATH_CT), (R3, [174, 64500])],
     f"{P101}: 2 path(s) without the required upstream: AS174 {COGENT}, AS4134 {CT}"),
    (6, "resolve", "excluded_carrier", "excluded-carrier", P100, "2024-12-07T12:00:03Z", [], [4134],
     [(R1, [3356, 64500]), (R2, PATH_CLEAN)], f"{P100}: resolved (no longer: excluded carrier on 2 path(s): )"),
    (7, "resolve", "required_upstream", "upstream", P100, "2024-12-07T12:00:03Z", [], [4134],
     [(R1, [3356, 64500]), (R2, PATH_CLEAN)],
     f"{P100}: resolved (no longer: 2 path(s) without the required upstream: )"),
    (8, "resolve", "excluded_carrier", "excluded-carrier", P101, "2024-12-07T12:00:03Z", [], [4134],
     [(R2, PATH_CLEAN), (R3, [174, 64500])], f"{P101}: resolved (no longer: excluded carrier on 2 path(s): )"),
    (9, "update", "required_upstream", "upstream", P101, "2024-12-07T12:00:03Z", [174], [174, 4134],
     [(R3, [174, 64500])], f"{P101}: 1 path(s) without the required upstream: AS174 {COGENT}"),
    # the RIS peer goes down: its routes go with it, and with them the last path without the upstream
    (10, "resolve", "required_upstream", "upstream", P101, "2024-12-07T12:00:05Z", [], [174],
     [(R2, PATH_CLEAN)], f"{P101}: resolved (no longer: 1 path(s) without the required upstream: )"),
    (11, "raise", "session_down", "session_down", None, "2024-12-07T12:00:05Z", [], [], [],
     f"feed rislive: session with {R3} (AS174) down: RIS peer state down"),
    (12, "raise", "withdrawn", "withdrawn", P100, "2024-12-07T12:00:07Z", [], [], [],
     f"{P100}: withdrawn everywhere"),
    # announced again with an AS_SET origin: no upstream can be named, so required_upstream does not apply
    (13, "resolve", "withdrawn", "withdrawn", P100, "2024-12-07T12:00:08Z", [], [],
     [(R1, [3356, [64500, 64501]])], f"{P100}: resolved (visible again)"),
]


def _key(e: dict) -> tuple:
    return (e["seq"], e["action"], e["kind"], e["rule"], e["prefix"], e["time"], e["asns"], e["previous_asns"],
            [(p["peer"], p["as_path"]) for p in e["paths"]] if e["paths"] else [], e["summary"])


class Lines:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def send(self, event, line) -> None:
        self.events.append(json.loads(line))

    def close(self) -> None:
        pass


def _live(cfg, ctx, until: int, before_stop=None) -> list[dict]:
    """run_live in a thread until ``until`` events arrived, then stopped like Ctrl-C."""
    rec = Recorder()
    ready = threading.Event()
    holder: dict = {}
    errors: list[BaseException] = []

    def target() -> None:
        try:
            run_live(cfg, Dispatcher([rec]), ctx=ctx, ready=ready, loop_holder=holder)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    try:
        assert ready.wait(30), errors
        rec.wait_for(lambda e: e["seq"] == until, 20)
        if before_stop is not None:
            before_stop()
    finally:
        loop = holder.get("loop")
        if loop is not None:
            loop.call_soon_threadsafe(holder["stop"].set)
        t.join(20)
    assert not t.is_alive() and not errors, errors
    return [json.loads(json.dumps(e)) for _, e in rec.events]


def test_rislive_replay_exact_events(clean_ctx):
    cfg = load_config(RIS_CONFIG)
    rec = Lines()
    stats = replay(cfg, [RIS_MESSAGES], Dispatcher([rec]), ctx=clean_ctx)
    assert stats == {"files": [{"file": str(RIS_MESSAGES), "routes": 10}], "events": 13, "open": 1}
    assert [_key(e) for e in rec.events] == [_key(e) for e in _as_events(EXPECTED)]
    # the origin of a path without the required upstream is named with its upstream
    e2 = rec.events[1]
    assert [x["asn"] for x in e2["entities"]] == [4134, 64500]
    assert e2["entities"][0]["entity"]["id"] == "china-telecom-corp"


def _as_events(rows) -> list[dict]:
    return [{"seq": s, "action": a, "kind": k, "rule": r, "prefix": p, "time": t, "asns": asns, "previous_asns": prev,
             "paths": [{"peer": peer, "as_path": path} for peer, path in paths], "summary": summary}
            for s, a, k, r, p, t, asns, prev, paths, summary in rows]


def test_rislive_cli_replay(capsys):
    code = main(["watch", "--replay", str(RIS_MESSAGES), "--config", str(RIS_CONFIG), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0
    assert [_key(json.loads(x)) for x in out.splitlines()] == [_key(e) for e in _as_events(EXPECTED)]


def test_rislive_recorded_file_feed(clean_ctx):
    """A rislive feed with ``file:``, run live: the same events as the replay."""
    cfg = load_config(RIS_CONFIG)
    events = _live(cfg, clean_ctx, until=13)
    assert [_key(e) for e in events] == [_key(e) for e in _as_events(EXPECTED)]


def test_rislive_websocket(tmp_path, clean_ctx):
    """A local websocket server on 127.0.0.1 plays the recorded messages after the client's ris_subscribe."""
    websockets = pytest.importorskip("websockets")
    from websockets.asyncio.server import serve

    lines = [ln for ln in RIS_MESSAGES.read_text().splitlines() if ln.strip()]
    received: list[dict] = []
    state: dict = {}
    started = threading.Event()
    done = threading.Event()

    async def handler(ws) -> None:
        received.append(json.loads(await ws.recv()))  # the subscription comes first
        for ln in lines:
            await ws.send(ln)
        await ws.send("not json")  # a damaged frame is skipped
        done.set()
        with contextlib.suppress(websockets.WebSocketException):
            await ws.wait_closed()

    async def server_main() -> None:
        state["stop"] = asyncio.Event()
        async with serve(handler, "127.0.0.1", 0) as srv:
            state["port"] = next(iter(srv.sockets)).getsockname()[1]
            started.set()
            await state["stop"].wait()

    loop = asyncio.new_event_loop()
    th = threading.Thread(target=lambda: loop.run_until_complete(server_main()), daemon=True)
    th.start()
    assert started.wait(10)
    try:
        cfg_file = tmp_path / "watch.yaml"
        text = RIS_CONFIG.read_text().replace("file: rislive.jsonl", f"url: 'ws://127.0.0.1:{state['port']}/v1/ws/'")
        cfg_file.write_text(text)
        cfg = load_config(cfg_file)
        assert cfg.feeds[0].url and not cfg.feeds[0].file
        events = _live(cfg, clean_ctx, until=13, before_stop=lambda: done.wait(10))
    finally:
        loop.call_soon_threadsafe(state["stop"].set)
        th.join(10)
    assert received == [{"type": "ris_subscribe", "data": {"prefix": "198.51.100.0/22", "moreSpecific": True}}]
    assert [_key(e) for e in events] == [_key(e) for e in _as_events(EXPECTED)]


# ---------------------------------------------------------------------------------------------- required_upstream
def test_required_upstream_exact_events(clean_ctx):
    """Synthetic updates: the AS that hands the route to its origin (prepends skipped) must be in the set; an
    entity set covers every AS of the entity (Lumen's 3356 and 3549), ``asns`` exact AS numbers."""
    cfg = WatchConfig.model_validate({
        "policy": "clean-network", "evaluated_on": "2026-11-24", "watch": {"prefixes": ["192.0.2.0/24"]},
        "entity_sets": {"upstreams": {"entities": ["lumen"], "asns": [1299]}},
        "rules": [{"id": "up", "kind": "required_upstream", "sets": ["upstreams"]}]})
    eng = Engine(cfg, AsBook(clean_ctx))
    p = "192.0.2.0/24"
    steps = [
        ("a", "10.0.0.1", 64496, (64496, 3356, 64500), 100),          # Lumen: fine
        ("a", "10.0.0.2", 64497, (64497, 1299, 64500, 64500), 101),   # Arelion by AS number, origin prepended: fine
        ("a", "10.0.0.3", 64498, (64498, 174, 64500), 102),           # Cogent: raise [174]
        ("a", "10.0.0.1", 64496, (64496, 6939, 64500), 103),          # Hurricane Electric too: update [174, 6939]
        ("a", "10.0.0.3", 64498, (64498, 3549, 64500), 104),          # another Lumen AS: update [6939]
        ("a", "10.0.0.4", 64499, (64500,), 105),                      # the origin itself: no upstream, fine
        ("a", "10.0.0.1", 64496, None, 106),                          # withdrawn: resolve
    ]
    for feed, addr, asn, path, ts in steps:
        if path is None:
            eng.withdraw(feed, addr, asn, p, ts)
        else:
            eng.announce(feed, addr, asn, p, path, ts)
    got = [(e["seq"], e["action"], e["time"], e["asns"], e["previous_asns"],
            [(x["peer"], x["as_path"]) for x in e["paths"]], e["summary"]) for e in eng.drain()]
    assert got == [
        (1, "raise", "1970-01-01T00:01:42Z", [174], [], [("10.0.0.3", [64498, 174, 64500])],
         f"{p}: 1 path(s) without the required upstream: AS174 {COGENT}"),
        (2, "update", "1970-01-01T00:01:43Z", [174, 6939], [174],
         [("10.0.0.1", [64496, 6939, 64500]), ("10.0.0.3", [64498, 174, 64500])],
         f"{p}: 2 path(s) without the required upstream: AS174 {COGENT}, AS6939 Hurricane Electric LLC"),
        (3, "update", "1970-01-01T00:01:44Z", [6939], [174, 6939], [("10.0.0.1", [64496, 6939, 64500])],
         f"{p}: 1 path(s) without the required upstream: AS6939 Hurricane Electric LLC"),
        (4, "resolve", "1970-01-01T00:01:46Z", [], [6939], [("10.0.0.2", [64497, 1299, 64500, 64500]),
                                          ("10.0.0.3", [64498, 3549, 64500]), ("10.0.0.4", [64500])],
         f"{p}: resolved (no longer: 3 path(s) without the required upstream: )"),
    ]
    assert eng.open == {}


# ---------------------------------------------------------------------------------------------- grouped classification
def test_grouped_classification_equals_per_as(clean_ctx):
    """ASes with the same attribution facts share one evaluation; the result is exactly the per-AS one."""
    asns = sorted({4134, 4809, 4812, 3356, 3549, 1299, 174, 6939, 64496, 64500, 64511, 65000, 23456, 9929, 4837,
                   *list(clean_ctx.registry.by_asn)[:200]})
    grouped, single = AsBook(clean_ctx), AsBook(clean_ctx)
    single.grouped = False
    assert grouped.grouped
    grouped.ensure(asns[:7])
    grouped.ensure(asns)
    single.ensure(asns)
    assert grouped.info == single.info and grouped.flagged == single.flagged
    assert single.evaluated == len(asns) and grouped.evaluated < len(asns) // 2
    unattributed = [a for a in (64496, 64500, 64511, 65000, 23456)]
    assert [grouped.info[a].reasons[-1] for a in unattributed] == [
        f"AS{a} is not in the curated registry" for a in unattributed]


def test_as_independent_rule_text():
    assert _as_independent_text('asset.kind in ["app"] && "installer" in asset.attributes && '
                                'asset.attributes["installer"] == "x"')
    assert _as_independent_text("asset.attributes.installer")
    for text in ('asset.id == "AS1"', 'asset.attributes.asn == "1"', 'asset.attributes["asn"] == "1"',
                 "size(asset.attributes) > 1", 'asset.attributes.exists(k, k == "asn")', "has(asset)"):
        assert not _as_independent_text(text), text
    assert packs_as_independent(clean_ctx_packs())


def clean_ctx_packs():
    from netvet.pipeline import Context
    from netvet.policies import bundled_pack_paths

    return Context.build(list(bundled_pack_paths())).packs
