"""End to end in a real headless Chromium (Debian's ``chromium``, driven by Playwright's client).

Starts the dashboard on 127.0.0.1 (a free port), loads pages, filters, sorts, opens a finding and its entity,
checks that the numbers shown are those of the JSON report and API, opens the self-contained HTML report
(a hostile one too: no script of the evidence may run), and saves screenshots into ``test-output/``.
Skipped only when Chromium is absent and CI is not "true".
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from netvet.attribution.registry import Registry
from netvet.history.store import History
from netvet.reporters import render
from netvet.web.app import create_app
from tests.fixtures.reports.reportkit import FIX, HOSTILE, INVENTORY_V1, INVENTORY_V2, mini_report
from tests.web.serverkit import Server, get_json

CHROMIUM = Path(os.environ.get("NETVET_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUT = Path(__file__).resolve().parents[2] / "test-output"
TOKEN = "browser-test-token"


def _require_browser():
    ci = os.environ.get("CI", "").lower() == "true"
    if not CHROMIUM.exists():
        if ci:
            pytest.fail(f"{CHROMIUM} missing (apt-get install -y chromium)")
        pytest.skip(f"{CHROMIUM} missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if ci:
            pytest.fail("playwright (the Python client) is not installed")
        pytest.skip("playwright is not installed")
    return sync_playwright


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    h = History(tmp_path_factory.mktemp("browser") / "history.duckdb")
    a = h.record(mini_report(), [INVENTORY_V1], now=datetime(2024, 6, 1, 9, tzinfo=UTC))
    b = h.record(mini_report(INVENTORY_V2), [INVENTORY_V2], now=datetime(2024, 6, 2, 9, tzinfo=UTC))
    return h, a, b


@pytest.fixture(scope="module")
def browser():
    sync_playwright = _require_browser()
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def new_page(browser, problems: list[str]):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    return page


def test_dashboard_end_to_end(browser, history):
    h, a, b = history
    app = create_app(h, registry_loader=lambda: Registry.load(FIX / "registry" / "mini"))
    problems: list[str] = []
    with Server(app) as base:
        runs = get_json(f"{base}/api/runs")["items"]
        api_report = get_json(f"{base}/api/runs/{b}/report")
        report = {**api_report["report"], "findings": api_report["items"]}
        assert api_report["next"] is None  # 7 findings: one page
        drift = get_json(f"{base}/api/drift?a={a}&b={b}")
        page = new_page(browser, problems)

        # runs list: one row per run, the verdict counts of the API
        page.goto(f"{base}/")
        assert page.locator("tr.run").count() == 2
        for i, run in enumerate(runs):
            row = page.locator("tr.run").nth(i)
            assert row.get_attribute("data-run") == run["run_id"]
            for v in ("FAIL", "REVIEW", "UNKNOWN", "PASS"):
                assert row.locator(f'td[data-verdict="{v}"]').inner_text() == str(run[v.lower()])
        page.screenshot(path=str(OUT / "dashboard-runs.png"), full_page=True)

        # run detail: the numbers of the JSON report
        page.locator("tr.run").first.locator("a.run-link").click()
        page.wait_for_url(f"**/runs/{b}")
        counts = report["summary"]["per_policy"]["test-pack"]
        for v, n in counts.items():
            assert page.locator(f"#total-{v}").inner_text() == str(n)
        assert page.locator("tr.finding").count() == len(report["findings"])
        page.screenshot(path=str(OUT / "dashboard-run.png"), full_page=True)

        # filter: FAIL only
        page.select_option("select[name=verdict]", "FAIL")
        page.click("#apply-filters")
        page.wait_for_url("**verdict=FAIL**")
        fails = [f for f in report["findings"] if f["verdict"] == "FAIL"]
        assert page.locator("tr.finding").count() == len(fails) == 3
        assert page.locator("#shown-count").inner_text() == "3"
        assert {page.locator("tr.finding").nth(i).get_attribute("data-verdict") for i in range(3)} == {"FAIL"}

        # sort by asset (client side), then descending
        header = page.locator("table.nv-findings th", has_text="asset")
        header.click()
        assets = [page.locator("tr.finding").nth(i).locator("td").nth(2).inner_text() for i in range(3)]
        assert assets == sorted(f["label"] for f in fails)
        header.click()
        assets = [page.locator("tr.finding").nth(i).locator("td").nth(2).inner_text() for i in range(3)]
        assert assets == sorted((f["label"] for f in fails), reverse=True)

        # open a finding: its verdict, reasons and evidence chain with the source URL
        first = page.locator("tr.finding").first
        label = first.locator("td").nth(2).inner_text()
        idx = int(first.get_attribute("data-idx"))
        first.locator("td").nth(2).locator("a").click()
        page.wait_for_url(f"**/runs/{b}/findings/{idx}")
        f = report["findings"][idx]
        assert f["label"] == label
        assert page.locator("#finding-verdict").inner_text() == f["verdict"]
        assert page.locator("#finding-reasons li").all_inner_texts() == f["reasons"]
        steps = page.locator("details.evidence ol.chain").first.locator("li span.step").all_inner_texts()
        assert steps[0] == "identifier" and steps[-1] == "designation"
        assert page.locator('details.evidence a[href="https://example.org/list"]').count() >= 1
        page.screenshot(path=str(OUT / "dashboard-finding.png"), full_page=True)

        # its entity: the findings attributed to it in this run
        page.click("#finding-entity")
        page.wait_for_url(f"**/runs/{b}/entities/{f['entity']['id']}")
        mine = [g for g in report["findings"] if (g["entity"] or {}).get("id") == f["entity"]["id"]]
        assert page.locator("tr.finding").count() == len(mine)
        assert page.locator("#entity-name").inner_text().startswith(f["entity"]["name"])
        page.screenshot(path=str(OUT / "dashboard-entity.png"), full_page=True)

        # drift between the runs: the API's counts
        page.goto(f"{base}/drift?a={a}&b={b}")
        for k in ("new", "resolved", "changed", "unchanged"):
            assert page.locator(f"#drift-{k}").inner_text() == str(drift["counts"][k])
        assert page.locator("#drift-table-new tbody tr").count() == 1
        page.screenshot(path=str(OUT / "dashboard-drift.png"), full_page=True)

        # compare: two runs side by side
        page.goto(f"{base}/compare?a={a}&b={b}")
        fail_a, fail_b = page.locator('#side-a [data-total="FAIL"]'), page.locator('#side-b [data-total="FAIL"]')
        assert (fail_a.inner_text(), fail_b.inner_text()) == ("2", "3")
        page.screenshot(path=str(OUT / "dashboard-compare.png"), full_page=True)
        page.close()
    assert problems == []


def test_token_in_the_browser(browser, history):
    h, _, b = history
    app = create_app(h, token=TOKEN, bind_host="0.0.0.0")
    problems: list[str] = []
    with Server(app) as base:
        anon = browser.new_context()
        resp = anon.new_page().goto(f"{base}/")
        assert resp.status == 401
        anon.close()
        ctx = browser.new_context()
        page = ctx.new_page()
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{base}/?token={TOKEN}")
        assert page.url == f"{base}/"  # the token left the URL for a cookie
        assert page.locator("tr.run").count() == 2
        page.goto(f"{base}/runs/{b}")
        assert page.locator("tr.finding").count() == 7
        assert get_json(f"{base}/api/runs", TOKEN)["items"][0]["run_id"] == b
        ctx.close()
    assert problems == []


def test_html_report_in_the_browser(browser, tmp_path):
    problems: list[str] = []
    report = mini_report()
    path = tmp_path / "report.html"
    path.write_text(render(report, "html"), encoding="utf-8")
    page = new_page(browser, problems)
    page.goto(path.as_uri())
    counts = Counter(str(f.verdict) for f in report.findings)
    for v in ("FAIL", "REVIEW", "UNKNOWN", "PASS"):
        assert page.locator(f"#total-{v}").inner_text() == str(counts[v])
    assert page.locator('[data-count-for="findings-table"]').inner_text() == "7 of 7"
    page.select_option('select[data-filter="verdict"]', "FAIL")
    assert page.locator("tr.finding:visible").count() == counts["FAIL"] == 2
    assert page.locator('[data-count-for="findings-table"]').inner_text() == "2 of 7"
    page.fill('input[data-filter="q"]', "core-1")
    assert page.locator("tr.finding:visible").count() == 1
    page.locator("tr.finding:visible").first.click()
    detail = page.locator("tr.detail")
    assert detail.count() == 1
    assert "IANA PEN 99001 is assigned to RedCo Networks Co., Ltd." in detail.inner_text()
    assert detail.locator("ol.chain").first.locator("span.step").all_inner_texts() == [
        "identifier",
        "registry-lookup",
        "entity",
        "parent",
        "designation",
    ]
    page.screenshot(path=str(OUT / "report-html.png"), full_page=False)
    # the summary's counts set the filters
    page.fill('input[data-filter="q"]', "")
    page.locator('a[data-set-filter*="PASS"]').click()
    assert page.locator("tr.finding:visible").count() == counts["PASS"] == 2
    # charts per policy: one group per policy is shown at a time (one policy here: the "all" group)
    assert page.locator(".chart-group:visible").count() == 1
    page.close()

    hostile = tmp_path / "hostile.html"
    hostile.write_text(render(mini_report(HOSTILE), "html"), encoding="utf-8")
    page = new_page(browser, problems)
    page.goto(hostile.as_uri())
    page.locator("tr.finding").first.click()
    for i in range(page.locator("details.evidence").count()):
        page.locator("details.evidence summary").nth(i).click()
    page.mouse.move(400, 400)
    assert page.locator("tr.finding").count() == 3
    assert page.evaluate("document.scripts.length") == 1
    assert "<script>alert('host')</script>" in page.locator("tr.finding").first.inner_text()
    page.close()
    assert problems == []
