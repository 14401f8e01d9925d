"""Feed health: silence past a feed's expected interval, session drops, message rate off its recent level.

Time is the caller's: message timestamps in a replay (so a replay is reproducible), the wall clock live (the
runner calls :meth:`Health.check` every second).
"""

from __future__ import annotations

from collections import deque


class Health:
    def __init__(self, engine) -> None:
        self.engine = engine
        h = engine.cfg.health
        self.window = h.rate_window
        self.history = h.rate_history
        self.factor = h.rate_factor
        self.minimum = h.rate_min
        self.interval = {f.name: f.expected_interval for f in engine.cfg.feeds}
        self.last: dict[str, float] = {}
        self._win: dict[str, int] = {}
        self._count: dict[str, int] = {}
        self._hist: dict[str, deque] = {}

    def expect(self, feed: str, now: float) -> None:
        """Start the silence clock of a live feed (before its first message)."""
        self.last.setdefault(feed, now)

    def _interval(self, feed: str) -> float:
        return self.interval.get(feed, 300.0)

    def messages(self, feed: str, ts: float, n: int = 1) -> None:
        eng = self.engine
        last = self.last.get(feed)
        key = ("feed_silent", feed)
        if last is not None and ts - last > self._interval(feed) and key not in eng.open:
            eng.health_event("raise", "feed_silent", key, last + self._interval(feed), feed, None,
                             f"feed {feed}: no message for more than {self._interval(feed):g}s",
                             {"last_message": _iso(last), "expected_interval": self._interval(feed)})
        if key in eng.open:
            eng.health_event("resolve", "feed_silent", key, ts, feed, None, f"feed {feed}: messages again",
                             {"last_message": _iso(last) if last is not None else None,
                              "expected_interval": self._interval(feed)})
        if last is None or ts > last:
            self.last[feed] = ts
        w = int(ts // self.window)
        cur = self._win.get(feed)
        if cur is None:
            self._win[feed] = w
            self._count[feed] = n
            self._hist[feed] = deque(maxlen=self.history)
            return
        if w > cur:
            self._close(feed, cur, w)
        self._count[feed] += n

    def _close(self, feed: str, cur: int, w: int) -> None:
        hist = self._hist[feed]
        counts = [self._count[feed]] + [0] * min(w - cur - 1, self.history)
        for i, c in enumerate(counts):
            end = (cur + 1 + i) * self.window
            self._judge(feed, c, hist, end)
            hist.append(c)
        self._win[feed] = w
        self._count[feed] = 0

    def _judge(self, feed: str, count: int, hist: deque, end: float) -> None:
        eng = self.engine
        key = ("rate_change", feed)
        if len(hist) < self.history:
            return
        level = sum(hist) / len(hist)
        off = level >= self.minimum and (count > self.factor * level or count * self.factor < level)
        detail = {"window": self.window, "messages": count, "recent_level": round(level, 1), "factor": self.factor}
        if off and key not in eng.open:
            eng.health_event("raise", "rate_change", key, end, feed, None,
                             f"feed {feed}: {count} messages in {self.window:g}s, recent level {level:.1f}", detail)
        elif not off and key in eng.open:
            eng.health_event("resolve", "rate_change", key, end, feed, None,
                             f"feed {feed}: message rate back to its recent level", detail)

    def check(self, now: float) -> None:
        """Live: raise feed_silent for every feed quiet past its interval (resolved by its next message)."""
        eng = self.engine
        for feed, last in sorted(self.last.items()):
            key = ("feed_silent", feed)
            if now - last > self._interval(feed) and key not in eng.open:
                eng.health_event("raise", "feed_silent", key, now, feed, None,
                                 f"feed {feed}: no message for more than {self._interval(feed):g}s",
                                 {"last_message": _iso(last), "expected_interval": self._interval(feed)})

    def session(self, feed: str, address: str, asn: int, up: bool, ts: float, reason: str) -> None:
        eng = self.engine
        key = ("session_down", feed, address, asn)
        peer = {"address": address, "asn": asn}
        if not up and key not in eng.open:
            eng.health_event("raise", "session_down", key, ts, feed, peer,
                             f"feed {feed}: session with {address} (AS{asn}) down" + (f": {reason}" if reason else ""),
                             {"reason": reason})
        elif up and key in eng.open:
            eng.health_event("resolve", "session_down", key, ts, feed, peer,
                             f"feed {feed}: session with {address} (AS{asn}) up again", {"reason": ""})

    # persistence
    def dump(self) -> dict:
        return {"last": self.last, "win": self._win, "count": self._count,
                "hist": {k: list(v) for k, v in self._hist.items()}}

    def load(self, d: dict) -> None:
        self.last = {k: float(v) for k, v in d.get("last", {}).items()}
        self._win = {k: int(v) for k, v in d.get("win", {}).items()}
        self._count = {k: int(v) for k, v in d.get("count", {}).items()}
        self._hist = {k: deque(v, maxlen=self.history) for k, v in d.get("hist", {}).items()}


def _iso(ts: float) -> str:
    from .engine import iso

    return iso(ts)
