"""HTTP for datasets (standard library only): resumable downloads, small text fetches, a loopback guard.

With ``NETVET_OFFLINE_TESTS=1`` in the environment only loopback URLs are fetched (the test suite sets it),
so a test can never reach the internet, not even through a redirect.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .errors import HttpStatusError, NetworkError, RefusedUrl, TransferInterrupted

OFFLINE_TESTS_ENV = "NETVET_OFFLINE_TESTS"
CHUNK = 1 << 16
SMALL_LIMIT = 16 << 20

Progress = Callable[[int, int | None], None]  # (bytes on disk, expected total or None)


def user_agent() -> str:
    try:
        from importlib.metadata import version

        return f"netvet/{version('netvet')} (python-urllib)"
    except Exception:  # noqa: BLE001 - metadata missing in odd installs
        return "netvet (python-urllib)"


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> None:
    """Refuse non-http(s) URLs, and non-loopback ones while ``NETVET_OFFLINE_TESTS`` is set."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedUrl(f"not an http(s) URL: {url}")
    if os.environ.get(OFFLINE_TESTS_ENV, "").strip() not in ("", "0") and not _is_loopback(parts.hostname):
        raise RefusedUrl(f"refusing to fetch {url}: {OFFLINE_TESTS_ENV} is set, "
                         "only loopback URLs are allowed")


def host_of(url: str) -> str:
    return urlsplit(url).netloc or url


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _reason(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, socket.gaierror):
        return "name resolution failed"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(reason, ssl.SSLError):
        return f"TLS error: {reason.reason or reason}"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return str(reason) or type(reason).__name__


def open_url(url: str, label: str, headers: dict[str, str] | None = None, timeout: float = 60.0):
    """Open ``url``; failures become ``NetworkError``/``HttpStatusError`` naming ``label`` and the URL."""
    check_url(url)
    handlers: list = [_GuardedRedirects()]
    if _is_loopback(urlsplit(url).hostname):
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(), "Accept-Encoding": "identity",
                                                   **(headers or {})})
    try:
        return opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise HttpStatusError(f"{label}: HTTP {exc.code} {exc.reason} from {url}", exc.code) from None
    except RefusedUrl:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise NetworkError(f"{label}: cannot reach {host_of(url)} ({_reason(exc)}) to fetch {url}") from None


def fetch_text(url: str, label: str, timeout: float = 60.0, limit: int = SMALL_LIMIT) -> str:
    """GET a small text resource (an index page, a checksum file)."""
    with open_url(url, label, timeout=timeout) as resp:
        try:
            data = resp.read(limit + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise NetworkError(f"{label}: transfer of {url} failed ({_reason(exc)})") from None
    if len(data) > limit:
        raise HttpStatusError(f"{label}: {url} is larger than {limit:,} bytes, "
                              "not the expected small file", 200)
    return data.decode("utf-8", errors="replace")


@dataclass
class Download:
    url: str
    size: int  # bytes of the complete file
    resumed_from: int  # bytes already on disk before this transfer (0: full download)
    transferred: int  # bytes received in this transfer
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # the server answered 304 to a conditional request: nothing downloaded


def _meta_path(part: Path) -> Path:
    return part.with_name(part.name + ".json")


def _read_meta(part: Path) -> dict:
    try:
        data = json.loads(_meta_path(part).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def discard_partial(part: Path) -> None:
    part.unlink(missing_ok=True)
    _meta_path(part).unlink(missing_ok=True)


def _content_range_start(value: str | None) -> int | None:
    # "bytes 100-999/1000"
    if not value or not value.startswith("bytes "):
        return None
    try:
        return int(value[6:].split("-", 1)[0])
    except ValueError:
        return None


def download(
    url: str,
    part: Path,
    label: str,
    *,
    timeout: float = 60.0,
    progress: Progress | None = None,
    note: Callable[[str], None] | None = None,
    conditional: dict[str, str] | None = None,
    _retry: bool = True,
) -> Download:
    """Download ``url`` into ``part``, resuming an earlier partial transfer of the same URL.

    Resuming sends ``Range`` (with ``If-Range`` when the server gave a strong ETag or a Last-Modified
    date); a 200 answer means the server ignored it or the file changed, and the transfer restarts. An
    interrupted transfer keeps what arrived and raises ``TransferInterrupted``. ``conditional`` headers
    (``If-None-Match``/``If-Modified-Since``) are sent when nothing is resumed; a 304 answer returns a
    ``Download`` with ``not_modified`` set.
    """
    meta = _read_meta(part)
    offset = 0
    if part.exists():
        if meta.get("url") == url:
            offset = part.stat().st_size
        else:
            discard_partial(part)
    headers = {}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        etag = meta.get("etag")
        validator = etag if etag and not etag.startswith("W/") else meta.get("last_modified")
        if validator:
            headers["If-Range"] = validator
    elif conditional:
        headers.update(conditional)
    try:
        resp = open_url(url, label, headers, timeout)
    except HttpStatusError as exc:
        if exc.status == 304 and not offset and conditional:
            return Download(url, 0, 0, 0, not_modified=True)
        if exc.status == 416 and offset and _retry:
            discard_partial(part)
            return download(url, part, label, timeout=timeout, progress=progress, note=note,
                            conditional=conditional, _retry=False)
        raise
    with resp:
        mode = "wb"
        if offset and resp.status == 206:
            if _content_range_start(resp.headers.get("Content-Range")) != offset:
                resp.close()
                discard_partial(part)
                if not _retry:
                    raise HttpStatusError(f"{label}: {url} answered a resume request with a wrong range", 206)
                return download(url, part, label, timeout=timeout, progress=progress, note=note,
                                conditional=conditional, _retry=False)
            mode = "ab"
            if note:
                note(f"resuming at byte {offset:,}")
        else:
            if offset and note:
                note("server did not resume the partial download; starting again")
            offset = 0
        length_header = resp.headers.get("Content-Length")
        ascii_digits = bool(length_header) and length_header.isascii() and length_header.isdigit()
        length = int(length_header) if ascii_digits else None
        total = offset + length if length is not None else None
        part.parent.mkdir(parents=True, exist_ok=True)
        _meta_path(part).write_text(json.dumps({
            "url": url, "etag": resp.headers.get("ETag"), "last_modified": resp.headers.get("Last-Modified"),
        }), encoding="utf-8")
        received = 0
        with open(part, mode) as out:
            if progress:
                progress(offset, total)
            failure: str | None = None
            try:
                while chunk := resp.read(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    if progress:
                        progress(offset + received, total)
            except http.client.IncompleteRead as exc:
                out.write(exc.partial)
                received += len(exc.partial)
                failure = "connection closed early"
            except (OSError, http.client.HTTPException) as exc:
                failure = _reason(exc)
            if failure is None and length is not None and received < length:
                failure = "connection closed early"
        if failure is not None:
            expected = f" of {total:,}" if total is not None else ""
            raise TransferInterrupted(
                f"{label}: transfer of {url} interrupted after {offset + received:,}{expected} bytes "
                f"({failure}); the partial file is kept, run the fetch again to resume",
                offset + received, total,
            )
        final_url = resp.geturl() or url
        etag, last_modified = resp.headers.get("ETag"), resp.headers.get("Last-Modified")
    _meta_path(part).unlink(missing_ok=True)
    return Download(final_url, offset + received, offset, received, etag, last_modified)
