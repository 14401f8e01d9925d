"""Shared CLI pieces: consoles, exit codes, output helpers."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INPUT = 2

console = Console()
console_err = Console(stderr=True)


class OutFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


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
