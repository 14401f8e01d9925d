"""The HTML report: self-contained, exact counts, evidence chains; nothing in the evidence injects markup."""

from __future__ import annotations

import base64
import copy
import hashlib
from collections import Counter
from datetime import date

import pytest

from netvet.cli import main
from netvet.model import Citation, Finding, Observation, PolicyInfo, Report, SourceRef, Verdict
from netvet.reporters import render
from netvet.reporters.html import Assets, asset_text, build_view, render_html_dict, safe_url, split_source
from tests.fixtures.reports.htmlscan import Scan
from tests.fixtures.reports.reportkit import FIX, HOSTILE, PACK, mini_report


@pytest.fixture(scope="module")
def report():
    return mini_report()


@pytest.fixture(scope="module")
def page(report):
    return Scan(render(report, "html"))


def csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode()


def test_summary_numbers_match_the_report(page, report):
    assert page.text_by_id["total-FAIL"] == "2"
    assert page.text_by_id["total-REVIEW"] == "1"
    assert page.text_by_id["total-UNKNOWN"] == "2"  # cam-4: a relabel of unknown origin never passes
    assert page.text_by_id["total-PASS"] == "2"
    assert page.text_by_id["total-WAIVED"] == "0"
    per_policy = report.summary()["per_policy"]["test-pack"]
    links = {a["data-set-filter"]: a for a in page.find("a", data_set_filter=True)}
    assert set(links) == {f'{{"policy": "test-pack", "verdict": "{v}"}}' for v, n in per_policy.items() if n}


def test_findings_table_rows(page):
    rows = page.find("tr", class_="finding")
    assert len(rows) == 7
    assert Counter(r["data-verdict"] for r in rows) == {"PASS": 2, "FAIL": 2, "REVIEW": 1, "UNKNOWN": 2}
    assert Counter(r["data-site"] for r in rows) == {"hq": 5, "branch": 2}
    assert Counter(r["data-country"] for r in rows) == {"CN": 4, "US": 1, "(unknown)": 2}
    assert {r["data-entity"] for r in rows} == {
        "RedCo Networks Co., Ltd.",
        "CamCo Vision Inc.",
        "RelabelX",
        "BlueNet Systems, Inc.",
        "(unattributed)",
    }
    # every row points at the evidence block of its observation, which exists
    ids = {a["id"] for a in page.find("details", class_="evidence")}
    assert len(ids) == 7
    assert {r["data-evidence"] for r in rows} == ids


