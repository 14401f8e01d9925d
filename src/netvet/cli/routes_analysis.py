"""`netvet routes audit | dependency | filter`: carrier audit, AS hegemony and BGP filter export.

The commands are added to the ``routes`` sub-app that ``cli/routes.py`` owns (``routes_app``).
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer

from .common import (
    EXIT_INPUT,
    EXIT_OK,
    FAIL_ON_HELP,
    FailOn,
    console_err,
    emit,
    exit_code_for,
    require_extra,
    usage_error,
    write_output,
)
from .routes import routes_app


class AuditFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    html = "html"


class DepFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class FilterPlatform(StrEnum):
    bird = "bird"
    frr = "frr"
    junos = "junos"
    eos = "eos"
    iosxr = "iosxr"


class Engine(StrEnum):
    auto = "auto"
    python = "python"
    fast = "fast"
    bgpdump = "bgpdump"
    dask = "dask"


ENGINE_HELP = ("MRT decoder: auto (fast if built), python, fast (C hot loop, identical results), bgpdump; or dask: "
               "parse and audit each collector on a Dask cluster (--scheduler, else 2 local workers; auto decoder), "
               "identical results.")


def parse_asn(text: str) -> int:
    t = text.strip().upper().removeprefix("AS")
    if not (t.isascii() and t.isdigit()) or not 0 < int(t) <= 0xFFFFFFFF:
        raise typer.BadParameter(f"not an AS number: {text!r}")
    return int(t)


# ----------------------------------------------------------------------------- inputs
ROUTE_FORMATS = ("mrt", "bgpdump-text", "as-path-list", "ipasn", "pfx2as", "atlas-traceroute")
INPUTS_HELP = ("Route evidence files, one collector each (named by the file name), or NAME=PATH: files given the "
               "same NAME are one collector. MRT RIB/updates, bgpdump -m text, AS-path list, IPASN/pfx2as, or RIPE "
               "Atlas traceroutes (with --asn-db).")
FROM_LIST_HELP = ("A file listing the inputs, one a line: PATH, or PATH NAME (the collector; relative paths are "
                  "relative to the list file; # starts a comment).")


def load_file(p: Path, asn_db: Path | None, engine: str = "auto", input_format: str | None = None,
              indexes: dict | None = None):
    """(route table, read stats, extra facts) of one input; traceroutes need ``asn_db`` (or an active pfx2as
    dataset; the index is kept in ``indexes`` for the next file). The format is detected by content unless
    ``input_format`` names it. An input that yields no route at all is an InputError (exit 2). A Dask worker
    runs this function too (``--engine dask``)."""
    from ..model import InputError
    from ..pipeline import default_prefix_index, load_prefix_index
    from ..readers.atlas_traceroute import load_traceroute_routes
    from ..readers.route_evidence import detect_route_format, load_routes

    fmt = input_format or detect_route_format(p)
    extra: dict = {}
    if fmt == "atlas-traceroute":
        index = (indexes or {}).get("index")
        if index is None:
            index = load_prefix_index(asn_db, engine) if asn_db is not None else default_prefix_index()
            if indexes is not None:
                indexes["index"] = index
        if index is None:
            raise InputError(str(p), "traceroutes need --asn-db (a RIB, IPASN or pfx2as file) to map hops to "
                                     "ASes, or an active `netvet data` pfx2as dataset")
        table, st, counts = load_traceroute_routes(p, index)
        extra = {"traceroutes": counts.to_dict()}
    else:
        table, st = load_routes(p, fmt, engine)
    if len(table) == 0:  # evidence that yields nothing must never look clean
        first = next((i.reason for i in st.issues if i.severity == "error"), None)
        raise InputError(str(p), "no routes in this input" + (f" (first problem: {first})" if first else ""))
    return table, st, extra


def _check_format(input_format: str | None) -> None:
    if input_format is not None and input_format not in ROUTE_FORMATS:
        raise usage_error(f"unknown --input-format {input_format!r} for route evidence "
                          f"(known: {', '.join(ROUTE_FORMATS)})")


def load_inputs(paths: list[Path], asn_db: Path | None, engine: str = "auto", input_format: str | None = None):
    """(route table, read stats per file, extra per-file facts) of every input, concatenated as one collector
    (:meth:`RouteTable.concat`: equal peers of two files are one peer)."""
    from ..model.route import RouteTable

    _check_format(input_format)
    indexes: dict = {}
    loaded = [load_file(p, asn_db, engine, input_format, indexes) for p in paths]
    return RouteTable.concat([x[0] for x in loaded]), [x[1] for x in loaded], [x[2] for x in loaded]


def collector_inputs(inputs: list[str] | None, from_list: Path | None):
    """The collectors named by the command line (PATH or NAME=PATH) and by ``--from-list``, in that order."""
    from ..analyses.collectors import group_collectors

    entries: list[tuple[str | None, Path]] = []
    for arg in inputs or []:
        name, sep, rest = arg.partition("=")
        if sep and name and rest and not Path(arg).exists():
            entries.append((name, Path(rest)))
        else:
            entries.append((None, Path(arg)))
    if from_list is not None:
        try:
            text = from_list.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise usage_error(f"--from-list {from_list}: {exc.strerror or exc}") from None
        for raw in text.splitlines():
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.rsplit(None, 1)
            path, name = (parts[0], parts[1]) if len(parts) == 2 else (line, None)
            p = Path(path)
            entries.append((name, p if p.is_absolute() else from_list.parent / p))
    if not entries:
        raise usage_error("no input: give route evidence files or --from-list")
    return group_collectors(entries)


@dataclass
class RouteInputs:
    """Every collector's table (its files concatenated), the merged table and the files' read statistics."""

    collectors: list  # analyses.collectors.Collector
    tables: list  # RouteTable per collector
    merged: Any  # RouteTable
    stats: list  # ReadStats per file, collectors in order
    extra: list  # extra facts per file

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.collectors]

    def peer_collectors(self) -> list[str]:
        from ..analyses.collectors import peer_collectors

        return peer_collectors(self.names, self.tables)


def read_collectors(collectors: list, asn_db: Path | None, engine: str, input_format: str | None,
                    cluster=None) -> RouteInputs:
    """Read every collector's files, here or on the Dask ``cluster`` (flows.route_dask.RouteCluster)."""
    from ..analyses.collectors import concat_tables, merge_tables

    _check_format(input_format)
    if cluster is not None:  # absolute paths (a worker's working directory is its own), named as given after
        groups = [[(p.absolute(), asn_db.absolute() if asn_db else None, "auto", input_format, None)
                   for p in c.paths] for c in collectors]
        loaded = cluster.load(load_file, groups)
        for c, g in zip(collectors, loaded, strict=True):
            for p, (_table, st, _extra) in zip(c.paths, g, strict=True):
                _rename(st, str(p.absolute()), str(p))
    else:
        indexes: dict = {}
        loaded = [[load_file(p, asn_db, engine, input_format, indexes) for p in c.paths] for c in collectors]
    tables = [concat_tables([x[0] for x in g]) for g in loaded]
    return RouteInputs(collectors, tables, merge_tables(tables), [x[1] for g in loaded for x in g],
                       [x[2] for g in loaded for x in g])


