"""`netvet routes ...`: BGP route evidence (MRT dumps).

This module owns the ``routes`` sub-app (:data:`routes_app`) and its ``dump`` command. Other modules
add their commands to the same sub-app::

    from .routes import routes_app

    def register(app):            # called by cli._register_all; routes_app is already attached
        @routes_app.command("audit")
        def audit(...): ...
"""

from __future__ import annotations

import contextlib
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import IO

import typer

from .common import EXIT_INPUT, EXIT_OK, console_err, output_file

routes_app = typer.Typer(rich_markup_mode=None,
    name="routes",
    help="BGP route evidence: read MRT dumps (RIBs and updates) and what they say about carriers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class DumpFormat(StrEnum):
    bgpdump = "bgpdump"
    json = "json"


def register(app: typer.Typer) -> None:
    app.add_typer(routes_app, name="routes")


def print_issues(stats, limit: int = 20) -> None:
    """Problems and warnings of a reader on stderr (at most ``limit`` of each, then a count)."""
    issues = stats.issues
    for severity in ("error", "warning"):
        these = [i for i in issues if i.severity == severity]
        for issue in these[:limit]:
            console_err.print(
                f"[{'red' if severity == 'error' else 'yellow'}]{severity}:[/] {issue}",
                highlight=False,
                soft_wrap=True,
            )
        if len(these) > limit:
            console_err.print(f"... {len(these) - limit} more {severity}s", highlight=False)


@routes_app.command("dump")
def dump(
    file: Path = typer.Argument(..., help="MRT file (TABLE_DUMP, TABLE_DUMP_V2, BGP4MP[_ET]); gz/bz2/xz ok."),
    fmt: DumpFormat = typer.Option(
        DumpFormat.bgpdump,
        "--format",
        "-f",
        help="bgpdump: `bgpdump -m` lines; json: one JSON object per line.",
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here instead of stdout."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 when the file is damaged (truncated, corrupt)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No summary and no problem list on stderr."),
) -> None:
    """Write one line per route (and per session state change) of an MRT file.

    The bgpdump format is `bgpdump -m`'s: TYPE|time|A/B/W|peer_ip|peer_as|prefix|as_path|origin|
    next_hop|local_pref|med|communities|AG/NAG|aggregator| (TYPE_AP lines carry the ADD-PATH id
    after the prefix; W and STATE lines are shorter). Damage is reported on stderr with byte offsets;
    everything readable is still written.
    """
    from ..readers.mrt import MrtParser
    from ..readers.mrt.text import TextMrtParser

    parser = TextMrtParser(file) if fmt == DumpFormat.bgpdump else MrtParser(file)
    with contextlib.ExitStack() as stack:
        if output is None:
            sys.stdout.flush()
            out: IO[bytes] = sys.stdout.buffer
        else:
            out = stack.enter_context(output_file(output, binary=True, announce=False))
        written = 0
        if isinstance(parser, TextMrtParser):  # bgpdump -m lines: the C writer for RIB runs, else LineFormatter
            for chunk in parser.text():
                out.write(chunk)
            written = parser.lines
        else:
            buf: list[str] = []
            for rec in parser.routes():
                buf.append(json.dumps(rec.to_dict()))
                if len(buf) >= 4096:
                    out.write(("\n".join(buf) + "\n").encode())
                    written += len(buf)
                    buf.clear()
            if buf:
                out.write(("\n".join(buf) + "\n").encode())
                written += len(buf)
        out.flush()
    st = parser.stats
    if not quiet:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(st.routes.items()))
        where = f" to {output}" if output else ""
        console_err.print(
            f"{file}: {st.stats.read} MRT records, {written} lines written{where} ({kinds or 'none'}); "
            f"{st.stats.malformed} problem(s)",
            highlight=False,
            soft_wrap=True,
        )
        print_issues(st.stats)
    if strict and st.damaged:
        raise typer.Exit(EXIT_INPUT)
    raise typer.Exit(EXIT_OK)
