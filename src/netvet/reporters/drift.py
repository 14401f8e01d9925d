"""`netvet diff RUN_A RUN_B`: the reporters of a ``history.drift.Drift`` (new, resolved and changed findings
between two recorded runs): json, and the table (Rich renderables on a terminal, plain text in a file)."""

from __future__ import annotations

import json
from typing import Any

from . import reporter, terminal

VERDICT_STYLE = {
    "FAIL": "bold red",
    "REVIEW": "yellow",
    "UNKNOWN": "magenta",
    "PASS": "green",
    "WAIVED": "cyan",
    "absent": "dim",
}


@terminal("Drift")
def drift_tables(drift: Any) -> list:
    from rich.table import Table
    from rich.text import Text

    parts: list = []
    c = drift.to_dict()["counts"]
    parts.append(
        Text(
            f"from {drift.run_a} to {drift.run_b}: {c['new']} new, {c['resolved']} resolved, "
            f"{c['changed']} changed, {c['unchanged']} unchanged; subjects added (PASS) "
            f"{c['subjects_added']}, removed (PASS) {c['subjects_removed']} (subject keys: --format json)"
        )
    )
    for name, rows in (("New", drift.new), ("Resolved", drift.resolved), ("Changed", drift.changed)):
        if not rows:
            continue
        t = Table(title=f"{name} ({len(rows)})", title_justify="left")
        for col in ("policy", "asset", "site", "before", "after", "rules", "entity"):
            t.add_column(col, overflow="fold")
        for ch in rows:
            rules = ", ".join(ch.rules_after or ch.rules_before)
            if ch.rules_before and ch.rules_after and ch.rules_before != ch.rules_after:
                rules = f"{', '.join(ch.rules_before)} -> {', '.join(ch.rules_after)}"
            ent = ch.entity_after or ch.entity_before or "-"
            if ch.entity_before and ch.entity_after and ch.entity_before != ch.entity_after:
                ent = f"{ch.entity_before} -> {ch.entity_after}"
            t.add_row(
                ch.policy,
                ch.label,
                ch.site or "",
                Text(ch.before, style=VERDICT_STYLE.get(ch.before, "")),
                Text(ch.after, style=VERDICT_STYLE.get(ch.after, "")),
                rules,
                ent,
            )
        parts.append(t)
    return parts


@reporter("table", kind="Drift")
def drift_table(drift: Any) -> str:
    """The tables as plain text, 160 columns wide (``--output``)."""
    from rich.console import Console, Group

    con = Console(record=True, width=160, force_terminal=False, color_system=None)
    with con.capture() as cap:
        con.print(Group(*drift_tables(drift)))
    return cap.get()


@reporter("json", kind="Drift")
def drift_json(drift: Any) -> str:
    return json.dumps(drift.to_dict(), indent=2) + "\n"