def _rename(stats, old: str, new: str) -> None:
    """Read statistics of ``old`` (a worker's absolute path) as those of ``new`` (the path given)."""
    import dataclasses

    if stats.file == old:
        stats.file = new
    stats.issues = [dataclasses.replace(i, file=new) if i.file == old else i for i in stats.issues]


def _cluster(engine: Engine, scheduler: str | None, workers: int):
    """A Dask RouteCluster for ``--engine dask`` (exit 2 naming the extra when Dask is missing), else None."""
    if engine != Engine.dask:
        if scheduler:
            raise usage_error("--scheduler needs --engine dask")
        return None
    if workers < 1:
        raise usage_error("--workers must be 1 or more")
    require_extra("distributed", "dask")
    from ..flows.route_dask import RouteCluster

    return RouteCluster(scheduler, workers)


def _context(policy: list[str] | None, registry_dir: Path | None, on: str | None):
    from ..attribution.oui import MacRegistry
    from ..attribution.registry import Registry
    from ..pipeline import Context
    from .audit import parse_date

    registry = Registry.load(registry_dir)
    # route evidence carries AS numbers only: an empty MAC registry spares loading the IEEE data
    return Context.build(policy or ["clean-network"], registry, parse_date(on), macs=MacRegistry())


def _problems(stats) -> list:
    return [i for s in stats for i in s.issues if i.severity == "error"]


