"""Command-line parameters that several commands declare alike, as typer ``Annotated`` types."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class DocumentFormat(StrEnum):
    """The formats of a command whose result is a table, a JSON document or an HTML page."""

    table = "table"
    json = "json"
    html = "html"


EvidenceFiles = Annotated[list[Path], typer.Argument(help="Evidence files (any format netvet reads).")]
DocumentFormatOption = Annotated[DocumentFormat, typer.Option("--format", "-f", help="table, json or html.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o")]
InputFormatOption = Annotated[str | None, typer.Option("--input-format")]
