"""The terminal table of a streamed audit: the same text as the Report's, holding only the findings it lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from netvet.reporters import render
from netvet.reporters.table import FINDINGS_SHOWN, TableView, most_severe, report_view, run_view
from tests.fixtures.reports.reportkit import HOSTILE, INVENTORY_V1, INVENTORY_V2, streamed

HEADER = "hostname,ip,mac,vendor,model,serial,role,site,sys_object_id\n"
# per row of the generated inventory: FAIL (RedCo, listed), REVIEW (CamCo, no role), UNKNOWN (unattributed),
# PASS (BlueNet)
ROWS = ["core-{i},10.0.{a}.{b},,RedCo,R1,S{i},critical-infrastructure,hq,\n",
        "cam-{i},10.1.{a}.{b},,CamCo,C1,S{i},,hq,\n",
        "laptop-{i},10.2.{a}.{b},02:11:22:{a:02x}:{b:02x}:01,,,,office,hq,\n",
        "sw-{i},10.3.{a}.{b},a0:b0:c2:00:{a:02x}:{b:02x},BlueNet,B1,S{i},office,hq,1.3.6.1.4.1.99002.5\n"]


def inventory(path: Path, n: int) -> Path:
    """``n`` rows cycling FAIL, REVIEW, UNKNOWN, PASS under the test pack."""
    with path.open("w") as fh:
        fh.write(HEADER)
        for i in range(n):
            fh.write(ROWS[i % 4].format(i=i, a=i // 250, b=i % 250))
    return path


@pytest.mark.parametrize("paths", [[INVENTORY_V1], [INVENTORY_V2, HOSTILE]])
def test_streamed_table_is_the_report_table(paths):
    run = streamed(paths)
    try:
        assert render(run_view(run), "table") == render(run.report(), "table")
    finally:
        run.close()


def test_a_large_run_lists_the_most_severe_and_counts_the_rest(tmp_path):
    n = 403  # 101 FAIL, 101 REVIEW, 101 UNKNOWN, 100 PASS
    run = streamed([inventory(tmp_path / "inv.csv", n)])
    try:
        view = run_view(run)
        report = run.report()
        text = render(view, "table")
        assert text == render(report, "table")
    finally:
        run.close()
    assert isinstance(view, TableView) and view.attention_total == 303
    assert len(view.attention) == FINDINGS_SHOWN == 40
    assert {str(f.verdict) for f in view.attention} == {"FAIL"}  # FAIL first: 101 of them
    assert "40 of 303 shown; use --format json or csv for all" in text
    # the same order as sorting every finding: (verdict, policy, subject), ties in report order
    order = {"FAIL": 0, "REVIEW": 1, "UNKNOWN": 2}
    every = sorted((f for f in report.findings if str(f.verdict) in order),
                   key=lambda f: (order[str(f.verdict)], f.policy, f.subject))
    assert [f.subject for f in view.attention] == [f.subject for f in every[:40]]
    assert report_view(report).attention == view.attention


def test_most_severe_keeps_ties_in_report_order():
    class F:
        def __init__(self, i, verdict, subject="s"):
            self.i, self.verdict, self.policy, self.subject = i, verdict, "p", subject

    fs = [F(0, "PASS"), F(1, "UNKNOWN"), F(2, "FAIL"), F(3, "UNKNOWN"), F(4, "FAIL"), F(5, "REVIEW"), F(6, "WAIVED")]
    shown, total = most_severe(iter(fs), 3)
    assert [f.i for f in shown] == [2, 4, 5] and total == 5
    shown, total = most_severe(iter(fs), 10)
    assert [f.i for f in shown] == [2, 4, 5, 1, 3] and total == 5
    assert most_severe(iter([]), 3) == ([], 0)
