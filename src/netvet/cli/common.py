"""Shared CLI pieces: consoles, exit codes, output helpers."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2

console = Console(width=None if os.environ.get("COLUMNS") or sys.stdout.isatty() else 140)
console_err = Console(stderr=True, soft_wrap=True)  # messages are never wrapped mid-path


class OutFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"
    oscal = "oscal"


class FailOn(StrEnum):
    fail = "fail"
    review = "review"
    unknown = "unknown"
    never = "never"


def write_output(text: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` (atomically) or to stdout."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)
    console_err.print(f"wrote {output}")


def usage_error(message: str) -> typer.Exit:
    console_err.print(f"[bold red]error:[/] {message}")
    return typer.Exit(EXIT_INPUT)


def exit_code_for(report, fail_on: FailOn) -> int:
    """1 when any finding is at or above ``fail_on``, else 0."""
    levels = {
        FailOn.fail: {"FAIL"},
        FailOn.review: {"FAIL", "REVIEW"},
        FailOn.unknown: {"FAIL", "REVIEW", "UNKNOWN"},
        FailOn.never: set(),
    }[fail_on]
    return EXIT_FINDINGS if any(str(f.verdict) in levels for f in report.findings) else EXIT_OK


def input_exit_code(report, strict: bool) -> int:
    """2 when an input of the batch could not be read at all (the others were), or, with ``strict``, when any
    record was malformed or damaged; else 0. Tells the user on stderr either way."""
    failed = [s for s in report.inputs if s.failed]
    for s in failed:
        console_err.print(f"[bold red]input error:[/] {s.file}: {s.failed}", highlight=False)
    problems = [i for s in report.inputs for i in s.issues if i.severity == "error"]
    errors = sum(s.errors for s in report.inputs)
    if errors:
        console_err.print(f"[yellow]{errors} input problem(s)[/]; first: {problems[0] if problems else '?'}",
                          highlight=False)
        if strict:
            for p in problems[1:20]:
                console_err.print(f"  {p}", highlight=False, markup=False)
    return EXIT_INPUT if failed or (strict and errors) else EXIT_OK


def load_id_registries(mac_db: list[Path] | None, pen_db: list[Path] | None):
    """MAC and PEN registries (bundled, `netvet data` datasets, the user's files) and the datasets used."""
    from ..pipeline import identifier_registries

    return identifier_registries(mac_db or (), pen_db or ())


def warn_stale(datasets: list[dict]) -> None:
    for d in datasets:
        if d.get("stale"):
            console_err.print(f"[yellow]warning:[/] dataset {d['name']} ({d.get('version')}) is {d.get('age_days')} "
                              f"days old (refresh every {d.get('cadence_days')} days: `netvet data fetch "
                              f"{d['name']}`)", highlight=False)


def progress_reader():
    """A Rich progress bar (on stderr) and a callback (file, done, total) for readers."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    prog = Progress(TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                    console=console_err, transient=True)
    tasks: dict[str, int] = {}

    def cb(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = prog.add_task(Path(name).name, total=total or None)
        prog.update(tasks[name], completed=done, total=total or None)

    return prog, cb


def use_asn_db(path: Path | None) -> None:
    """Make ``--asn-db`` the IP -> ASN database of the readers that need one (traceroutes, flows)."""
    if path is not None:
        if not path.exists():
            from ..model import InputError

            raise InputError(str(path), "--asn-db: file not found")
        os.environ["NETVET_ASN_DB"] = str(path)
