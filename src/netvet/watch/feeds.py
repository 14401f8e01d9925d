"""Live feeds: a BGP session through ExaBGP, BMP (TCP server), RIS Live (websocket or a recorded file).

Each feed is an asyncio task that turns what it receives into :class:`~netvet.watch.engine.Engine` calls; the
runner delivers the events after each message.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from .bmp import BmpDecoder, BmpError, apply_bmp

MISSING_EXTRA = ("{what} needs the optional package {pkg!r}: install netvet's `watch` extra "
                 "(pip install 'netvet[watch]')")


def need(module: str, what: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ImportError(MISSING_EXTRA.format(what=what, pkg=module))


# ----------------------------------------------------------------------------------------------- RIS Live
def _ris_path(items) -> tuple:
    out = []
    for e in items or ():
        if isinstance(e, list):
            out.append(frozenset(int(a) for a in e))
        else:
            out.append(int(e))
    return tuple(out)


def apply_ris(engine, feed: str, msg: dict, now: float | None = None) -> int:
    """One RIS Live message (``{"type": "ris_message", "data": {...}}`` or its ``data``); returns routes applied."""
    if msg.get("type") in ("ris_message",) and "data" in msg:
        msg = msg["data"]
    elif msg.get("type") in ("ris_error", "ris_subscribe_ok", "pong"):
        return 0
    ts = float(msg.get("timestamp") or now or 0.0)
    peer = str(msg.get("peer", ""))
    asn = int(msg.get("peer_asn") or 0)
    host = msg.get("host")
    addr = f"{host}/{peer}" if host else peer
    kind = msg.get("type")
    engine.tick(feed, ts)
    if kind == "RIS_PEER_STATE":
        state = str(msg.get("state", "")).lower()
        if state in ("connected", "established", "up"):
            engine.peer_up(feed, addr, asn, ts)
        else:
            engine.peer_down(feed, addr, asn, ts, f"RIS peer state {state}")
        return 0
    if kind != "UPDATE":
        return 0
    n = 0
    path = _ris_path(msg.get("path"))
    for a in msg.get("announcements") or ():
        for p in a.get("prefixes") or ():
            engine.announce(feed, addr, asn, p, path, ts)
            n += 1
    for p in msg.get("withdrawals") or ():
        engine.withdraw(feed, addr, asn, p, ts)
        n += 1
    return n


async def run_rislive(engine, feed, deliver, stop: asyncio.Event) -> None:
    if feed.file:
        with open(feed.file, encoding="utf-8") as fh:
            for line in fh:
                if stop.is_set():
                    return
                line = line.strip()
                if line:
                    apply_ris(engine, feed.name, json.loads(line))
                    deliver()
        return
    need("websockets", "a rislive feed with a url")
    import websockets

    backoff = 1.0
    while not stop.is_set():
        try:
            async with websockets.connect(feed.url, max_size=None) as ws:
                engine.peer_up(feed.name, feed.url, 0, time.time())
                deliver()
                if feed.subscribe is not None:
                    await ws.send(json.dumps({"type": "ris_subscribe", "data": feed.subscribe}))
                backoff = 1.0
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                    except TimeoutError:
                        continue
                    try:
                        apply_ris(engine, feed.name, json.loads(raw), time.time())
                    except (ValueError, TypeError, AttributeError):
                        continue
                    deliver()
        except (OSError, websockets.WebSocketException) as exc:
            engine.peer_down(feed.name, feed.url, 0, time.time(), f"websocket: {exc}")
            deliver()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=backoff)
        backoff = min(backoff * 2, 60.0)


# ----------------------------------------------------------------------------------------------- BMP
async def run_bmp(engine, feed, deliver, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        router = writer.get_extra_info("peername")[0]
        dec = BmpDecoder(router)
        engine.peer_up(feed.name, router, 0, time.time())
        deliver()
        reason = "router closed the BMP session"
        try:
            while not stop.is_set():
                data = await reader.read(65536)
                if not data:
                    break
                try:
                    msgs = dec.feed(data)
                except BmpError as exc:
                    reason = f"BMP stream error: {exc}"
                    break
                now = time.time()
                engine.tick(feed.name, now, len(msgs))
                for m in msgs:
                    apply_bmp(engine, feed.name, router, m, now)
                deliver()
        finally:
            # the router is gone: so are the routes it reported
            for key in list(engine._peer):
                if key[0] == feed.name and key[1].startswith(router + "/"):
                    engine.peer_down(key[0], key[1], key[2], time.time(), reason)
            engine.peer_down(feed.name, router, 0, time.time(), reason)
            deliver()
            writer.close()

    server = await asyncio.start_server(handle, feed.listen, feed.port)
    engine.health.expect(feed.name, time.time())
    if ready is not None:
        ready.set()
    async with server:
        await stop.wait()


# ----------------------------------------------------------------------------------------------- ExaBGP
def exabgp_json(engine, feed: str, msg: dict, now: float) -> None:
    """One line of ExaBGP's JSON API (v4 and v5 encodings)."""
    typ = msg.get("type")
    nb = msg.get("neighbor") or {}
    addr = (nb.get("address") or {}).get("peer", "")
    asn = int((nb.get("asn") or {}).get("peer") or 0)
    ts = now
    engine.tick(feed, ts)
    if typ == "state":
        st = nb.get("state")
        if st == "up":
            engine.peer_up(feed, addr, asn, ts)
        elif st in ("down", "shutdown"):
            engine.peer_down(feed, addr, asn, ts, nb.get("reason", st))
        return
    if typ != "update":
        return
    upd = ((nb.get("message") or {}).get("update")) or {}
    attrs = upd.get("attribute") or {}
    path = _exa_path(attrs.get("as-path"), attrs.get("as-set"))
    for _fam, by_nh in (upd.get("announce") or {}).items():
        for _nh, nlris in by_nh.items():
            for n in nlris:
                p = n.get("nlri") if isinstance(n, dict) else n
                engine.announce(feed, addr, asn, p, path, ts)
    for _fam, nlris in (upd.get("withdraw") or {}).items():
        for n in nlris:
            p = n.get("nlri") if isinstance(n, dict) else n
            engine.withdraw(feed, addr, asn, p, ts)


