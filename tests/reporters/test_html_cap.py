"""The HTML page of a streamed audit: the Report's page up to HTML_FINDINGS findings; past it the most severe,
the evidence of their observations, the counts of the whole run and a note saying so."""

from __future__ import annotations

import io
from collections import Counter

import pytest

from netvet.reporters import render
from netvet.reporters.html import HTML_FINDINGS, write_run_html
from tests.fixtures.reports.htmlscan import Scan
from tests.fixtures.reports.reportkit import HOSTILE, INVENTORY_V1, INVENTORY_V2
from tests.reporters.test_table_stream import inventory, streamed


def page(run, limit: int = HTML_FINDINGS) -> str:
    buf = io.StringIO()
    write_run_html(run, buf, limit)
    return buf.getvalue()


@pytest.mark.parametrize("paths", [[INVENTORY_V1], [INVENTORY_V2, HOSTILE]])
def test_streamed_page_is_the_report_page(paths):
    run = streamed(paths)
    try:
        assert page(run) == render(run.report(), "html") + "\n"  # a file ends with a newline, as the CLI writes one
        assert "This page lists" not in page(run)
    finally:
        run.close()


def test_a_run_past_the_cap_lists_the_most_severe_and_says_so(tmp_path):
    assert HTML_FINDINGS == 10_000
    run = streamed([inventory(tmp_path / "inv.csv", 403)])  # 101 FAIL, 101 REVIEW, 101 UNKNOWN, 100 PASS
    try:
        text = page(run, 150)
        whole = render(run.report(), "html") + "\n"
        assert page(run, 403) == whole  # at the cap: the whole page
    finally:
        run.close()
    scan = Scan(text)
    rows = scan.find("tr", class_="finding")
    assert len(rows) == 150
    assert Counter(r["data-verdict"] for r in rows) == {"FAIL": 101, "REVIEW": 49}
    assert len(scan.find("details", class_="evidence")) == 150
    # the totals are the run's, not the page's
    assert [scan.text_by_id[f"total-{v}"] for v in ("FAIL", "REVIEW", "UNKNOWN", "PASS", "WAIVED")] == [
        "101", "101", "101", "100", "0"]
    note = ("This page lists 150 of 403 findings (the most severe first: FAIL, REVIEW, UNKNOWN, WAIVED, then PASS) "
            "and the evidence of their 150 of 403 observations; the totals and the counts per policy are those of "
            "all 403 findings, the charts, filters and table those listed. Every finding is in --format json or csv.")
    assert note in scan.texts
    assert len(Scan(whole).find("tr", class_="finding")) == 403 and note not in Scan(whole).texts

