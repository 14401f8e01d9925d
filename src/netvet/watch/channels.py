"""Where events go: stdout (JSON lines), a file (JSON lines, appended), syslog, a webhook, the dashboard.

Every channel gets the same serialisation of an event: ``json.dumps(event, sort_keys=True, separators=(",", ":"))``.
The webhook posts from its own thread through a bounded queue (the oldest waiting event is dropped, and counted,
when it is full) and retries failed deliveries with exponential backoff.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import queue
import sys
import threading
import time
import urllib.error
import urllib.request

from .config import Channel


def dumps(event: dict) -> str:
    return json.dumps(event, sort_keys=True, separators=(",", ":"))


def text_line(event: dict) -> str:
    return f"{event['time']} {event['action'].upper():7} {event['kind']:17} {event['summary']}"


class StreamChannel:
    def __init__(self, stream=None, fmt: str = "json") -> None:
        self.stream = stream
        self.fmt = fmt

    def send(self, event: dict, line: str) -> None:
        out = self.stream or sys.stdout
        out.write((line if self.fmt == "json" else text_line(event)) + "\n")
        out.flush()

    def close(self) -> None:
        pass


class FileChannel:
    def __init__(self, path: str) -> None:
        self.fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run

    def send(self, event: dict, line: str) -> None:
        self.fh.write(line + "\n")
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


class SyslogChannel:
    def __init__(self, host: str, port: int, facility: str) -> None:
        fac = logging.handlers.SysLogHandler.facility_names.get(facility, logging.handlers.SysLogHandler.LOG_DAEMON)
        self.handler = logging.handlers.SysLogHandler(address=(host, port), facility=fac)
        self.handler.setFormatter(logging.Formatter("netvet-watch: %(message)s"))
        self.logger = logging.Logger("netvet.watch.syslog")
        self.logger.addHandler(self.handler)
        self.logger.propagate = False

    def send(self, event: dict, line: str) -> None:
        level = logging.INFO if event["action"] == "resolve" else logging.WARNING
        self.logger.log(level, line)

    def close(self) -> None:
        self.handler.close()


class WebhookChannel:
    """HTTP POST of each event (JSON body), from a worker thread; retries with exponential backoff."""

    def __init__(self, cfg: Channel) -> None:
        self.cfg = cfg
        self.q: queue.Queue = queue.Queue(maxsize=cfg.queue)
        self.sent = self.retried = self.dropped = self.failed = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="netvet-webhook", daemon=True)
        self.thread.start()

    def send(self, event: dict, line: str) -> None:
        with self._lock:
            while True:
                try:
                    self.q.put_nowait(line)
                    return
                except queue.Full:
                    try:
                        self.q.get_nowait()
                        self.q.task_done()
                        self.dropped += 1
                    except queue.Empty:
                        pass

    def _post(self, body: bytes) -> None:
        req = urllib.request.Request(self.cfg.url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **self.cfg.headers})
        with urllib.request.urlopen(req, timeout=self.cfg.timeout) as resp:  # noqa: S310 - the user's URL
            resp.read()

    def _run(self) -> None:
        while True:
            try:
                line = self.q.get(timeout=0.1)
            except queue.Empty:
                if self._stop.is_set():
                    return
                continue
            delay = self.cfg.backoff
            try:
                for attempt in range(self.cfg.retries + 1):
                    try:
                        self._post(line.encode("utf-8"))
                        self.sent += 1
                        break
                    except (urllib.error.URLError, OSError, ValueError):
                        if attempt == self.cfg.retries:
                            self.failed += 1
                            break
                        self.retried += 1
                        if self._stop.wait(min(delay, self.cfg.max_backoff)) and self._give_up:
                            self.failed += 1
                            break
                        delay *= 2
            finally:
                self.q.task_done()

    _give_up = False

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (within ``timeout``), then stop the worker."""
        deadline = time.monotonic() + timeout
        while self.q.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        self._give_up = True
        self._stop.set()
        self.thread.join(timeout=max(0.1, deadline - time.monotonic()))


class DashboardChannel:
    """Keeps nothing itself: the dashboard reads :func:`netvet.watch.open_events` (engine or state file)."""

    def send(self, event: dict, line: str) -> None:
        pass

    def close(self) -> None:
        pass


def build(channels: list[Channel], fmt: str = "json", stdout=None) -> list:
    out = []
    for c in channels:
        if c.type == "stdout":
            out.append(StreamChannel(stdout, fmt))
        elif c.type == "file":
            out.append(FileChannel(c.path))
        elif c.type == "syslog":
            out.append(SyslogChannel(c.host, c.port, c.facility))
        elif c.type == "webhook":
            out.append(WebhookChannel(c))
        else:
            out.append(DashboardChannel())
    return out


class Dispatcher:
    def __init__(self, channels: list) -> None:
        self.channels = channels
        self.count = 0

    def emit(self, events: list[dict]) -> None:
        for ev in events:
            line = dumps(ev)
            self.count += 1
            for ch in self.channels:
                ch.send(ev, line)

    def close(self) -> None:
        for ch in self.channels:
            ch.close()
