"""A loopback HTTP server for dataset tests, and helpers to write test catalogues.

The server serves registered byte strings, honours ``Range: bytes=N-`` (with ``If-Range``), and can
simulate failures per path: an HTTP status (500 ...), a truncated transfer (``Content-Length`` larger
than the body, then the connection closes), and ignoring Range requests. Every request is logged with
the bytes of body actually sent, so tests can count what a resumed download transferred.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"


def fixture_bytes(relpath: str) -> bytes:
    return (FIXTURES / relpath).read_bytes()


@dataclass
class Route:
    body: bytes
    status: int = 200  # != 200: answer this status with a short error body
    truncate_at: int | None = None  # send only this many body bytes, then close
    ranges: bool = True  # honour Range requests
    etag: str | None = None  # default: derived from the body, so new content gets a new ETag
    location: str | None = None  # answer 302 to this URL
    conditional: bool = True  # answer 304 to a matching If-None-Match

    def __post_init__(self) -> None:
        if self.etag is None:
            self.etag = f'"{hashlib.sha256(self.body).hexdigest()[:16]}"'


@dataclass
class Hit:
    path: str
    range: str | None
    if_range: str | None
    status: int
    sent: int


@dataclass
class LocalServer:
    base: str = ""
    routes: dict[str, Route] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)

    def add(self, path: str, body: bytes, **options) -> str:
        self.routes[path] = Route(body, **options)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def hits_for(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]


class _Handler(BaseHTTPRequestHandler):
    server_version = "netvet-test/1"

    def log_message(self, format, *args):  # noqa: A002 - silence the default stderr log
        return

    def _finish(self, status: int, sent: int) -> None:
        state: LocalServer = self.server.state  # type: ignore[attr-defined]
        hit = Hit(self.path, self.headers.get("Range"), self.headers.get("If-Range"), status, sent)
        state.hits.append(hit)

    def _plain(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self._finish(status, len(body))  # logged before the client can see the answer
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        state: LocalServer = self.server.state  # type: ignore[attr-defined]
        route = state.routes.get(self.path)
        if route is None:
            self._plain(404, b"not found\n")
            return
        if route.location is not None:
            self.send_response(302)
            self.send_header("Location", route.location)
            self.send_header("Content-Length", "0")
            self._finish(302, 0)
            self.end_headers()
            return
        if route.status != 200:
            self._plain(route.status, b"simulated server error\n")
            return
        if route.conditional and self.headers.get("If-None-Match") == route.etag:
            self.send_response(304)
            self.send_header("ETag", route.etag)
            self._finish(304, 0)
            self.end_headers()
            return
        body, start, status = route.body, 0, 200
        requested = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if requested and route.ranges and (if_range is None or if_range == route.etag):
            m = re.fullmatch(r"bytes=(\d+)-", requested)
            if m:
                start = int(m.group(1))
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self._finish(416, 0)
                    self.end_headers()
                    return
                status = 206
        payload = body[start:]
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("ETag", route.etag)
        if route.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()
        data = payload if route.truncate_at is None else payload[: route.truncate_at]
        self._finish(status, len(data))
        self.wfile.write(data)
        self.wfile.flush()
        if route.truncate_at is not None:
            self.close_connection = True


class running_server:
    """Context manager: a ThreadingHTTPServer on 127.0.0.1, port chosen by the OS."""

    def __enter__(self) -> LocalServer:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.state = LocalServer(base=f"http://127.0.0.1:{self.httpd.server_address[1]}")
        self.httpd.state = self.state  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       daemon=True)
        self.thread.start()
        return self.state

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


CSV_HEADER = "Registry,Assignment,Organization Name,Organization Address"


def make_catalogue(server: LocalServer) -> dict:
    """A small catalogue whose datasets live on the loopback server (with the fixtures registered)."""
    server.add("/ieee/oui.csv", fixture_bytes("ieee/oui.csv"))
    return {
        "schema": 1,
        "datasets": [
            {
                "name": "oui",
                "title": "test MA-L",
                "publisher": "test",
                "urls": [server.url("/ieee/oui.csv")],
                "format": "csv",
                "licence": "test",
                "cadence_days": 7,
                "stale_after_days": 30,
                "used_by": ["tests"],
                "validate": {"content": "csv", "header": CSV_HEADER, "min_records": 3},
                "bundled": {"package": "netaddr", "resource": "eui/oui.txt", "format": "oui.txt",
                            "as_of": "2024-05-28"},
            },
            {
                "name": "pfx",
                "title": "test pfx2as",
                "publisher": "test",
                "discover": {"index": server.url("/pfx2as/pfx2as-creation.log"),
                             "pattern": r"\d{4}/\d{2}/routeviews-rv2-(?P<key>\d{8}-\d{4})\.pfx2as\.gz"},
                "format": "gzip text",
                "licence": "test",
                "cadence_days": 1,
                "used_by": ["tests"],
                "version_from": {"where": "name", "pattern":
                                 r"routeviews-rv2-(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})-(?P<H>\d{2})(?P<M>\d{2})"},
                "validate": {"compression": "gzip", "content": "text", "comment_prefixes": ["#"],
                             "record_pattern": r"\d{1,3}(?:\.\d{1,3}){3}\t\d{1,2}\t[0-9_,]+",
                             "min_records": 3},
            },
            {
                "name": "rir",
                "title": "test RIR stats",
                "publisher": "test",
                "urls": [server.url("/rir/delegated-ripencc-extended-latest")],
                "checksum": {"url": "{url}.md5", "algorithm": "md5"},
                "format": "text",
                "licence": "test",
                "cadence_days": 1,
                "stale_after_days": 14,
                "used_by": ["tests"],
                "version_from": {"where": "content", "pattern":
                                 r"(?m)^\d+(?:\.\d+)?\|[a-z]+\|[^|\n]*\|[^|\n]*\|[^|\n]*\|"
                                 r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})\|"},
                "validate": {"content": "text", "comment_prefixes": ["#"], "min_records": 3,
                             "record_pattern": r"[a-z0-9.]+\|.*"},
            },
            {
                "name": "kev",
                "title": "test KEV",
                "publisher": "test",
                "urls": [server.url("/kev/kev.json")],
                "format": "json",
                "licence": "test",
                "cadence_days": 1,
                "stale_after_days": 7,
                "used_by": ["tests"],
                "validate": {"content": "json", "json_keys": ["vulnerabilities"],
                             "json_records": "vulnerabilities", "min_records": 1},
            },
        ],
    }


def write_catalogue(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
