"""`netvet history` (recorded audit runs) and `netvet diff RUN_A RUN_B` (drift between two runs)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from .common import EXIT_FINDINGS, EXIT_OK, console, console_err, require_extra, usage_error, write_output

VERDICT_STYLE = {
    "FAIL": "bold red",
    "REVIEW": "yellow",
    "UNKNOWN": "magenta",
    "PASS": "green",
    "WAIVED": "cyan",
    "absent": "dim",
}


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def record_run(report, inputs) -> str:
    """Record ``report`` in the history (used by ``audit --record``); print where; exit 2 when it fails."""
    require_extra("duckdb", "history")
    from ..history.store import History, HistoryError

    history = History()
    try:
        run_id = history.record(report, [str(p) for p in inputs])
    except HistoryError as exc:
        raise usage_error(str(exc)) from None
    console_err.print(f"recorded run {run_id} in {history.path}", highlight=False)
    return run_id


def runs_table(runs: list[dict]) -> Table:
    t = Table(title="Recorded audit runs (newest first)", title_justify="left")
    for col in ("#", "run", "recorded", "policies", "observations", "FAIL", "REVIEW", "UNKNOWN", "PASS"):
        t.add_column(
            col,
            justify="right" if col in ("#", "observations", "FAIL", "REVIEW", "UNKNOWN", "PASS") else "left",
        )
    for r in runs:
        t.add_row(
            str(r["seq"]),
            r["run_id"],
            r["recorded_at"],
            ", ".join(r["policies"]),
            str(r["observations"]),
            Text(str(r["fail"]), style="bold red" if r["fail"] else ""),
            str(r["review"]),
            str(r["unknown"]),
            str(r["pass"]),
        )
    return t


def drift_tables(drift) -> list:
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


def history(
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", "-f", help="Output format."),
    limit: int = typer.Option(0, "--limit", "-n", help="Show only the newest N runs (0: all)."),
) -> None:
    """List the audit runs recorded with `netvet audit --record` (newest first)."""
    require_extra("duckdb", "history")
    from ..history.store import History, HistoryError

    h = History()
    try:
        runs = h.runs()
    except HistoryError as exc:
        raise usage_error(str(exc)) from None
    if limit > 0:
        runs = runs[:limit]
    if fmt == ListFormat.json:
        typer.echo(json.dumps({"database": str(h.path), "runs": runs}, indent=2, default=str))
        return
    if not runs:
        console.print(
            f"No runs recorded yet in {h.path}. Record one with `netvet audit ... --record`.",
            highlight=False,
        )
        return
    console.print(runs_table(runs))
    console_err.print(f"database: {h.path}", highlight=False)


def diff(
    run_a: str = typer.Argument(
        ..., help="The earlier run: run id (or unique prefix), #, latest, previous."
    ),
    run_b: str = typer.Argument(..., help="The later run."),
    fmt: ListFormat = typer.Option(ListFormat.table, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the diff to this file."),
    fail_on_new: bool = typer.Option(False, "--fail-on-new", help="Exit 1 when there are new findings."),
) -> None:
    """Show new, resolved and changed findings from RUN_A to RUN_B (matched by stable subject key)."""
    require_extra("duckdb", "history")
    from ..history.drift import diff_runs
    from ..history.store import History, HistoryError

    try:
        drift = diff_runs(History(), run_a, run_b)
    except HistoryError as exc:
        raise usage_error(str(exc)) from None
    if fmt == ListFormat.json:
        write_output(json.dumps(drift.to_dict(), indent=2) + "\n", output)
    elif output is not None:
        from rich.console import Console, Group

        con = Console(record=True, width=160, force_terminal=False, color_system=None)
        with con.capture() as cap:
            con.print(Group(*drift_tables(drift)))
        write_output(cap.get(), output)
    else:
        for part in drift_tables(drift):
            console.print(part)
    raise typer.Exit(EXIT_FINDINGS if fail_on_new and drift.new else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("diff")(diff)
