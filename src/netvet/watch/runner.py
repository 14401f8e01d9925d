"""Running a watch: live (asyncio: feeds, health timer, checkpoints, Ctrl-C) or as a replay of files."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from pathlib import Path

from . import set_current, store
from .channels import Dispatcher, build
from .config import WatchConfig
from .engine import Engine
from .feeds import apply_ris, need, run_bgp, run_bmp, run_rislive
from .replay import replay_mrt
from .rules import AsBook


def make_engine(cfg: WatchConfig, ctx=None) -> Engine:
    from ..pipeline import Context
    from ..util.yamlfile import DataFileError, DataValidationError

    ctx = ctx or Context.build(cfg.policies, on=cfg.evaluated_on)
    eng = Engine(cfg, AsBook(ctx))
    bad = eng.rules.check_entities(ctx.registry)
    if bad:
        doc = cfg._doc
        raise DataValidationError([DataFileError(doc.file if doc else "watch.yaml", doc.line_of(("rules",)) if doc
                                                 else None, b) for b in bad])
    return eng


def _is_json_lines(path: Path) -> bool:
    from ..readers.base import open_input

    with open_input(path) as fh:
        head = fh.read(64)
    return head.lstrip()[:1] == b"{"


def replay(cfg: WatchConfig, files: list[str | Path], dispatcher: Dispatcher, state: str | None = None,
           ctx=None, engine: Engine | None = None) -> dict:
    """Apply the rules over MRT update files (or recorded RIS Live JSON lines), in the order given."""
    eng = engine or make_engine(cfg, ctx)
    if state:
        store.load(eng, state)
    feed = next((f.name for f in cfg.feeds if f.type == "mrt"), "mrt")
    stats = []
    for f in files:
        p = Path(f)
        if _is_json_lines(p):
            from ..readers.base import open_input

            n = 0
            with open_input(p) as fh:
                for line in fh:
                    line = line.strip()
                    if line:
                        n += apply_ris(eng, "rislive", json.loads(line))
                        dispatcher.emit(eng.drain())
            stats.append({"file": str(p), "routes": n})
        else:
            stats.append(replay_mrt(eng, p, feed))
            dispatcher.emit(eng.drain())
    if state:
        store.save(eng, state)
    return {"files": stats, "events": dispatcher.count, "open": len(eng.open)}


async def _live(cfg: WatchConfig, eng: Engine, dispatcher: Dispatcher, stop: asyncio.Event,
                ready: asyncio.Event | None, checkpoint: float) -> None:
    def deliver() -> None:
        if eng.out:
            dispatcher.emit(eng.drain())

    tasks = []
    readies = []
    for f in cfg.feeds:
        if f.type == "mrt":
            continue
        r = asyncio.Event()
        readies.append(r)
        if f.type == "bgp":
            tasks.append(asyncio.create_task(run_bgp(eng, f, deliver, stop, r)))
        elif f.type == "bmp":
            tasks.append(asyncio.create_task(run_bmp(eng, f, deliver, stop, r)))
        else:
            eng.health.expect(f.name, time.time())
            r.set()
            tasks.append(asyncio.create_task(run_rislive(eng, f, deliver, stop)))
    if readies:
        await asyncio.wait([asyncio.create_task(r.wait()) for r in readies], timeout=30)
    if ready is not None:
        ready.set()
    last_save = time.monotonic()
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            eng.health.check(time.time())
            deliver()
            for t in tasks:
                if t.done() and t.exception() is not None:
                    raise t.exception()
            if cfg.state and time.monotonic() - last_save > checkpoint:
                store.save(eng, cfg.state)
                last_save = time.monotonic()
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        deliver()


def run_live(cfg: WatchConfig, dispatcher: Dispatcher, ctx=None, stop: asyncio.Event | None = None,
             ready=None, checkpoint: float = 5.0, loop_holder: dict | None = None) -> Engine:
    """Run until SIGINT/SIGTERM (or ``stop`` is set); the state is saved on the way out."""
    for f in cfg.feeds:
        if f.type == "bgp":
            need("exabgp", f"feed {f.name!r} (bgp)")
        if f.type == "rislive" and f.url:
            need("websockets", f"feed {f.name!r} (rislive)")
    eng = make_engine(cfg, ctx)
    if cfg.state:
        store.load(eng, cfg.state)
    set_current(eng)

    async def main() -> None:
        s = stop or asyncio.Event()
        if loop_holder is not None:
            loop_holder["loop"] = asyncio.get_running_loop()
            loop_holder["stop"] = s
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, s.set)
        try:
            await _live(cfg, eng, dispatcher, s, ready, checkpoint)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)

    try:
        asyncio.run(main())
    finally:
        if cfg.state:
            store.save(eng, cfg.state)
        set_current(None)
    return eng


def channels_for(cfg: WatchConfig, fmt: str, stdout=None) -> Dispatcher:
    return Dispatcher(build(cfg.channels, fmt, stdout))
