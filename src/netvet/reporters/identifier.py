"""`netvet attribute`: the typed result (one identifier's attribution with its evidence chain) and its reporters
(json; the table: a summary and the evidence chain)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from . import reporter, terminal


@dataclass
class IdentifierResult:
    """The attribution of one identifier (``IdentifierAttribution.to_dict()``, with the chain the command built
    and the entity's summary under ``entity`` when attributed) and the title of its table (``kind value``)."""

    title: str
    data: dict
    confidence: float | None = None  # unrounded (the document's is rounded to 3 places); None: the document's


@reporter("json", kind=IdentifierResult)
def identifier_json(result: IdentifierResult) -> str:
    return json.dumps(result.data, indent=2, default=str)


@terminal(IdentifierResult)
def identifier_tables(result: IdentifierResult) -> list:
    from rich.table import Table

    data = result.data
    t = Table(title=result.title, show_header=False, title_justify="left")
    t.add_column("field", style="bold")
    t.add_column("value", overflow="fold")
    t.add_row("status", data["status"])
    ent = data.get("entity")
    t.add_row("entity", f"{ent['name']} ({ent['id']}), {ent['country']}" if data.get("entity_id") else "-")
    if data.get("org_name"):
        t.add_row("registry name", data["org_name"] + (f" ({data['country']})" if data.get("country") else ""))
    conf = data["confidence"] if result.confidence is None else result.confidence
    t.add_row("method", f"{data['method']}, confidence {conf:.2f}, relation {data['relation']}")
    if data.get("reason"):
        t.add_row("reason", data["reason"])
    chain = Table(title="Evidence chain", title_justify="left")
    for col in ("#", "step", "detail", "registry", "source", "as of"):
        chain.add_column(col, overflow="fold")
    for i, s in enumerate(data["chain"], 1):
        chain.add_row(str(i), s.get("step", ""), s.get("detail", ""), s.get("registry") or "",
                      s.get("source") or "", s.get("as_of") or "")
    return [t, chain]


@reporter("table", kind=IdentifierResult)
def identifier_table(result: IdentifierResult) -> str:
    """The tables as plain text, 160 columns wide (when not printed on a terminal)."""
    from rich.console import Console

    con = Console(width=160, force_terminal=False, color_system=None)
    with con.capture() as cap:
        for part in identifier_tables(result):
            con.print(part)
    return cap.get()