def _report_problems(stats, strict: bool) -> None:
    problems = _problems(stats)
    if problems:
        console_err.print(f"[yellow]{len(problems)} input problem(s)[/]; first: {problems[0]}", highlight=False)
        if strict:
            for p in problems[1:20]:
                console_err.print(f"  {p}", highlight=False, markup=False)
            raise typer.Exit(EXIT_INPUT)


# ----------------------------------------------------------------------------- dependency
def read_prefix_file(path: Path) -> list[str]:
    import ipaddress

    out = []
    bad = []
    for n, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            out.append(str(ipaddress.ip_network(line, strict=False)))
        except ValueError:
            bad.append(f"{path}:{n}: not a prefix: {line[:60]!r}")
    if bad:
        raise usage_error("; ".join(bad[:5]) + (f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""))
    if not out:
        raise usage_error(f"{path}: no prefixes")
    return out


def parse_scope(text: str, as_names: Path | None, table, registry):
    from ..analyses.hegemony import Scope

    t = text.strip()
    if re.fullmatch(r"(?i)(AS)?\d+", t):
        return Scope.asn(parse_asn(t))
    if re.fullmatch(r"[A-Za-z]{2}", t) and not Path(t).exists():
        import numpy as np

        code = t.upper()
        origins = set(np.unique(table.origin_asn).tolist())
        if as_names is not None:
            from ..attribution.asnames import load_asnames

            names = load_asnames(as_names)
            members = {a for a in origins if (rec := names.get(a)) is not None and rec.country == code}
        else:
            raise usage_error(f"--scope {code}: a country scope needs --as-names (pyasn asnames.json or CAIDA "
                              "as2org) to know where each origin AS is registered")
        return Scope.country(code, members)
    p = Path(t)
    if p.is_file():
        return Scope.prefix_list(p.name, read_prefix_file(p))
    raise usage_error(f"--scope {text!r}: expected an AS number (AS64500), a country code (CN) or a prefix file")


# ----------------------------------------------------------------------------- commands
def register(app: typer.Typer) -> None:  # noqa: ARG001 - the commands live on routes_app
    """Nothing to attach: ``routes_app`` (cli/routes.py) carries the commands defined below."""