def _exa_path(as_path, as_set) -> tuple:
    out: list = []
    if isinstance(as_path, dict):  # ExaBGP 5: {"0": {"element": "as-sequence", "value": [...]}, ...}
        for k in sorted(as_path, key=lambda s: int(s)):
            seg = as_path[k]
            vals = [int(a) for a in seg.get("value", [])]
            el = seg.get("element", "as-sequence")
            if el == "as-sequence":
                out.extend(vals)
            elif el == "as-set":
                out.append(frozenset(vals))
    elif isinstance(as_path, list):  # ExaBGP 4
        out.extend(int(a) for a in as_path)
        if as_set:
            out.append(frozenset(int(a) for a in as_set))
    return tuple(out)


def exabgp_config(feed, relay_port: int) -> str:
    rid = feed.router_id or feed.listen
    return (
        f"process netvet {{\n    run {sys.executable} -m netvet.watch.relay 127.0.0.1 {relay_port};\n"
        f"    encoder json;\n}}\n"
        f"neighbor {feed.peer} {{\n    router-id {rid};\n    local-address {feed.listen};\n"
        f"    local-as {feed.local_as};\n    peer-as {feed.peer_as};\n"
        + ("    passive;\n" if feed.passive else "")
        + "    family { ipv4 unicast; ipv6 unicast; }\n"
        "    api { processes [ netvet ]; neighbor-changes; receive { parsed; update; } }\n}\n"
    )


async def run_bgp(engine, feed, deliver, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
    need("exabgp", "a bgp feed")
    lines: asyncio.Queue = asyncio.Queue()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            line = await reader.readline()
            if not line:
                break
            await lines.put(line)
        writer.close()

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    relay_port = server.sockets[0].getsockname()[1]
    tmp = Path(tempfile.mkdtemp(prefix="netvet-exabgp-"))
    conf = tmp / "exabgp.conf"
    conf.write_text(exabgp_config(feed, relay_port))
    env = dict(os.environ)
    env.update({"exabgp.tcp.bind": feed.listen, "exabgp.tcp.port": str(feed.port or 179),
                "exabgp.daemon.drop": "false", "exabgp.daemon.user": "root" if os.geteuid() == 0 else "",
                "exabgp.log.destination": str(tmp / "exabgp.log"), "exabgp.api.ack": "false",
                "exabgp.daemon.daemonize": "false", "exabgp.bgp.passive": "true" if feed.passive else "false"})
    if not env["exabgp.daemon.user"]:
        del env["exabgp.daemon.user"]
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "exabgp", "server", str(conf), env=env,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    engine.health.expect(feed.name, time.time())
    if ready is not None:
        ready.set()
    try:
        async with server:
            while not stop.is_set():
                try:
                    line = await asyncio.wait_for(lines.get(), timeout=0.5)
                except TimeoutError:
                    if proc.returncode is not None:
                        engine.peer_down(feed.name, feed.peer, feed.peer_as, time.time(),
                                         f"ExaBGP exited ({proc.returncode})")
                        deliver()
                        return
                    continue
                try:
                    msg = json.loads(line)
                except ValueError:
                    continue
                exabgp_json(engine, feed.name, msg, time.time())
                deliver()
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), timeout=5)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
