"""The dashboard app in-process: pages, numbers, filters, JSON API, escaping and access control."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from netvet.attribution.registry import Registry
from netvet.cli import main
from netvet.cli.serve import is_loopback
from netvet.history.store import History
from netvet.web.app import create_app
from tests.fixtures.reports.htmlscan import Scan
from tests.fixtures.reports.reportkit import FIX, HOSTILE, INVENTORY_V1, INVENTORY_V2, mini_report

LOCAL = "http://127.0.0.1"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    h = History(tmp_path_factory.mktemp("web") / "history.duckdb")
    a = h.record(mini_report(), [INVENTORY_V1], now=datetime(2024, 6, 1, 9, tzinfo=UTC))
    b = h.record(mini_report(INVENTORY_V2), [INVENTORY_V2], now=datetime(2024, 6, 2, 9, tzinfo=UTC))
    c = h.record(mini_report(HOSTILE), [HOSTILE], now=datetime(2024, 6, 3, 9, tzinfo=UTC))
    return h, a, b, c


@pytest.fixture(scope="module")
def client(recorded):
    h = recorded[0]
    app = create_app(h, registry_loader=lambda: Registry.load(FIX / "registry" / "mini"))
    return TestClient(app, base_url=LOCAL)


def rows(page: Scan) -> list[dict]:
    return page.find("tr", class_="finding")


def test_runs_page(client, recorded):
    _, a, b, c = recorded
    r = client.get("/")
    assert r.status_code == 200
    page = Scan(r.text)
    assert [x["data-run"] for x in page.find("tr", class_="run")] == [c, b, a]
    api = client.get("/api/runs").json()["items"]
    assert [(x["run_id"], x["fail"], x["review"], x["unknown"], x["pass"]) for x in api] == [
        (c, 2, 0, 1, 0),
        (b, 3, 0, 2, 2),  # cam-4: a relabel of unknown origin is UNKNOWN, not PASS
        (a, 2, 1, 2, 2),
    ]


def test_run_page_numbers_and_filters(client, recorded):
    _, a, b, _ = recorded
    api = client.get(f"/api/runs/{b}/report").json()
    report = api["report"]
    assert (api["page"], api["size"], api["total"], api["next"], len(api["items"])) == (1, 100, 7, None, 7)
    page = Scan(client.get(f"/runs/{b}").text)
    for v, n in report["summary"]["per_policy"]["test-pack"].items():
        assert page.text_by_id[f"total-{v}"] == str(n)
    assert len(rows(page)) == len(api["items"]) == 7
    fails = Scan(client.get(f"/runs/{b}", params={"verdict": "FAIL"}).text)
    assert {r["data-verdict"] for r in rows(fails)} == {"FAIL"}
    assert fails.text_by_id["shown-count"] == "3"
    both = Scan(client.get(f"/runs/{b}", params={"verdict": "FAIL", "site": "branch"}).text)
    assert [r["data-idx"] for r in rows(both)] == ["6"]
    text = Scan(client.get(f"/runs/{b}", params={"q": "RELABELX"}).text)
    assert [r["data-entity"] for r in rows(text)] == ["RelabelX"]
    ent = Scan(client.get(f"/runs/{b}", params={"entity": "camco"}).text)
    assert len(rows(ent)) == 3
    assert client.get("/runs/latest").status_code == 200
    missing = client.get("/runs/nope")
    assert missing.status_code == 404 and "no run" in Scan(missing.text).text_by_id["error-message"]


def test_finding_page_shows_the_evidence_chain(client, recorded):
    _, a, _, _ = recorded
    page = Scan(client.get(f"/runs/{a}/findings/0").text)
    assert page.text_by_id["finding-title"].startswith("core-1")
    assert page.text_by_id["finding-verdict"] == "FAIL"
    assert page.text_by_id["finding-source"].endswith("inventory.csv:2")
    assert "IANA PEN 99001 is assigned to RedCo Networks Co., Ltd." in page.text
    assert "Crimson Holding Ltd. holds 100% of RedCo Networks Co., Ltd." in page.text
    assert {x["href"] for x in page.find("a", href=True)} >= {
        "https://example.org/list",
        f"/runs/{a}/entities/redco",
    }
    assert client.get(f"/runs/{a}/findings/99").status_code == 404


def test_entity_page(client, recorded):
    _, _, b, _ = recorded
    page = Scan(client.get(f"/runs/{b}/entities/camco").text)
    assert page.text_by_id["entity-name"].startswith("CamCo Vision Inc.")
    assert "Test source A" in page.text_by_id["entity-facts"]
    assert [r["data-verdict"] for r in rows(page)] == ["FAIL", "FAIL", "PASS"]
    assert len(page.find("details", class_="evidence")) == 3
    assert client.get(f"/runs/{b}/entities/nobody").status_code == 404


def test_compare_and_drift(client, recorded):
    _, a, b, _ = recorded
    page = Scan(client.get("/compare", params={"a": a, "b": b}).text)
    assert [x["data-total"] for x in page.find("span", data_total=True)] == [
        "FAIL",
        "REVIEW",
        "UNKNOWN",
        "PASS",
        "WAIVED",
    ] * 2
    side = Scan(client.get("/compare", params={"a": b, "p1": "test-pack", "p2": "test-pack"}).text)
    assert side.text_by_id["differ-count"] == "0"
    drift = Scan(client.get("/drift", params={"a": a, "b": b}).text)
    assert (
        drift.text_by_id["drift-new"],
        drift.text_by_id["drift-resolved"],
        drift.text_by_id["drift-changed"],
        drift.text_by_id["drift-unchanged"],
    ) == ("1", "1", "1", "5")
    api = client.get("/api/drift", params={"a": a, "b": b}).json()
    assert [(c["change"], c["label"]) for c in api["items"] if c["change"] == "new"] == [("new", "edge-9")]
    assert (api["counts"]["new"], api["total"], api["next"]) == (1, 3, None)
    assert client.get("/api/drift", params={"a": a, "b": "nope"}).status_code == 404
    assert client.get("/compare").status_code == 200 and client.get("/drift").status_code == 200


def test_hostile_run_is_escaped(client, recorded):
    _, _, _, c = recorded
    for url in (f"/runs/{c}", f"/runs/{c}/findings/0", f"/runs/{c}/findings/2", f"/runs/{c}/entities/redco"):
        r = client.get(url)
        assert r.status_code == 200, url
        page = Scan(r.text)
        assert [a.get("src") for t, a in page.elements if t == "script"] == ["/static/report.js"]
        assert [k for _, a in page.elements for k in a if k.startswith("on")] == []
        assert "<script>alert" not in r.text and "<img src=x" not in r.text
    assert "<script>alert('host')</script>" in Scan(client.get(f"/runs/{c}").text).text


def test_security_headers_and_host_check(client):
    r = client.get("/")
    assert r.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'")
    assert r.headers["x-frame-options"] == "DENY"
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 421
    assert client.get("/", headers={"host": "localhost:8765"}).status_code == 200


def test_token_required_on_every_request(recorded):
    app = create_app(recorded[0], token="s3cret-token", bind_host="0.0.0.0")
    c = TestClient(app, base_url="http://dash.example")
    for url in ("/", "/api/runs", "/static/report.js", f"/runs/{recorded[1]}"):
        assert c.get(url).status_code == 401, url
    assert c.get("/", headers={"authorization": "Bearer wrong-token"}).status_code == 401
    assert c.get("/", headers={"authorization": "Bearer s3cret-token"}).status_code == 200
    assert c.get("/api/runs", headers={"x-netvet-token": "s3cret-token"}).status_code == 200
    r = c.get("/drift?token=s3cret-token&a=1&b=2", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/drift?a=1&b=2"
    assert re.search(r"netvet_token=s3cret-token;.*HttpOnly", r.headers["set-cookie"], re.I)
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    c.cookies.set("netvet_token", "s3cret-token")
    assert c.get("/drift?a=1&b=2").status_code == 200


def test_serve_refuses_non_loopback_without_token(capsys):
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "not a loopback address" in capsys.readouterr().err
    assert main(["serve", "--host", "127.0.0.1", "--token", "short"]) == 2
    assert [
        is_loopback(h)
        for h in (
            "127.0.0.1",
            "127.8.9.1",
            "::1",
            "[::1]",
            "localhost",
            "0.0.0.0",
            "::",
            "192.0.2.1",
            "example.org",
        )
    ] == [True, True, True, True, True, False, False, False, False]


# --- hostile references and parameters: a clear 404/400, never a 500 ---------------------------------------
@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        ("/runs/%C2%B2", 404, "no run '²' (see `netvet history`)"),
        ("/api/runs/%C2%B2", 404, "no run '²' (see `netvet history`)"),
        ("/api/runs/%C2%B2/report", 404, "no run '²' (see `netvet history`)"),
        ("/compare?a=%C2%B2", 404, "no run '²' (see `netvet history`)"),
        ("/compare?b=%C2%B2", 404, "no run '²' (see `netvet history`)"),
        ("/compare?a=latest", 200, None),  # a alone: the pick page
        ("/compare?a=%C2%B2&b=latest", 404, "no run '²' (see `netvet history`)"),
        ("/compare?a=%C2%B2&p1=x&p2=y", 404, "no run '²' (see `netvet history`)"),
        ("/drift?a=%C2%B2&b=latest", 404, "no run '²' (see `netvet history`)"),
        ("/api/drift?a=%C2%B2&b=latest", 404, "no run '²' (see `netvet history`)"),
        ("/api/drift?a=latest", 400, "bad request: query parameter 'b': Field required"),
        ("/runs/%23%C2%B2", 404, "no run '#²' (see `netvet history`)"),
        ("/runs/latest/findings/%C2%B2", 404, "has no finding '²' (findings are numbered 0 to 2)"),
        ("/runs/latest/findings/-1", 404, "has no finding '-1' (findings are numbered 0 to 2)"),
        ("/runs/latest/findings/99999999999999999999999", 404, "has no finding '99999999999999999999999'"),
        ("/runs/latest/entities/%C2%B2", 404, "is attributed to '²'"),
        ("/runs/latest?page=%C2%B2", 400, "query parameter 'page' must be a whole number of 1 or more, got '²'"),
        ("/runs/latest?page=0", 400, "query parameter 'page' must be a whole number of 1 or more, got '0'"),
        ("/runs/latest?size=-5", 400, "query parameter 'size' must be a whole number of 1 or more, got '-5'"),
        ("/runs/latest?page=2", 404, "page 2 is past the last page (1: 3 items, 100 per page)"),
        ("/api/runs?page=99999999999", 400, "query parameter 'page' must be a whole number of 1 or more"),
        ("/?page=%C2%B2", 400, "query parameter 'page' must be a whole number of 1 or more, got '²'"),
    ],
)
def test_hostile_references_are_404_or_400(client, url, status, message):
    r = client.get(url)
    assert r.status_code == status, (url, r.text[:300])
    if message is None:
        return
    if url.startswith("/api/"):
        assert message in r.json()["error"]
    else:
        assert message in Scan(r.text).text_by_id["error-message"]


@pytest.fixture(scope="module")
def paged(tmp_path_factory):
    from tests.web.bigrun import record_big_run

    h = History(tmp_path_factory.mktemp("paged") / "history.duckdb")
    run = record_big_run(h, 250)
    app = create_app(h, registry_loader=lambda: Registry.load(FIX / "registry" / "mini"))
    return TestClient(app, base_url=LOCAL), run


def test_run_page_is_paginated(paged):
    client, run = paged
    first = Scan(client.get(f"/runs/{run}").text)
    assert [r["data-idx"] for r in rows(first)] == [str(i) for i in range(100)]
    nav = first.find("nav", id="pager-top")[0]
    assert (nav["data-page"], nav["data-pages"], nav["data-total"]) == ("1", "3", "250")
    assert first.text_by_id["shown-count"] == "250"
    nxt = [a["href"] for a in first.find("a", rel="next")]
    assert nxt == [f"/runs/{run}?page=2#findings"] * 2 and first.find("a", rel="prev") == []
    last = Scan(client.get(f"/runs/{run}", params={"page": 3}).text)
    assert [r["data-idx"] for r in rows(last)] == [str(i) for i in range(200, 250)]
    assert [a["href"] for a in last.find("a", rel="prev")] == [f"/runs/{run}?page=2#findings"] * 2
    assert last.find("a", rel="next") == []
    # filters stay in the links; the size is capped at 500
    fails = Scan(client.get(f"/runs/{run}", params={"verdict": "FAIL", "size": 20}).text)
    n_fail = int(fails.text_by_id["shown-count"])
    assert len(rows(fails)) == 20 and {r["data-verdict"] for r in rows(fails)} == {"FAIL"}
    assert fails.find("a", rel="next")[0]["href"] == f"/runs/{run}?verdict=FAIL&page=2&size=20#findings"
    big = Scan(client.get(f"/runs/{run}", params={"size": 100000}).text)
    assert len(rows(big)) == 250 and big.find("nav", id="pager-top")[0]["data-pages"] == "1"
    assert n_fail == sum(1 for r in rows(big) if r["data-verdict"] == "FAIL")


def test_api_is_paginated(paged):
    client, run = paged
    api = client.get(f"/api/runs/{run}", params={"size": 100}).json()
    assert (api["page"], api["size"], api["total"], api["pages"], len(api["items"])) == (1, 100, 250, 3, 100)
    assert api["run"]["run_id"] == run and api["prev"] is None
    assert api["next"] == f"/api/runs/{run}?page=2"
    seen = []
    url = f"/api/runs/{run}/report?size=120"
    while url:
        page = client.get(url).json()
        assert len(page["items"]) <= 120 and page["total"] == 250
        assert {o["id"] for o in page["observations"]} == {f["subject"] for f in page["items"]}
        seen += [f["subject"] for f in page["items"]]
        url = page["next"]
    assert seen == [f"big.csv:{i + 2}" for i in range(250)]
    capped = client.get(f"/api/runs/{run}", params={"size": 10**6}).json()
    assert (capped["size"], len(capped["items"]), capped["next"]) == (500, 250, None)
    runs = client.get("/api/runs").json()
    assert (runs["total"], [r["run_id"] for r in runs["items"]], runs["next"]) == (1, [run], None)
    assert client.get(f"/api/runs/{run}/report", params={"page": 4}).status_code == 404
