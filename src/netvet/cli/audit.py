"""`netvet audit`: read evidence, attribute it, evaluate policies, report."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import typer

from .common import (
    FAIL_ON_HELP,
    FailOn,
    OutFormat,
    check_asn_db,
    emit,
    exit_code_for,
    input_exit_code,
    load_id_registries,
    output_file,
    progress_reader,
    require_extra,
    usage_error,
    warn_stale,
)


def parse_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not an ISO date (YYYY-MM-DD): {value!r}") from None


def audit(
    inputs: list[Path] = typer.Argument(..., help="Evidence files: CSV inventory, nmap XML, CycloneDX JSON, "
                                        "snmprec, route and flow evidence."),
    policy: list[str] = typer.Option(None, "--policy", "-p", help="Policy pack id or .yaml file (repeatable; "
                                     "default: every bundled pack)."),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f", help="Output format."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the report to this file."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 when any input record is malformed."),
    fail_on: FailOn = typer.Option(FailOn.fail, "--fail-on", help=FAIL_ON_HELP),
    input_format: str | None = typer.Option(None, "--input-format", help="Force a reader (default: sniffed)."),
    on: str | None = typer.Option(None, "--on", help="Evaluate ownership and designations as of this date."),
    registry_dir: Path | None = typer.Option(None, "--registry", help="Use this registry directory."),
    mac_db: list[Path] = typer.Option(None, "--mac-db", help="IEEE CSV (MA-L/MA-M/MA-S/IAB) or Wireshark manuf."),
    pen_db: list[Path] = typer.Option(None, "--pen-db",
                                      help="IANA enterprise-numbers or Wireshark enterprises.tsv."),
    framework: list[str] = typer.Option(None, "--framework", help="Report per control of this framework "
                                        "(repeatable; its packs are added)."),
    waivers: Path | None = typer.Option(None, "--waivers", help="Waiver file (YAML)."),
    kev: Path | None = typer.Option(None, "--kev", help="CISA KEV catalogue (JSON or CSV) for risk packs."),
    asn_db: Path | None = typer.Option(None, "--asn-db", help="RIB, IPASN or pfx2as file for IP -> ASN "
                                       "(traceroute and flow evidence; default: the active dataset)."),
    record: bool = typer.Option(False, "--record", help="Record this run in the history database "
                                "(see `netvet history`, `netvet diff`)."),
    platform: str | None = typer.Option(None, "--platform", help="Declare the platform of device CLI output "
                                        "(e.g. huawei_vrp, cisco_ios): the operator's word is evidence; file "
                                        "names never are."),
    fingerprints: list[Path] = typer.Option(None, "--fingerprints", help="Extra fingerprint file(s) (see "
                                            "`netvet fingerprints test`)."),
) -> None:
    """Audit device evidence under one or more policies."""
    from ..attribution.registry import Registry
    from ..pipeline import Context, InputStream, stream_audit
    from ..policies import bundled_pack_paths

    when = parse_date(on)
    if platform is not None:
        require_extra("ntc_templates", "cli-parsers")
        from ..readers.device_cli import KNOWN_PLATFORMS

        if platform not in KNOWN_PLATFORMS:
            raise usage_error(f"unknown --platform {platform!r} (known: {', '.join(KNOWN_PLATFORMS)})")
    asn_db = check_asn_db(asn_db)
    # the evidence first: a batch none of whose inputs can be opened is refused before any reference data is
    # loaded; the observations are then read as a stream while they are attributed (pipeline.stream_audit)
    prog, cb = progress_reader()
    evidence = InputStream(inputs, input_format, progress=cb, reader_options={"platform": platform},
                           asn_db=asn_db)
    try:
        registry = Registry.load(registry_dir)
        macs, pens, used = load_id_registries(mac_db, pen_db)
        ctx = Context.build(policy or ([] if framework else list(bundled_pack_paths())), registry, when,
                            macs=macs, pens=pens, kev=kev, frameworks=framework or (), waivers=waivers,
                            fingerprint_files=fingerprints or ())
        ctx.datasets = used + ctx.datasets
        warn_stale(ctx.datasets)
        with prog:
            run = stream_audit(ctx, evidence, evidence.stats)
    finally:
        evidence.close()
    try:
        from ..reporters import stream_writer

        write = stream_writer(run, str(fmt))
        if write is not None:  # written as the findings are evaluated
            write_streamed(write, run, output)
        else:  # the table: the summary and the most severe findings, kept while they are evaluated
            emit(run, str(fmt), output)
        if record:
            from .history import record_run  # needs the history extra (DuckDB)

            record_run(run, inputs)  # streamed: findings one at a time, the report compressed
        code = input_exit_code(run, strict) or exit_code_for(run, fail_on)
    finally:
        run.close()
    raise typer.Exit(code)


def write_streamed(write, run, output: Path | None) -> None:
    """``write(run, out)`` (a registered stream writer, ``reporters.stream_writer``) to ``output`` (atomically: a
    temporary file renamed; a device or pipe such as /dev/null is written directly, never replaced) or to stdout,
    as the findings of ``run`` (a ``pipeline.AuditRun``) are evaluated."""
    if output is None:
        write(run, sys.stdout)
        sys.stdout.flush()
        return
    with output_file(output) as fh:
        write(run, fh)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
