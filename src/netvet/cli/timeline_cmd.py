"""`netvet timeline`: per pack, what must change by which date, how many assets, at which sites."""

from __future__ import annotations

import typer

from .common import compiled_cache, emit, input_exit_code, load_id_registries
from .options import DocumentFormat, DocumentFormatOption, EvidenceFiles, InputFormatOption, OutputOption


def timeline_cmd(
    inputs: EvidenceFiles,
    policy: list[str] = typer.Option(..., "--policy", "-p", help="Pack ids or files (one or more)."),
    fmt: DocumentFormatOption = DocumentFormat.table,
    output: OutputOption = None,
    input_format: InputFormatOption = None,
    on: str | None = typer.Option(None, "--on", help="Evaluate as of this date (YYYY-MM-DD)."),
) -> None:
    """The compliance timeline: dated rules of each pack, the assets and sites they affect, dates passed."""
    from ..analyses.timeline import build_timeline
    from ..attribution.registry import Registry
    from ..pipeline import Context, run_audit
    from .audit import parse_date

    registry = Registry.load(cache=compiled_cache())
    macs, pens, used = load_id_registries(None, None)
    ctx = Context.build(policy, registry, parse_date(on), macs=macs, pens=pens)
    report = run_audit(inputs, ctx, input_format)
    code = input_exit_code(report, strict=False)
    emit(build_timeline(report, ctx.packs), fmt, output)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("timeline")(timeline_cmd)
