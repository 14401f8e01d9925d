"""`netvet history` (recorded audit runs) and `netvet diff RUN_A RUN_B` (drift between two runs)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer

from .common import EXIT_FINDINGS, EXIT_OK, console, console_err, emit, require_extra, usage_error


class ListFormat(StrEnum):
    table = "table"
    json = "json"


def record_run(report, inputs) -> str:
    """Record ``report`` (a Report or a streamed ``pipeline.AuditRun``) in the history (used by ``audit
    --record``); print where; exit 2 when it fails."""
    require_extra("duckdb", "history")
    from ..history.store import History, HistoryError

    history = History()
    try:
        run_id = history.record(report, [str(p) for p in inputs])
    except HistoryError as exc:
        raise usage_error(str(exc)) from None
    console_err.print(f"recorded run {run_id} in {history.path}", highlight=False)
    return run_id


def runs_table(runs: list[dict]):
    """The recorded runs as a Rich table."""
    from rich.table import Table
    from rich.text import Text

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
    emit(drift, str(fmt), output)
    raise typer.Exit(EXIT_FINDINGS if fail_on_new and drift.new else EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command("history")(history)
    app.command("diff")(diff)
