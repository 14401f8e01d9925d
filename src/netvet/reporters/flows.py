"""The reporters of a flow audit (``netvet flows audit``, :class:`~netvet.flows.audit.FlowAudit`): terminal tables,
text, CSV and JSON; HTML through the core reporter of its Report."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Group
from rich.table import Table
from rich.text import Text

from . import reporter, terminal

KIND = "FlowAudit"  # netvet.flows.audit.FlowAudit: named, so that rendering a Report never imports the flow engine

VERDICT_STYLE = {"FAIL": "bold red", "REVIEW": "yellow", "UNKNOWN": "magenta", "PASS": "green"}
CSV_COLUMNS = ("policy", "verdict", "line", "remote", "label", "entity_id", "entity_name", "entity_kind",
               "entity_country", "origin_asns", "records", "flows", "bytes", "to_bytes", "from_bytes", "packets",
               "hosts", "first_seen", "last_seen", "attribution", "method", "confidence")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


@reporter("json", kind=KIND)
def to_json(audit) -> str:
    return json.dumps({**audit.document, "engine": audit.engine}, indent=2, default=str) + "\n"


@reporter("csv", kind=KIND)
def to_csv(audit) -> str:
    """One row per (policy, remote party): its verdict, line, entity and traffic."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for pid in [p["id"] for p in audit.document["policies"]]:
        for r in audit.document["remotes"]:
            e = r["entity"]
            w.writerow([pid, r["verdicts"].get(pid, ""), r["line"], r["id"], r["label"], e["id"] or "", e["name"] or "",
                        e["kind"] or "", e["country"] or "", " ".join(str(a) for a in r["origin_asns"]),
                        r["records"], r["flows"], r["bytes"], r["to_bytes"], r["from_bytes"], r["packets"],
                        "" if r["hosts"] is None else r["hosts"], r["first_seen"] or "", r["last_seen"] or "",
                        r["attribution"]["status"], r["attribution"]["method"] or "", r["attribution"]["confidence"]])
    return buf.getvalue()


@terminal(KIND)
def renderables(audit, hours: int = 24, limit: int = 20) -> list:
    d = audit.document
    out: list = []
    t = Table(title="Inputs", title_justify="left")
    for col in ("file", "format", "records", "attributed", "unattributed", "skipped", "malformed"):
        t.add_column(col, justify="left" if col in ("file", "format") else "right")
    for s in d["inputs"]:
        t.add_row(s["file"], s["format"], str(s["read"]), str(s["attributed"]), str(s["unattributed"]),
                  str(s["skipped"]), Text(str(s["malformed"]), style="red" if s["malformed"] else ""))
    out.append(t)

    t = Table(title="Traffic by direction", title_justify="left",
              caption="to/from remote: bytes sent to / received from the external party (local: src->dst / dst->src)")
    for col in ("class", "records", "flows", "bytes to remote", "bytes from remote"):
        t.add_column(col, justify="left" if col == "class" else "right")
    for name, c in d["traffic"].items():
        if c["records"]:
            t.add_row(name, str(c["records"]), str(c["flows"]), _size(c["to_bytes"]), _size(c["from_bytes"]))
    out.append(t)

    for pid, ex in d["exposure"].items():
        t = Table(title=f"{pid}: exposure per policy line", title_justify="left")
        for col in ("line", "verdict", "entities", "bytes", "to remote", "from remote", "flows", "internal hosts",
                    "first", "last"):
            t.add_column(col, justify="left" if col in ("line", "verdict", "first", "last") else "right")
        for ln in ex["lines"]:
            t.add_row(ln["line"], Text(ln["verdict"], style=VERDICT_STYLE.get(ln["verdict"], "")), str(ln["entities"]),
                      _size(ln["bytes"]), _size(ln["to_bytes"]), _size(ln["from_bytes"]), str(ln["flows"]),
                      str(ln["hosts"]), ln["first_seen"] or "", ln["last_seen"] or "")
        if not ex["lines"]:
            t.add_row("-", Text("none", style="green"), "0", "0 B", "0 B", "0 B", "0", "0", "", "")
        out.append(t)
        if ex["entities"]:
            t = Table(title=f"{pid}: excluded (FAIL) and review entities", title_justify="left")
            for col in ("verdict", "entity", "country", "line", "bytes", "to remote", "flows", "hosts", "first",
                        "last", "via"):
                t.add_column(col, overflow="fold", justify="right" if col in ("bytes", "to remote", "flows", "hosts")
                             else "left")
            for e in ex["entities"][:limit]:
                t.add_row(Text(e["verdict"], style=VERDICT_STYLE.get(e["verdict"], "")), e["entity"]["name"] or "",
                          e["entity"]["country"] or "", e["line"], _size(e["bytes"]), _size(e["to_bytes"]),
                          str(e["flows"]), str(e["hosts"]), e["first_seen"] or "", e["last_seen"] or "",
                          ", ".join(r.removeprefix("flow:") for r in e["remotes"][:4]))
            out.append(t)
        if ex["top_hosts"]:
            t = Table(title=f"{pid}: internal hosts talking to them", title_justify="left")
            for col in ("host", "bytes", "to remote", "flows", "entities"):
                right = col in ("bytes", "to remote", "flows")
                t.add_column(col, overflow="fold", justify="right" if right else "left")
            for h in ex["top_hosts"][:limit]:
                t.add_row(h["host"], _size(h["bytes"]), _size(h["to_bytes"]), str(h["flows"]), ", ".join(h["entities"]))
            out.append(t)
        if ex["hourly"]:
            t = Table(title=f"{pid}: traffic to them per hour (UTC)", title_justify="left")
            for col in ("hour", "line", "verdict", "bytes", "flows"):
                t.add_column(col, justify="right" if col in ("bytes", "flows") else "left")
            rows = ex["hourly"]
            for h in rows[:hours]:
                t.add_row(h["hour"] or "(no time)", h["line"], h["verdict"], _size(h["bytes"]), str(h["flows"]))
            if len(rows) > hours:
                t.caption = f"{len(rows) - hours} more rows in --format json"
            out.append(t)
    unknown = [r for r in d["remotes"] if "UNKNOWN" in r["verdicts"].values()]
    if unknown:
        total = sum(r["bytes"] for r in unknown)
        out.append(Text(f"{len(unknown)} remote part(y/ies) could not be attributed ({_size(total)}): "
                        + ", ".join(r["label"] for r in unknown[:5]) + (" ..." if len(unknown) > 5 else ""),
                        style="magenta"))
    for n in d["notes"]:
        if n.startswith("no IP"):
            out.append(Text(n, style="yellow"))
    return out


@reporter("table", kind=KIND)
def to_text(audit, width: int = 160) -> str:
    from rich.console import Console

    console = Console(record=True, width=width, file=io.StringIO(), force_terminal=False)
    console.print(Group(*renderables(audit)))
    return console.export_text()


@reporter("html", kind=KIND)
def to_html(audit) -> str:
    from . import render

    return render(audit.report, "html")
