"""Terminal report: Rich tables of the summary and of the findings that need attention.

Everything is drawn from a :class:`TableView`: the report's summary, inputs, controls and waivers, and the first
:data:`FINDINGS_SHOWN` findings needing attention in (verdict, policy, subject) order with their total. A view of a
streamed audit (:func:`run_view`) keeps only those findings while the run's are evaluated one at a time, so the
default output of ``netvet audit`` needs memory for :data:`FINDINGS_SHOWN` findings, not for all of them; the table
says how many it shows of how many, and that ``--format json`` or ``csv`` gives them all.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..model import Finding, ReadStats, Report, Verdict
from . import AUDIT_RUN, reporter, terminal

VERDICT_STYLE = {"FAIL": "bold red", "REVIEW": "yellow", "UNKNOWN": "magenta", "PASS": "green", "WAIVED": "cyan"}
FINDINGS_SHOWN = 40  # rows of the findings table (the most severe first); the rest are counted, not listed
ATTENTION_ORDER = {"FAIL": 0, "REVIEW": 1, "UNKNOWN": 2}


@dataclass
class TableView:
    """What the terminal report of an audit shows: the summary (``Report.summary``), policy ids, inputs, framework
    controls, waivers, and ``attention``: the first findings needing attention (FAIL, REVIEW, UNKNOWN, in that
    order, then by policy and subject, ties in report order), ``attention_total`` of them in all."""

    summary: dict
    policies: list[str]
    inputs: list[ReadStats]
    controls: list[dict] = field(default_factory=list)
    waivers: dict | None = None
    sample_data: bool = False
    attention: list[Finding] = field(default_factory=list)
    attention_total: int = 0


def most_severe(findings: Iterable[Finding], limit: int = FINDINGS_SHOWN) -> tuple[list[Finding], int]:
    """The first ``limit`` findings needing attention in (verdict, policy, subject) order, ties in the order they
    come (``sorted(...)[:limit]``, holding ``limit`` of them), and how many need attention in all."""
    total = 0

    def attention():
        nonlocal total
        for i, f in enumerate(findings):
            rank = ATTENTION_ORDER.get(str(f.verdict))
            if rank is not None:
                total += 1
                yield (rank, f.policy, f.subject, i), f

    top = heapq.nsmallest(limit, attention(), key=lambda kf: kf[0])
    return [f for _, f in top], total


def report_view(report: Report, limit: int = FINDINGS_SHOWN) -> TableView:
    """The view of a Report held in memory."""
    shown, total = most_severe(report.findings, limit)
    return TableView(report.summary(), [p.id for p in report.policies], list(report.inputs), list(report.controls),
                     report.waivers, report.sample_data, shown, total)


def run_view(run, limit: int = FINDINGS_SHOWN) -> TableView:
    """The view of a streamed audit (``pipeline.AuditRun``): its head, and one pass over its findings keeping
    ``limit`` of them."""
    head = run.head()
    shown, total = most_severe(run.findings(), limit)
    return TableView(head["summary"], [p["id"] for p in head["policies"]], list(run.inputs), list(head["controls"]),
                     head["waivers"], bool(head["sample_data"]), shown, total)


def _view(report: Report | TableView) -> TableView:
    return report if isinstance(report, TableView) else report_view(report)


def summary_table(report: Report | TableView) -> Table:
    s = _view(report).summary
    t = Table(title="Verdicts per policy", title_justify="left")
    t.add_column("policy")
    for v in Verdict:
        t.add_column(str(v), justify="right", style=VERDICT_STYLE[str(v)])
    for pol, counts in s["per_policy"].items():
        t.add_row(pol, *[str(counts[str(v)]) for v in Verdict])
    return t


def inputs_table(report: Report | TableView) -> Table:
    t = Table(title="Inputs (read = attributed + unattributed + malformed + skipped, in the unit shown)",
              title_justify="left")
    for col in ("file", "format", "unit", "read", "attributed", "unattributed", "malformed", "skipped", "errors"):
        t.add_column(col, justify="left" if col in ("file", "format", "unit") else "right")
    for s in _view(report).inputs:
        if s.failed:
            t.add_row(s.file, s.format, "", "", "", "", "", "", Text(f"not read: {s.failed}", style="bold red"))
            continue
        sc = s.source_counts
        unit = s.unit + (f" (from {sc['read']} {sc['unit']}s, {sc['malformed']} malformed)" if sc else "")
        t.add_row(s.file, s.format, unit, str(s.read), str(s.attributed), str(s.unattributed),
                  Text(str(s.malformed), style="red" if s.malformed else ""), str(s.skipped),
                  Text(str(s.errors), style="red" if s.errors else ""))
    return t


def entity_table(report: Report | TableView, limit: int = 15, key: str = "per_entity") -> Table:
    view = _view(report)
    s, pols = view.summary, view.policies
    what = "group (ultimate parent)" if key == "per_group" else "entity"
    t = Table(title=f"Findings per {what} (FAIL/REVIEW per policy)", title_justify="left")
    t.add_column(what)
    for p in pols:
        t.add_column(p, justify="right")
    rows = []
    for counts in s[key].values():
        cells = [f"{counts.get(f'{p}:FAIL', 0)}/{counts.get(f'{p}:REVIEW', 0)}" for p in pols]
        weight = sum(counts.get(f"{p}:FAIL", 0) * 10 + counts.get(f"{p}:REVIEW", 0) for p in pols)
        rows.append((weight, counts["name"], cells))
    for _, name, cells in sorted(rows, key=lambda r: (-r[0], r[1]))[:limit]:
        t.add_row(name, *cells)
    return t


def findings_table(report: Report | TableView, limit: int = FINDINGS_SHOWN) -> Table:
    view = report_view(report, limit) if isinstance(report, Report) else report
    t = Table(title="Findings needing attention (FAIL, REVIEW, UNKNOWN)", title_justify="left")
    for col in ("verdict", "policy", "asset", "where", "entity", "reason"):
        t.add_column(col, overflow="fold")
    shown = 0
    for f in view.attention[:limit]:
        ent = f.entity or {}
        who = f"{ent.get('name') or '-'}" + (f" [{ent.get('country')}]" if ent.get("country") else "")
        t.add_row(Text(str(f.verdict), style=VERDICT_STYLE[str(f.verdict)]), f.policy, f.label, str(f.source),
                  who, f.reasons[0] if f.reasons else "")
        shown += 1
    total = view.attention_total
    if total > shown:
        t.caption = f"{shown} of {total} shown; use --format json or csv for all"
    return t


def issues_table(report: Report | TableView, limit: int = 20) -> Table | None:
    inputs = _view(report).inputs
    issues = [i for s in inputs for i in s.issues]
    if not issues:
        return None
    not_shown = sum(s.problems_not_shown for s in inputs)
    t = Table(title=f"Input problems ({len(issues) + not_shown})", title_justify="left")
    t.add_column("where")
    t.add_column("severity")
    t.add_column("reason", overflow="fold")
    for i in issues[:limit]:
        where = i.file + (f":{i.line}" if i.line is not None else "") + (f"@{i.offset}" if i.offset is not None else "")
        t.add_row(where, i.severity, i.reason)
    for s in inputs:  # past the per-input cap: counted, not itemised
        if s.problems_not_shown:
            t.add_row(s.file, "", s.not_shown_line())
    return t


def controls_table(report: Report | TableView) -> Table | None:
    controls = _view(report).controls
    if not controls:
        return None
    t = Table(title="Framework controls", title_justify="left")
    for col in ("framework", "control", "status", "FAIL", "REVIEW", "UNKNOWN", "WAIVED", "PASS", "title"):
        t.add_column(col, overflow="fold")
    style = {"not-satisfied": "bold red", "needs-review": "yellow", "satisfied": "green", "not-assessed": "magenta"}
    for c in controls:
        n = c["counts"]
        t.add_row(c["framework"], c["control"], Text(c["status"], style=style[c["status"]]), str(n["FAIL"]),
                  str(n["REVIEW"]), str(n["UNKNOWN"]), str(n["WAIVED"]), str(n["PASS"]), c["title"])
    return t


@terminal()
@terminal(TableView)
def render_renderables(report: Report | TableView) -> list:
    view = _view(report)
    parts = [inputs_table(view), summary_table(view), entity_table(view),
             entity_table(view, key="per_group"), findings_table(view)]
    ctl = controls_table(view)
    if ctl is not None:
        parts.insert(2, ctl)
    if view.waivers:
        w = view.waivers
        parts.append(Text(f"waivers: applied {', '.join(w['applied']) or '-'}; expired (not applied) "
                          f"{', '.join(w['expired']) or '-'}; unused {', '.join(w['unused']) or '-'}",
                          style="yellow" if w["expired"] else ""))
    issues = issues_table(view)
    if issues is not None:
        parts.append(issues)
    if view.sample_data:
        parts.insert(0, Text("SAMPLE DATA: a generated demonstration network, not a real one.", style="bold"))
    return parts


@reporter("table")
@reporter("table", kind=TableView)
def render_table(report: Report | TableView) -> str:
    console = Console(record=True, width=140, force_terminal=False, color_system=None)
    parts = render_renderables(report)
    with console.capture() as cap:
        console.print(Group(*parts))
    return cap.get()


@terminal(AUDIT_RUN)
def render_run_renderables(run) -> list:
    """The terminal table of a streamed audit: its summary and the most severe findings (:func:`run_view`)."""
    return render_renderables(run_view(run))


@reporter("table", kind=AUDIT_RUN)
def render_run_table(run) -> str:
    return render_table(run_view(run))
