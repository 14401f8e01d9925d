"""`netvet compare`: the same evidence under two or more policies, as a typed result and its reporters
(table, json, html)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from . import reporter, terminal


@dataclass
class Comparison:
    """The comparison document (``analyses.compare.compare`` with its ``headline``) and the report it compares."""

    report: Any  # model.Report
    data: dict
    limit: int = 30  # differences shown in the table


def comparison_tables(result: Comparison) -> list:
    cmp = result.data
    parts: list = [Text("• " + line) for line in cmp["headline"]]
    t = Table(title="Per policy", title_justify="left")
    for col in ("policy", "approach", "FAIL", "REVIEW", "UNKNOWN", "PASS", "excluded sites", "excluded vendors"):
        t.add_column(col, overflow="fold")
    for pol, p in cmp["per_policy"].items():
        v = p["verdicts"]
        t.add_row(pol, p["approach"] + (" (vendor-neutral)" if p["vendor_neutral"] else ""), str(v["FAIL"]),
                  str(v["REVIEW"]), str(v["UNKNOWN"]), str(v["PASS"]), str(p["excluded_sites"]),
                  ", ".join(p["excluded_vendors"]))
    parts.append(t)
    d = Table(title=f"Assets on which the policies disagree ({len(cmp['differences'])})", title_justify="left")
    d.add_column("asset")
    d.add_column("entity")
    for pol in cmp["policies"]:
        d.add_column(pol)
    for row in cmp["differences"][: result.limit]:
        ent = (row["entity"] or {}).get("name") or "-"
        d.add_row(row["label"], ent, *[row["verdicts"].get(p, "-") + (
            f"\n{', '.join(row['why'][p]['rules'])}" if p in row["why"] and row["why"][p]["rules"] else "")
            for p in cmp["policies"]])
    parts.append(d)
    return parts


@terminal(Comparison)
def comparison_renderables(result: Comparison) -> list:
    return comparison_tables(result)


@reporter("table", kind=Comparison)
def comparison_text(result: Comparison) -> str:
    con = Console(record=True, width=160, force_terminal=False, color_system=None)
    with con.capture() as cap:
        con.print(Group(*comparison_tables(result)))
    return cap.get()


@reporter("json", kind=Comparison)
def comparison_json(result: Comparison) -> str:
    return json.dumps(result.data, indent=2, default=str) + "\n"


@reporter("html", kind=Comparison)
def comparison_html(result: Comparison) -> str:
    from .html import render_compare_html

    return render_compare_html(result.report, result.data)
