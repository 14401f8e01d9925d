"""Render a compliance timeline (analyses/timeline.py): a table, JSON, or an HTML page with an inline SVG chart
(Gantt-like: one bar per dated rule from the evaluation date to its date; offline, no scripts)."""

from __future__ import annotations

import json
from datetime import date
from html import escape

from rich.console import Console, Group
from rich.table import Table

from . import reporter, terminal

KIND = "Timeline"  # analyses.timeline.Timeline


@reporter("json", kind=KIND)
def timeline_json(tl) -> str:
    return json.dumps(tl.to_dict(), indent=2) + "\n"


def _sites(m, limit: int = 4) -> str:
    items = sorted(m.sites.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{s} ({n})" for s, n in items[:limit])
    return text + (f", +{len(items) - limit} more" if len(items) > limit else "")


@terminal(KIND)
def timeline_tables(tl) -> list[Table]:
    tables = []
    for p in tl.packs:
        t = Table(title=f"{p.pack}: {p.title} (as of {tl.evaluated_on})", title_justify="left")
        for col in ("date", "status", "rule", "then", "assets", "sites"):
            t.add_column(col, overflow="fold")
        for m in p.milestones:
            when = f"{-m.days} days ago" if m.days < 0 else ("today" if m.days == 0 else f"in {m.days} days")
            status = ("PASSED" if m.status == "passed" else "upcoming") + f" ({when})"
            t.add_row(m.date, status, f"{m.rule}\n{m.title}", m.verdict, str(m.assets), _sites(m) or "-")
        tables.append(t)
        if p.caps:
            c = Table(title=f"{p.pack}: share caps", title_justify="left")
            for col in ("cap", "group", "supplier", "share", "limit", "assets", "of", "over"):
                c.add_column(col)
            for fig in p.caps:
                c.add_row(fig["cap"], fig["group"], fig["name"], f"{fig['share']:.0%}", f"{fig['limit']:.0%}",
                          str(fig["assets"]), str(fig["population_assets"]), "yes" if fig["exceeded"] else "no")
            tables.append(c)
    return tables


_COLOURS = {("passed", True): "#c0392b", ("upcoming", True): "#e67e22", ("passed", False): "#95a5a6",
            ("upcoming", False): "#bdc3c7"}


def timeline_svg(tl, width: int = 960) -> str:
    rows = [(p, m) for p in tl.packs for m in p.milestones]
    on = date.fromisoformat(tl.evaluated_on)
    dates = [date.fromisoformat(m.date) for _, m in rows] + [on]
    start = date(min(dates).year, 1, 1)
    end = date(max(dates).year + 1, 1, 1)
    left, right, top, row_h = 330, 20, 30, 22
    span = (end - start).days or 1
    height = top + row_h * max(1, len(rows)) + 20

    def x(d: date) -> float:
        return left + (width - left - right) * (d - start).days / span

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" aria-label="compliance timeline" font-family="sans-serif" font-size="11">']
    for year in range(start.year, end.year + 1):
        xx = x(date(year, 1, 1))
        parts.append(f'<line x1="{xx:.1f}" y1="{top - 8}" x2="{xx:.1f}" y2="{height - 15}" stroke="#eee"/>'
                     f'<text x="{xx + 2:.1f}" y="{top - 12}" fill="#666">{year}</text>')
    for i, (p, m) in enumerate(rows):
        y = top + i * row_h
        d = date.fromisoformat(m.date)
        x0, x1 = sorted((x(on), x(d)))
        colour = _COLOURS[(m.status, m.assets > 0)]
        label = escape(f"{p.pack} · {m.rule}")
        parts.append(f'<text x="4" y="{y + 14}" fill="#222">{label}</text>')
        parts.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 2):.1f}" height="{row_h - 8}" '
                     f'fill="{colour}"><title>{escape(m.title)}: {m.date}, {m.assets} assets, then '
                     f'{m.verdict}</title></rect>')
        parts.append(f'<text x="{x1 + 4:.1f}" y="{y + 14}" fill="#222">{m.date} · {m.assets} assets</text>')
    xo = x(on)
    parts.append(f'<line x1="{xo:.1f}" y1="{top - 8}" x2="{xo:.1f}" y2="{height - 15}" stroke="#2c3e50" '
                 f'stroke-dasharray="4 3"/><text x="{xo + 3:.1f}" y="{height - 4}" fill="#2c3e50">'
                 f'evaluated {tl.evaluated_on}</text>')
    parts.append("</svg>")
    return "".join(parts)


@reporter("html", kind=KIND)
def timeline_html(tl) -> str:
    body = [f"<h1>Compliance timeline (as of {escape(tl.evaluated_on)})</h1>"]
    if tl.sample_data:
        body.append('<p class="sample">SAMPLE DATA: not a real network.</p>')
    body.append('<p>Bars run from the evaluation date to each dated rule: red, a date passed with assets still '
                'affected; orange, a date to come with assets to change; grey, no asset affected.</p>')
    body.append(timeline_svg(tl))
    for p in tl.packs:
        body.append(f"<h2>{escape(p.pack)}: {escape(p.title)}</h2>")
        body.append("<p>" + ", ".join(f"{v} {n}" for v, n in p.verdicts.items()) + "</p>")
        body.append("<table><tr><th>date</th><th>status</th><th>rule</th><th>then</th><th>assets</th>"
                    "<th>sites</th></tr>")
        for m in p.milestones:
            body.append(f"<tr><td>{m.date}</td><td>{m.status} ({m.days:+d} days)</td><td>{escape(m.rule)}<br>"
                        f"<small>{escape(m.title)}</small></td><td>{m.verdict}</td><td>{m.assets}</td>"
                        f"<td>{escape(_sites(m, 8))}</td></tr>")
        body.append("</table>")
        if p.caps:
            body.append("<h3>Share caps</h3><table><tr><th>cap</th><th>group</th><th>supplier</th><th>share</th>"
                        "<th>limit</th><th>assets</th><th>assets that make the share</th></tr>")
            for c in p.caps:
                names = ", ".join(c["labels"]) + (f" (+{c['more']})" if c["more"] else "")
                body.append(f"<tr><td>{escape(c['cap'])}</td><td>{escape(c['group'])}</td><td>{escape(c['name'])}"
                            f"</td><td>{c['share']:.0%}</td><td>{c['limit']:.0%}</td><td>{c['assets']} of "
                            f"{c['population_assets']}</td><td>{escape(names)}</td></tr>")
            body.append("</table>")
    style = ("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}"
             ".sample{color:#b00;font-weight:bold}")
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>netvet timeline</title>"
            f"<style>{style}</style></head><body>" + "".join(body) + "</body></html>\n")


@reporter("table", kind=KIND)
def timeline_text(tl) -> str:
    """The terminal tables as plain text (``--format table --output FILE``)."""
    con = Console(record=True, width=160, force_terminal=False, color_system=None)
    with con.capture() as cap:
        con.print(Group(*timeline_tables(tl)))
    return cap.get()
