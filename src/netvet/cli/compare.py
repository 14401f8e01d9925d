"""`netvet compare`: the same evidence under two or more policies, side by side."""

from __future__ import annotations

from pathlib import Path

import typer

from .common import (
    check_asn_db,
    compiled_cache,
    emit,
    input_exit_code,
    load_id_registries,
    progress_reader,
    usage_error,
)
from .options import DocumentFormat, DocumentFormatOption, EvidenceFiles, InputFormatOption, OutputOption


def compare_cmd(
    inputs: EvidenceFiles,
    policy: list[str] = typer.Option(..., "--policy", "-p", help="Two or more pack ids or files."),
    fmt: DocumentFormatOption = DocumentFormat.table,
    output: OutputOption = None,
    input_format: InputFormatOption = None,
    on: str | None = typer.Option(None, "--on"),
    kev: Path | None = typer.Option(None, "--kev", help="CISA KEV catalogue (JSON or CSV) for security records."),
    asn_db: Path | None = typer.Option(None, "--asn-db", help="RIB, IPASN or pfx2as file for IP -> ASN "
                                       "(traceroute and flow evidence; default: the active dataset)."),
    waivers: Path | None = typer.Option(None, "--waivers"),
    weight: str | None = typer.Option(None, "--weight", help="Observation attribute to sum (e.g. address "
                                      "space or bytes) in the summary."),
    limit: int = typer.Option(30, "--limit", help="Differences shown in the table."),
) -> None:
    """Compare what each policy excludes on the same evidence, and why."""
    from ..analyses.compare import compare, headline
    from ..attribution.registry import Registry
    from ..pipeline import Context, run_audit
    from ..reporters.compare import Comparison
    from .audit import parse_date

    if len(policy) < 2:
        raise usage_error("compare needs at least two --policy options")
    asn_db = check_asn_db(asn_db)
    registry = Registry.load(cache=compiled_cache())
    macs, pens, used = load_id_registries(None, None)
    ctx = Context.build(policy, registry, parse_date(on), macs=macs, pens=pens, kev=kev, waivers=waivers)
    ctx.datasets = used + ctx.datasets
    prog, cb = progress_reader()
    with prog:
        report = run_audit(inputs, ctx, input_format, progress=cb, asn_db=asn_db)
    code = input_exit_code(report, strict=False)
    cmp = compare(report, weight)
    cmp["headline"] = headline(cmp)
    emit(Comparison(report, cmp, limit), fmt, output)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_cmd)
