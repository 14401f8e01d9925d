"""Load: a 10,000-finding run stays responsive under concurrent clients, every answer bounded in size.

The run is recorded with the history store's own API (``History.record``); the dashboard runs under uvicorn
on a free 127.0.0.1 port started by the test; 8 client threads each make ``REQUESTS`` requests of the run
page (pages, filters, sizes) and of the paginated JSON API. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from netvet.history.store import History
from netvet.web.app import MAX_SIZE, create_app
from tests.web.bigrun import record_big_run
from tests.web.serverkit import Server

FINDINGS = 10_000
CLIENTS = 8
REQUESTS = 12  # per client
MAX_SECONDS = 5.0  # any one answer (generous: a loaded CI machine)
MAX_TOTAL_SECONDS = 60.0  # all CLIENTS x REQUESTS answers
MAX_PAGE_BYTES = 3_000_000  # a page of MAX_SIZE findings with their evidence (4,000 used to make 17.6 MB)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    h = History(tmp_path_factory.mktemp("load") / "history.duckdb")
    return h, record_big_run(h, FINDINGS)


def fetch(url: str) -> tuple[int, int, float, bytes]:
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as resp:  # noqa: S310 - loopback test server
        body = resp.read()
        return resp.status, len(body), time.perf_counter() - t0, body


def test_ten_thousand_findings_stay_responsive(big):
    h, run = big
    app = create_app(h, registry_loader=lambda: None)
    with Server(app) as base:
        assert base.startswith("http://127.0.0.1:")
        status, size, first_s, body = fetch(f"{base}/runs/{run}")  # builds the run's view once
        assert status == 200 and size < MAX_PAGE_BYTES and body.count(b'<tr class="finding"') == 100

        urls = []
        for i in range(CLIENTS * REQUESTS):
            kind = i % 4
            if kind == 0:
                urls.append(f"/runs/{run}?page={1 + i % 100}")
            elif kind == 1:
                urls.append(f"/runs/{run}?verdict=FAIL&page={1 + i % 5}&size={MAX_SIZE}")
            elif kind == 2:
                urls.append(f"/runs/{run}?q=core&size=50&page={1 + i % 10}")
            else:
                urls.append(f"/api/runs/{run}/report?page={1 + i % 20}&size={MAX_SIZE}")
        results: list[tuple[str, int, int, float]] = []
        lock = threading.Lock()

        def client(k: int) -> None:
            for url in urls[k::CLIENTS]:
                status, size, seconds, body = fetch(base + url)
                if url.startswith("/api/"):
                    doc = json.loads(body)
                    assert doc["total"] == FINDINGS and len(doc["items"]) <= MAX_SIZE
                with lock:
                    results.append((url, status, size, seconds))

        t0 = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(client, range(CLIENTS)))
        total_s = time.perf_counter() - t0

    assert len(results) == CLIENTS * REQUESTS
    assert [r for r in results if r[1] != 200] == []
    slow = [r for r in results if r[3] > MAX_SECONDS]
    big_pages = [r for r in results if r[2] > MAX_PAGE_BYTES]
    assert slow == [] and big_pages == []
    assert total_s < MAX_TOTAL_SECONDS
    times = sorted(r[3] for r in results)
    print(f"\nload: {FINDINGS} findings, {CLIENTS} clients x {REQUESTS} requests in {total_s:.2f} s; first page "
          f"{first_s:.2f} s; per request median {times[len(times) // 2] * 1000:.0f} ms, max {times[-1] * 1000:.0f} "
          f"ms; largest answer {max(r[2] for r in results):,} bytes")