@routes_app.command("audit")
def audit(
    inputs: list[str] = typer.Argument(None, help=INPUTS_HELP, show_default=False),
    from_list: Path | None = typer.Option(None, "--from-list", help=FROM_LIST_HELP),
    policy: list[str] = typer.Option(None, "--policy", "-p", help="Policy pack id or file (default clean-network)."),
    prefix: list[str] = typer.Option(None, "--prefix", help="Only routes overlapping this prefix (repeatable)."),
    origin: list[str] = typer.Option(None, "--origin", help="Only routes originated by this AS (repeatable)."),
    asn_db: Path | None = typer.Option(None, "--asn-db", help="RIB, IPASN or pfx2as file for IP -> ASN (traceroutes)."),
    fmt: AuditFormat = typer.Option(AuditFormat.table, "--format", "-f"),
    output: Path | None = typer.Option(None, "--output", "-o"),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 when any input record is malformed."),
    fail_on: FailOn = typer.Option(FailOn.fail, "--fail-on", help=FAIL_ON_HELP + " Prefix verdicts are FAIL, "
                                   "REVIEW or PASS: an AS without a verdict never marks a prefix."),
    routes_detail: bool = typer.Option(False, "--routes", help="JSON: list every route with a classified AS on it."),
    all_prefixes: bool = typer.Option(False, "--all-prefixes", help="JSON/CSV: list clean prefixes too."),
    engine: Engine = typer.Option(Engine.auto, "--engine", help=ENGINE_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address (tcp://HOST:PORT) for "
                                         "--engine dask; every worker must read the inputs at the same paths."),
    workers: int = typer.Option(2, "--workers", help="--engine dask without --scheduler: local worker processes."),
    registry_dir: Path | None = typer.Option(None, "--registry", help="Use this registry directory."),
    on: str | None = typer.Option(None, "--on", help="Evaluate ownership and designations as of this date."),
    input_format: str | None = typer.Option(None, "--input-format", help="Force the format of every input "
                                            "(" + ", ".join(ROUTE_FORMATS) + "; default: detected by content)."),
) -> None:
    """Which excluded carriers are on the paths to each prefix, where, and how much address space that covers.

    With several collectors, each is audited on its own and all together (a prefix's routes across every
    collector; each collector's peers are distinct peers)."""
    from ..analyses.carrier import scan, seen_asns, select_rows, summarise
    from ..analyses.collectors import Selection, audit_collector, concat_tables
    from ..analyses.full_table import audit_full_table, streamable
    from ..enforce.classify import as_report, classify_asns
    from ..reporters.routes import RoutesAudit, audit_document

    ctx = _context(policy, registry_dir, on)
    try:
        origins = [parse_asn(o) for o in origin or []]
        if prefix:
            import ipaddress

            for p in prefix:
                ipaddress.ip_network(p, strict=False)
    except (typer.BadParameter, ValueError) as exc:
        raise usage_error(str(exc)) from None
    collectors = collector_inputs(inputs, from_list)
    cluster = _cluster(engine, scheduler, workers)
    names = ", ".join(str(p) for c in collectors for p in c.paths)
    paths = [p for c in collectors for p in c.paths]
    per: list = []
    if cluster is None and streamable(paths, input_format, str(engine), bool(prefix or origins), routes_detail):
        # one full MRT table: read in bounded chunks, never materialised (analyses.full_table)
        full = audit_full_table(paths[0], lambda seen: classify_asns(ctx, seen, names,
                                keep_report=fmt == AuditFormat.html), all_prefixes)
        got = RouteInputs(collectors, [], None, [full.stats], [{}])
        table, cls, result, summary = None, full.classification, full.scan, full.summary
    else:
        with cluster if cluster is not None else nullcontext():
            got = read_collectors(collectors, asn_db, str(engine), input_format, cluster)
            table = got.merged
            rows = select_rows(table, prefix or [], origins)
            seen = seen_asns(table, rows)
            cls = classify_asns(ctx, seen, names, keep_report=fmt == AuditFormat.html)
            sel = Selection(tuple(prefix or []), tuple(origins), all_prefixes)
            verdicts = list(cls.verdicts.values())
            many = len(collectors) > 1 and fmt != AuditFormat.html
            if many and cluster is not None:
                cluster.submit_audits(audit_collector, concat_tables, got.names, (verdicts, sel))
            result = scan(table, verdicts, rows)
            summary = summarise(result, include_clean=all_prefixes, detail_origins=origins)
            if many:
                audits = cluster.gather_audits() if cluster is not None else [
                    audit_collector(c.name, t, verdicts, sel) for c, t in zip(collectors, got.tables, strict=True)]
                per = [(c.name, c.paths, a) for c, a in zip(collectors, audits, strict=True)]
    doc = audit_document(ctx, table, got.stats, got.extra, result, summary, cls,
                         {"prefixes": list(prefix or []), "origins": origins}, routes_detail,
                         collectors=per, peer_collectors=got.peer_collectors() if per else None)
    report = None
    if fmt == AuditFormat.html:
        s = doc["summary"]
        pc = s["prefixes_clean"]
        report = as_report(ctx, cls, got.stats, [
            f"Carrier audit: {s['routes']} routes, {s['prefixes']} prefixes; clean on all routes {pc['all']}, "
            f"on some {pc['some']}, on none {pc['none']}"])
    audit_result = RoutesAudit(doc, report)
    emit(audit_result, fmt, output)
    _report_problems(got.stats, strict)
    raise typer.Exit(exit_code_for(audit_result, fail_on))


@routes_app.command("dependency")
def dependency(
    inputs: list[str] = typer.Argument(None, help=INPUTS_HELP, show_default=False),
    scope: str = typer.Option(..., "--scope", help="AS64500 (origin AS), CN (country; needs --as-names) or a file "
                                                   "of prefixes."),
    from_list: Path | None = typer.Option(None, "--from-list", help=FROM_LIST_HELP),
    policy: list[str] = typer.Option(None, "--policy", "-p", help="Policy whose excluded ASes give the exposure."),
    as_names: Path | None = typer.Option(None, "--as-names", help="pyasn asnames.json or CAIDA as2org (countries)."),
    family: str = typer.Option("4", "--family", help="4, 6 or both."),
    fmt: DepFormat = typer.Option(DepFormat.table, "--format", "-f"),
    output: Path | None = typer.Option(None, "--output", "-o"),
    top: int = typer.Option(50, "--top", help="Keep the N most central ASes per family (0: all)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 when any input record is malformed."),
    engine: Engine = typer.Option(Engine.auto, "--engine", help=ENGINE_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address for --engine dask."),
    workers: int = typer.Option(2, "--workers", help="--engine dask without --scheduler: local worker processes."),
    registry_dir: Path | None = typer.Option(None, "--registry"),
    on: str | None = typer.Option(None, "--on"),
    input_format: str | None = typer.Option(None, "--input-format", help="Force the format of every input "
                                            "(" + ", ".join(ROUTE_FORMATS) + "; default: detected by content)."),
) -> None:
    """AS hegemony of the transit ASes a scope depends on, and its exposure to the ASes a policy excludes.

    With several collectors, the viewpoints are every collector's peers (distinct per collector)."""
    from ..analyses.carrier import EXCLUDED, seen_asns
    from ..analyses.hegemony import final_rows, hegemony, scope_mask
    from ..enforce.classify import classify_asns
    from ..reporters.routes import Dependency, dependency_document

    if family not in ("4", "6", "both"):
        raise usage_error("--family must be 4, 6 or both")
    ctx = _context(policy, registry_dir, on)
    collectors = collector_inputs(inputs, from_list)
    cluster = _cluster(engine, scheduler, workers)
    with cluster if cluster is not None else nullcontext():
        got = read_collectors(collectors, None, str(engine), input_format, cluster)
    table, stats = got.merged, got.stats
    sc = parse_scope(scope, as_names, table, ctx.registry)
    rows = final_rows(table)
    in_scope = rows[scope_mask(table, rows, sc)]
    cls = classify_asns(ctx, seen_asns(table, in_scope), ", ".join(str(p) for c in collectors for p in c.paths))
    excluded = [v.asn for v in cls.verdicts.values() if v.level == EXCLUDED]
    groups: dict[str, list[int]] = {}
    for a in excluded:
        groups.setdefault(cls.verdicts[a].entity, []).append(a)
    fams = [4, 6] if family == "both" else [int(family)]
    results = [hegemony(table, sc, f, excluded, groups, rows=rows) for f in fams]
    emit(Dependency(dependency_document(ctx, results, stats, cls, top)), fmt, output)
    _report_problems(stats, strict)
    if all(r.viewpoints == 0 for r in results):
        console_err.print(f"[yellow]no route of the scope {sc.label} in the input[/]")
    raise typer.Exit(EXIT_OK)


@routes_app.command("filter")
def filter_(
    policy: list[str] = typer.Option(None, "--policy", "-p", help="Policy pack id or file (default clean-network)."),
    platform: FilterPlatform = typer.Option(..., "--format", "-f", help="bird, frr, junos, eos or iosxr."),
    output: Path | None = typer.Option(None, "--output", "-o"),
    include_review: bool = typer.Option(False, "--include-review", help="Also reject ASes the policy marks REVIEW."),
    extra_asn: list[str] = typer.Option(None, "--asn", help="Also classify this AS (e.g. one seen in your routes)."),
    chunk: int = typer.Option(0, "--chunk", help="Split the AS list into lists of at most N entries (0: one list)."),
    registry_dir: Path | None = typer.Option(None, "--registry"),
    on: str | None = typer.Option(None, "--on"),
) -> None:
    """Write a BGP filter rejecting routes whose AS path contains an AS number the policy excludes."""
    from ..enforce.bgp_filters import filter_spec, render
    from ..enforce.classify import classify_registry

    try:
        extra = [parse_asn(a) for a in extra_asn or []]
    except typer.BadParameter as exc:
        raise usage_error(str(exc)) from None
    if chunk < 0:
        raise usage_error("--chunk must be 0 or more")
    ctx = _context(policy, registry_dir, on)
    if len(ctx.packs) != 1:
        raise usage_error("give exactly one --policy for a filter")
    spec = filter_spec(ctx, classify_registry(ctx, extra), include_review)
    write_output(render(spec, str(platform), chunk), output)
    console_err.print(f"{len(spec.entries)} AS number(s) rejected by {spec.name}", highlight=False)
    raise typer.Exit(EXIT_OK)
