"""Terminal report: Rich tables of the summary and of the findings that need attention."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ..model import Report, Verdict
from . import reporter, terminal

VERDICT_STYLE = {"FAIL": "bold red", "REVIEW": "yellow", "UNKNOWN": "magenta", "PASS": "green", "WAIVED": "cyan"}


def summary_table(report: Report) -> Table:
    s = report.summary()
    t = Table(title="Verdicts per policy", title_justify="left")
    t.add_column("policy")
    for v in Verdict:
        t.add_column(str(v), justify="right", style=VERDICT_STYLE[str(v)])
    for pol, counts in s["per_policy"].items():
        t.add_row(pol, *[str(counts[str(v)]) for v in Verdict])
    return t


def inputs_table(report: Report) -> Table:
    t = Table(title="Inputs (read = attributed + unattributed + malformed + skipped, in the unit shown)",
              title_justify="left")
    for col in ("file", "format", "unit", "read", "attributed", "unattributed", "malformed", "skipped", "errors"):
        t.add_column(col, justify="left" if col in ("file", "format", "unit") else "right")
    for s in report.inputs:
        if s.failed:
            t.add_row(s.file, s.format, "", "", "", "", "", "", Text(f"not read: {s.failed}", style="bold red"))
            continue
        sc = s.source_counts
        unit = s.unit + (f" (from {sc['read']} {sc['unit']}s, {sc['malformed']} malformed)" if sc else "")
        t.add_row(s.file, s.format, unit, str(s.read), str(s.attributed), str(s.unattributed),
                  Text(str(s.malformed), style="red" if s.malformed else ""), str(s.skipped),
                  Text(str(s.errors), style="red" if s.errors else ""))
    return t


def entity_table(report: Report, limit: int = 15, key: str = "per_entity") -> Table:
    s = report.summary()
    pols = [p.id for p in report.policies]
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


def findings_table(report: Report, limit: int = 40) -> Table:
    t = Table(title="Findings needing attention (FAIL, REVIEW, UNKNOWN)", title_justify="left")
    for col in ("verdict", "policy", "asset", "where", "entity", "reason"):
        t.add_column(col, overflow="fold")
    shown = 0
    order = {"FAIL": 0, "REVIEW": 1, "UNKNOWN": 2}
    for f in sorted((f for f in report.findings if str(f.verdict) in order),
                    key=lambda f: (order[str(f.verdict)], f.policy, f.subject)):
        if shown >= limit:
            break
        ent = f.entity or {}
        who = f"{ent.get('name') or '-'}" + (f" [{ent.get('country')}]" if ent.get("country") else "")
        t.add_row(Text(str(f.verdict), style=VERDICT_STYLE[str(f.verdict)]), f.policy, f.label, str(f.source),
                  who, f.reasons[0] if f.reasons else "")
        shown += 1
    total = sum(1 for f in report.findings if str(f.verdict) in order)
    if total > shown:
        t.caption = f"{shown} of {total} shown; use --format json or csv for all"
    return t


def issues_table(report: Report, limit: int = 20) -> Table | None:
    issues = [i for s in report.inputs for i in s.issues]
    if not issues:
        return None
    not_shown = sum(s.problems_not_shown for s in report.inputs)
    t = Table(title=f"Input problems ({len(issues) + not_shown})", title_justify="left")
    t.add_column("where")
    t.add_column("severity")
    t.add_column("reason", overflow="fold")
    for i in issues[:limit]:
        where = i.file + (f":{i.line}" if i.line is not None else "") + (f"@{i.offset}" if i.offset is not None else "")
        t.add_row(where, i.severity, i.reason)
    for s in report.inputs:  # past the per-input cap: counted, not itemised
        if s.problems_not_shown:
            t.add_row(s.file, "", s.not_shown_line())
    return t


def controls_table(report: Report) -> Table | None:
    if not report.controls:
        return None
    t = Table(title="Framework controls", title_justify="left")
    for col in ("framework", "control", "status", "FAIL", "REVIEW", "UNKNOWN", "WAIVED", "PASS", "title"):
        t.add_column(col, overflow="fold")
    style = {"not-satisfied": "bold red", "needs-review": "yellow", "satisfied": "green", "not-assessed": "magenta"}
    for c in report.controls:
        n = c["counts"]
        t.add_row(c["framework"], c["control"], Text(c["status"], style=style[c["status"]]), str(n["FAIL"]),
                  str(n["REVIEW"]), str(n["UNKNOWN"]), str(n["WAIVED"]), str(n["PASS"]), c["title"])
    return t


@terminal()
def render_renderables(report: Report) -> list:
    parts = [inputs_table(report), summary_table(report), entity_table(report),
             entity_table(report, key="per_group"), findings_table(report)]
    ctl = controls_table(report)
    if ctl is not None:
        parts.insert(2, ctl)
    if report.waivers:
        w = report.waivers
        parts.append(Text(f"waivers: applied {', '.join(w['applied']) or '-'}; expired (not applied) "
                          f"{', '.join(w['expired']) or '-'}; unused {', '.join(w['unused']) or '-'}",
                          style="yellow" if w["expired"] else ""))
    issues = issues_table(report)
    if issues is not None:
        parts.append(issues)
    if report.sample_data:
        parts.insert(0, Text("SAMPLE DATA: a generated demonstration network, not a real one.", style="bold"))
    return parts


@reporter("table")
def render_table(report: Report) -> str:
    console = Console(record=True, width=140, force_terminal=False, color_system=None)
    parts = render_renderables(report)
    with console.capture() as cap:
        console.print(Group(*parts))
    return cap.get()
