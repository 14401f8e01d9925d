"""`netvet flows audit`: traffic evidence (flow and DNS logs) against a policy: Clean Cloud / Clean Carrier."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from .common import (
    EXIT_INPUT,
    FAIL_ON_HELP,
    FailOn,
    compiled_cache,
    console_err,
    emit,
    exit_code_for,
    load_id_registries,
    require_extra,
    usage_error,
)

flows_app = typer.Typer(rich_markup_mode=None,
    name="flows",
    help="Traffic evidence: flow logs (Zeek, AWS VPC, NetFlow/IPFIX via nfdump, CSV/Parquet) and DNS logs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class FlowFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


class Engine(StrEnum):
    polars = "polars"
    dask = "dask"


def register(app: typer.Typer) -> None:
    app.add_typer(flows_app, name="flows")


@flows_app.command("audit")
def audit(
    inputs: list[Path] = typer.Argument(..., help="Flow logs (Zeek conn, AWS VPC, nfdump CSV, nfcapd, CSV/Parquet "
                                        "tables; gz/bz2/xz/zst) and Zeek dns.log files."),
    policy: list[str] = typer.Option(None, "--policy", "-p", help="Policy pack id or .yaml (repeatable; default "
                                     "clean-network)."),
    asn_db: list[Path] = typer.Option(None, "--asn-db", help="IP -> AS: pyasn IPASN, CAIDA pfx2as or MRT RIB "
                                      "(repeatable; default: the active caida-pfx2as datasets)."),
    as_names: list[Path] = typer.Option(None, "--as-names", help="AS names: pyasn asnames.json or CAIDA as2org "
                                        "(default: the active caida-as2org dataset)."),
    cloud_ranges: list[str] = typer.Option(None, "--cloud-ranges", help="[PROVIDER=]FILE: AWS ip-ranges.json, "
                                           "Google cloud.json, Azure ServiceTags, Oracle public_ip_ranges.json, "
                                           "Cloudflare ips-v4/v6 (default: the active datasets)."),
    dns: list[Path] = typer.Option(None, "--dns", help="Zeek dns.log files tying names to addresses (a dns.log "
                                   "among INPUTS works too)."),
    internal: list[str] = typer.Option(None, "--internal", help="Extra internal prefix (your own public space); "
                                       "RFC 1918, CGNAT, ULA, link-local and loopback always are."),
    column_map: list[str] = typer.Option(None, "--map", help="Columns of a CSV/Parquet table: "
                                         "src=srcaddr,dst=dstaddr,bytes=octets,... (fields: src dst bytes packets "
                                         "rbytes rpackets flows start end duration)."),
    input_format: str | None = typer.Option(None, "--input-format", help="Force a flow format (default: sniffed)."),
    engine: Engine = typer.Option(Engine.polars, "--engine", help="polars: this machine, streamed; dask: a Dask "
                                  "distributed cluster."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://host:8786); "
                                         "default: a LocalCluster here."),
    workers: int | None = typer.Option(None, "--workers", help="LocalCluster workers (default min(4, CPUs))."),
    fmt: FlowFormat = typer.Option(FlowFormat.table, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to this file."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 when any input record is malformed."),
    fail_on: FailOn = typer.Option(FailOn.fail, "--fail-on", help=FAIL_ON_HELP),
    top: int = typer.Option(20, "--top", help="Internal hosts to list per policy."),
    on: str | None = typer.Option(None, "--on", help="Evaluate ownership and designations as of this date."),
    registry_dir: Path | None = typer.Option(None, "--registry", help="Use this registry directory."),
    chunk_rows: int = typer.Option(1 << 20, "--chunk-rows", help="Rows per chunk read (memory vs. speed)."),
) -> None:
    """Classify every remote party of the traffic once under the policy, and report exposure.

    Per excluded entity and per Clean Network line (clean-cloud for clouds, clean-carrier for carriers):
    bytes, packets, flows, internal hosts and time span; the internal hosts talking to them; traffic per hour.
    """
    require_extra("polars", "flows")
    require_extra("pyarrow", "flows")
    if engine == Engine.dask:
        require_extra("distributed", "dask")
    from ..attribution.registry import Registry
    from ..flows import audit as flow_audit
    from ..flows import sources
    from ..pipeline import Context
    from ..readers.flowlogs import mapping
    from ..readers.flowlogs.base import ReadOptions
    from .audit import parse_date

    if chunk_rows < 1000:
        raise usage_error("--chunk-rows must be at least 1000")
    try:
        colmap = mapping.parse_map(column_map)
    except ValueError as exc:
        raise usage_error(str(exc)) from None
    if scheduler and engine != Engine.dask:
        raise usage_error("--scheduler needs --engine dask")
    when = parse_date(on)
    registry = Registry.load(registry_dir, compiled_cache())
    macs, pens, used = load_id_registries(None, None)  # the MAC index read from disk, not parsed
    ctx = Context.build(policy or ["clean-network"], registry, when, macs=macs, pens=pens)
    ctx.datasets = used + ctx.datasets
    src = sources.load(asn_db, as_names, cloud_ranges, internal)
    options = ReadOptions(mapping=tuple(sorted(colmap.items())), chunk_rows=chunk_rows)
    result = flow_audit.run(list(inputs), ctx, src, options=options, input_format=input_format,
                            dns_logs=list(dns or []), engine_name=str(engine), scheduler=scheduler,
                            workers=workers, top=top)
    emit(result, fmt, output)
    problems = [i for s in result.report.inputs for i in s.issues if i.severity == "error"]
    malformed = sum(s.malformed for s in result.report.inputs)
    if problems or malformed:
        console_err.print(f"[yellow]{malformed} malformed record(s), {len(problems)} input problem(s) listed[/]; "
                          f"first: {problems[0] if problems else '?'}", highlight=False)
        if strict:
            for p in problems[1:20]:
                console_err.print(f"  {p}", highlight=False, markup=False)
            raise typer.Exit(EXIT_INPUT)
    raise typer.Exit(exit_code_for(result.report, fail_on))