def test_self_contained(page):
    (meta,) = page.find("meta", http_equiv="Content-Security-Policy")
    (script,) = page.scripts
    (style,) = page.styles
    assert meta["content"] == (
        f"default-src 'none'; style-src '{csp_hash(style)}'; script-src '{csp_hash(script)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    assert [a for a in page.find("script") if "src" in a] == []
    assert page.find("link") == [] and page.find("img") == [] and page.find("iframe") == []
    assert "url(" not in style and "@import" not in style
    # only plain anchors point outside, to the cited sources
    external = {a["href"] for a in page.find("a", href=True) if not a["href"].startswith(("#", "?"))}
    assert external == {"https://example.org/list"}


def test_charts(page):
    bars = {(a["data-label"], a["data-total"]) for a in page.find("g", class_="bar")}
    assert bars == {
        ("CamCo Vision Inc.", "2"),
        ("RedCo Networks Co., Ltd.", "1"),
        ("RelabelX", "1"),
        ("(unattributed)", "1"),  # by entity
        ("Crimson Holding Ltd.", "1"),  # by group: RedCo's owner
        ("CN", "3"),
        ("(unknown)", "2"),  # by country
        ("hq", "4"),  # by site
        ("branch", "1"),  # cam-4, UNKNOWN
    }
    assert {a["id"] for a in page.find("figure", class_="chart")} == {
        "chart-all-entity",
        "chart-all-group",
        "chart-all-country",
        "chart-all-site",
    }


def test_evidence_chain(page):
    """core-1: sysObjectID -> IANA PEN -> entity -> parent -> designation, with the source URL."""
    text = page.text
    for step in (
        "sysObjectID 1.3.6.1.4.1.99001.1 (csv:sys_object_id) -> enterprise 99001",
        "IANA PEN 99001 is assigned to RedCo Networks Co., Ltd.",
        "RedCo Networks Co., Ltd. (equipment-vendor), headquarters CN",
        "Crimson Holding Ltd. holds 100% of RedCo Networks Co., Ltd.",
        "test-list entry 1 (RedCo Networks Co., Ltd., added 2021-03-12)",
        "IEEE MA-L block A0:B0:C0: 'REDCO NETWORKS CO.,LTD', address in CN",
        "exact:REDCO NETWORKS -> redco",
    ):
        assert step in text
    steps = Counter(
        t for t in page.texts if t in {"identifier", "registry-lookup", "alias-rule", "entity", "parent", "designation"}
    )
    # core-1: 3 chains (oid decided, mac, name); cam-1..3 and cam-4 name chains; sw-1 oid + mac ...
    assert steps["designation"] == 6
    assert steps["parent"] == 3


def test_hostile_evidence_is_text(tmp_path):
    html = render(mini_report(HOSTILE), "html")
    page = Scan(html)
    assert len(page.scripts) == 1  # ours
    assert "alert" not in page.scripts[0]
    handlers = [(t, k) for t, a in page.elements for k in a if k.lower().startswith("on")]
    assert handlers == []
    assert {t for t, _ in page.elements} <= {
        "html",
        "head",
        "meta",
        "title",
        "style",
        "body",
        "header",
        "h1",
        "nav",
        "a",
        "main",
        "dl",
        "dt",
        "dd",
        "code",
        "h2",
        "div",
        "span",
        "h3",
        "table",
        "thead",
        "tr",
        "th",
        "tbody",
        "td",
        "button",
        "figure",
        "svg",
        "g",
        "text",
        "rect",
        "figcaption",
        "p",
        "label",
        "input",
        "select",
        "option",
        "ul",
        "li",
        "strong",
        "details",
        "summary",
        "ol",
        "script",
        "i",
    }
    for hostile in (
        "<script>alert('host')</script>",
        "\"><svg onload=alert('svg')>",
        "<img src=x onerror=alert('model')>",
        "</td><script>alert('site')</script>",
        "x' onmouseover='alert(1)",
        "<b onclick=alert('vendor')>Evil</b>",
    ):
        assert hostile in page.text
    assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html


def test_dangerous_urls_are_not_links(report):
    data = copy.deepcopy(report.to_dict())
    data["findings"][0]["citations"].append({"label": "evil", "url": "javascript:alert(1)", "source": None})
    data["observations"][0]["attribution"]["decided_by"]["chain"][-1]["source"] = "evil <javascript:alert(2)>"
    page = Scan(render_html_dict(data))
    hrefs = [a["href"] for a in page.find("a", href=True)]
    assert not any(h.lower().startswith(("javascript:", "data:")) for h in hrefs)
    assert "evil" in page.text
    assert safe_url("javascript:alert(1)") is None and safe_url("https://a.example/x") == "https://a.example/x"
    assert safe_url('https://a.example/"onmouseover=x') is None
    assert split_source("src-list <https://example.org/list>") == ("src-list", "https://example.org/list")
    assert split_source("test") == ("test", None)


def test_controls_and_exposure(report):
    """Framework controls (the report's control status and the ``framework:control`` refs of findings) get
    a per-control summary; an exposure attribute gets a chart."""
    data = copy.deepcopy(report.to_dict())
    for f in data["findings"]:
        f["controls"] = ["ndaa:889(a)(1)(B)", "ndaa:SR-3"] if f["verdict"] == "FAIL" else ["ndaa:SR-3"]
    data["controls"] = [
        {
            "framework": "ndaa",
            "control": "889(a)(1)(B)",
            "title": "Part B <contracts>",
            "pack": "test-pack",
            "status": "not-satisfied",
            "counts": {"FAIL": 2, "REVIEW": 0, "UNKNOWN": 0, "WAIVED": 0, "PASS": 0},
        }
    ]
    for o in data["observations"]:
        o["attributes"]["exposure"] = "0.25"
    view = build_view(data)
    assert [(c.framework, c.control, c.title, c.status, c.counts, c.total, c.policies) for c in view.per_control] == [
        (
            "ndaa",
            "889(a)(1)(B)",
            "Part B <contracts>",
            "not-satisfied",
            {"FAIL": 2, "REVIEW": 0, "UNKNOWN": 0, "PASS": 0, "WAIVED": 0},
            2,
            "test-pack",
        ),
        (
            "ndaa",
            "SR-3",
            "",
            "not-satisfied",
            {"FAIL": 2, "REVIEW": 1, "UNKNOWN": 2, "PASS": 2, "WAIVED": 0},
            7,
            "test-pack",
        ),
    ]
    (exposure,) = [c for c in view.charts["*"] if c.id == "all-exposure"]
    assert [(b.label, b.value) for b in exposure.bars] == [
        ("t.conditional.in-scope", 0.25),
        ("t.conditional.role-unknown", 0.25),
        ("t.listed", 0.25),
    ]
    page = Scan(render_html_dict(data))
    assert {a["data-label"] for a in page.find("g", class_="bar")} >= {"t.listed", "t.conditional.in-scope"}
    assert [(a["data-control"], a["data-status"]) for a in page.find("tr", class_="control")] == [
        ("889(a)(1)(B)", "not-satisfied"),
        ("SR-3", "not-satisfied"),
    ]
    assert "Verdicts per framework control" in page.text and "Part B <contracts>" in page.text


def test_generic_report_renders():
    """A Report from any command (here: a route finding, no attributions) renders, one chart per policy."""
    obs = Observation("rib.mrt:1", "route", SourceRef("rib.mrt", offset=120), attributes={"prefix": "192.0.2.0/24"})
    findings = [
        Finding(
            obs.id,
            "192.0.2.0/24",
            obs.source,
            pol,
            Verdict.FAIL,
            ["r.transit"],
            ["AS64500 on path"],
            [Citation("list", "https://example.org/l")],
            {"id": "x", "name": "X Corp", "country": "CN"},
            site=None,
        )
        for pol in ("p1", "p2")
    ]
    rep = Report(
        "2024-01-01T00:00:00Z",
        "2024-01-01",
        "0.1.0",
        "r1",
        policies=[
            PolicyInfo("p1", "P one", "1", "x", False, "p1.yaml"),
            PolicyInfo("p2", "P two", "1", "x", False, "p2.yaml"),
        ],
        observations=[obs],
        findings=findings,
    )
    page = Scan(render(rep, "html"))
    assert len(page.find("tr", class_="finding")) == 2
    assert {a["data-policy"] for a in page.find("div", class_="chart-group charts")} == {"*", "p1", "p2"}
    assert "rib.mrt@120" in page.text


def test_cli_writes_html_and_oscal(tmp_path):
    out = tmp_path / "report.html"
    code = main(
        [
            "audit",
            str(FIX / "pipeline" / "inventory.csv"),
            "--registry",
            str(FIX / "registry" / "mini"),
            "--policy",
            str(PACK),
            "--on",
            str(date(2024, 6, 1)),
            "--format",
            "html",
            "--output",
            str(out),
        ]
    )
    assert code == 1  # FAIL findings
    page = Scan(out.read_text(encoding="utf-8"))
    assert len(page.find("tr", class_="finding")) == 7
    osc = tmp_path / "report.oscal.json"
    code = main(
        [
            "audit",
            str(FIX / "pipeline" / "inventory.csv"),
            "--registry",
            str(FIX / "registry" / "mini"),
            "--policy",
            str(PACK),
            "--on",
            "2024-06-01",
            "--format",
            "oscal",
            "--output",
            str(osc),
        ]
    )
    assert code == 1
    assert '"oscal-version": "1.2.3"' in osc.read_text(encoding="utf-8")


def test_compare_html_has_comparison_section(tmp_path):
    import html.parser

    from netvet.cli import main

    inv = tmp_path / "inv.csv"
    inv.write_text("hostname,mac,vendor,role\nsw1,00:e0:fc:00:00:01,Huawei,core\nsrv1,,Lenovo,office\n"
                   "cam<script>,,Hikvision,\n")
    out = tmp_path / "cmp.html"
    assert main(["compare", str(inv), "-p", "clean-network", "-p", "fcc-covered-list", "-f", "html",
                 "-o", str(out)]) == 0
    text = out.read_text()
    assert 'id="comparison-table"' in text and 'id="differences-table"' in text
    assert "only clean-network excludes 2 assets." in text
    assert "cam<script>" not in text and "cam&lt;script&gt;" in text

    class Rows(html.parser.HTMLParser):
        def __init__(self):
            super().__init__()
            self.rows, self.table = 0, None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.table = dict(attrs).get("id")
            if tag == "tr" and self.table == "differences-table":
                self.rows += 1

    p = Rows()
    p.feed(text)
    assert p.rows == 1 + 2  # header + Lenovo server (clean-network only) + Hikvision camera (FAIL vs REVIEW)


def test_assets_are_read_and_compiled_once_per_loader():
    assets = Assets(lambda name: "own {{ x }}" if name == "mine.j2" else None, x_default="g")
    assert assets.text("report.css") is assets.text("report.css")
    assert assets.text("report.css") == asset_text("report.css")
    env = assets.env()
    assert env is assets.env() and env.globals["x_default"] == "g" and "VERDICTS" in env.globals
    assert env.get_template("mine.j2").render(x=1) == "own 1"  # the first loader wins
    assert env.get_template("report.html.j2") is env.get_template("report.html.j2")
    assert Assets().env() is not env  # nothing shared between loaders
