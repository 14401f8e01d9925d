"""`netvet cables audit | exposure`: the typed results and their reporters (table, json; html with a map)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass

from . import reporter


@dataclass
class CableAudit:
    """The cables landing in one country under one policy (``cable_audit.audit_country``'s document) and how to
    get the route geometry of those cables (for the html map: read only when that format is rendered)."""

    data: dict
    routes: Callable[[], dict] = dict  # () -> {cable id: route geometry} (CableMap.routes)


@dataclass
class CableExposure:
    """The cables a path may ride (``cable_audit.exposure``'s document)."""

    data: dict


def _table_text(render: Callable) -> str:
    """What ``render`` prints on a 160-column console without colour (the table format, on screen or in a file)."""
    from rich.console import Console

    buf = io.StringIO()
    render(Console(file=buf, width=160, force_terminal=False, color_system=None))
    return buf.getvalue()


@reporter("json", kind=CableAudit)
def audit_json(result: CableAudit) -> str:
    return json.dumps(result.data, indent=2, ensure_ascii=False, default=str) + "\n"


@reporter("html", kind=CableAudit)
def audit_html(result: CableAudit) -> str:
    from .cable_map import render_cable_html

    return render_cable_html(result.data, result.routes())


@reporter("table", kind=CableAudit)
def audit_table(result: CableAudit) -> str:
    from rich.table import Table

    doc = result.data

    def render(con):
        s = doc["summary"]
        con.print(f"Cables landing in {doc['country']} under {doc['policy']['id']} (evaluated on "
                  f"{doc['evaluated_on']}): {s['cables']} cables, {s['landing_points']} landing points; "
                  f"{s['parties_attributed']} of {s['parties']} owners/suppliers attributed", highlight=False)
        t = Table("verdict", "cable", "RFS", "owners", "suppliers", show_lines=False)
        for c in doc["cables"]:
            def cell(role, c=c):
                return ", ".join(f"{p['name']}->{p['entity']['id'] if p['entity'] else '?'} [{p['verdict']}]"
                                 for p in c["parties"] if p["role"] == role) or "-"
            t.add_row(c["verdict"], c["name"], f"{c.get('rfs_year') or ''}{' planned' if c['is_planned'] else ''}",
                      cell("owner"), cell("supplier"))
        con.print(t)
        lt = Table("verdict", "landing point", "cables")
        for p in doc["landing_points"]:
            lt.add_row(p["verdict"], p["name"], str(len(p["cables"])))
        con.print(lt)
        for role in ("supplier", "owner"):
            names = doc["unmatched"][role]
            if names:
                con.print(f"unmatched {role}s ({len(names)}): " + "; ".join(
                    f"{u['name']} ({len(u['cables'])})" for u in names), highlight=False, markup=False)
        con.print(f"data: {doc['data']['licence']}", highlight=False, markup=False)

    return _table_text(render)


@reporter("json", kind=CableExposure)
def exposure_json(result: CableExposure) -> str:
    return json.dumps(result.data, indent=2, ensure_ascii=False) + "\n"


@reporter("table", kind=CableExposure)
def exposure_table(result: CableExposure) -> str:
    from rich.table import Table

    doc = result.data

    def render(con):
        t = Table("AS", "carrier", "cables it may ride (may)")
        for c in doc["carriers"]:
            t.add_row(f"AS{c['asn']}", c["entity"]["name"] if c["entity"] else "-",
                      "; ".join(f"{x['name']} ({x['relation']})" for x in c["cables"]) or c.get("note", ""))
        con.print(t)
        con.print(doc["meaning"], highlight=False, markup=False)

    return _table_text(render)
