"""`netvet cables audit | exposure`: submarine cables (Clean Cable) from the open submarine cable map data."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from .common import EXIT_FINDINGS, EXIT_OK, console_err, usage_error, write_output

DATASET = "submarine-cable-map"

cables_app = typer.Typer(rich_markup_mode=None,
    name="cables",
    help="Submarine cables: who owns and who built the cables landing in a country, and which a path may ride.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class CableFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


class ExposureFormat(StrEnum):
    table = "table"
    json = "json"


def register(app: typer.Typer) -> None:
    app.add_typer(cables_app, name="cables")


def data_path(data: Path | None) -> tuple[Path, dict | None]:
    """--data, else the active version of the `netvet data` dataset submarine-cable-map."""
    if data is not None:
        return data, None
    from ..datasets import active_path, dataset_info

    path = active_path(DATASET)
    if path is None:
        raise usage_error(f"no cable map data: pass --data DIR (the data's folder or an archive of it), or "
                          f"`netvet data fetch {DATASET}` / `netvet data import {DATASET} FILE`")
    info = dataset_info(DATASET)
    return path, (info.to_dict() if info is not None else None)


def _load(data: Path | None):
    from ..readers.cables import load_cable_map

    path, info = data_path(data)
    cmap = load_cable_map(path)
    cmap.dataset = info
    return cmap


def _context(policy: list[str] | None, registry_dir: Path | None, on: str | None):
    from .routes_analysis import _context as routes_context

    return routes_context(policy, registry_dir, on)


@cables_app.command("audit")
def audit(
    country: str = typer.Option(..., "--country", "-c",
                                help="ISO 3166-1 alpha-2 code of the landing country (US, JP...)."),
    policy: list[str] = typer.Option(None, "--policy", "-p", help="Policy pack id or file (default clean-network)."),
    data: Path | None = typer.Option(None, "--data", help="The cable map data: its folder or a .tar.gz/.zip of it "
                                     "(default: the active `netvet data` version of submarine-cable-map)."),
    fmt: CableFormat = typer.Option(CableFormat.table, "--format", "-f", help="table, json or html (with a map)."),
    output: Path | None = typer.Option(None, "--output", "-o"),
    fail_on_fail: bool = typer.Option(False, "--fail", help="Exit 1 when any cable FAILs."),
    registry_dir: Path | None = typer.Option(None, "--registry"),
    on: str | None = typer.Option(None, "--on", help="Evaluate ownership and designations as of this date."),
) -> None:
    """Every cable landing in a country: owners and suppliers attributed to registry entities with their evidence,
    and verdicts per cable and per landing point under the policy (through the policy engine)."""
    from ..cable_audit import audit_country
    from ..readers.cables import COUNTRY_CODES

    code = country.strip().upper()
    if code not in set(COUNTRY_CODES.values()):
        by_name = {k.lower(): v for k, v in COUNTRY_CODES.items()}
        if country.strip().lower() not in by_name:
            raise usage_error(f"unknown country {country!r}: give an ISO 3166-1 alpha-2 code (US, JP, FR...)")
        code = by_name[country.strip().lower()]
    ctx = _context(policy, registry_dir, on)
    if len(ctx.packs) != 1:
        raise usage_error("give exactly one --policy for a cable audit")
    cmap = _load(data)
    doc, _report = audit_country(ctx, cmap, code)
    if not doc["cables"]:
        console_err.print(f"[yellow]no cable of the data lands in {code}[/]", highlight=False)
    from ..reporters import render
    from ..reporters.cables import CableAudit

    result = CableAudit(doc, lambda: cmap.routes({c["id"] for c in doc["cables"]}))
    write_output(render(result, str(fmt)), output)
    st = doc["input"]
    s = doc["summary"]
    console_err.print(f"{st['read']} cables read ({st['attributed']} attributed, {st['unattributed']} unattributed, "
                      f"{st['malformed']} malformed, {st['skipped']} elsewhere); {s['cables']} land in {code}: "
                      + ", ".join(f"{k} {v}" for k, v in s["cable_verdicts"].items()), highlight=False)
    for issue in cmap.stats.issues[:10]:
        console_err.print(f"[yellow]{issue.severity}:[/] {issue}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_FINDINGS if fail_on_fail and s["cable_verdicts"].get("FAIL") else EXIT_OK)


def _route_asns(paths: list[Path], asn_db: Path | None) -> dict[int, str]:
    """AS -> "route evidence" for every AS on the paths of the files (traceroutes need ``asn_db``)."""
    from .routes_analysis import load_inputs

    table, _stats, _extra = load_inputs(paths, asn_db)
    return {int(a): "route evidence" for a in sorted(set(table.path_asns.tolist()))}


@cables_app.command("exposure")
def exposure_cmd(
    route_evidence: list[Path] = typer.Option(None, "--route-evidence", "-r", help="RIB, bgpdump text, AS-path "
                                              "list or RIPE Atlas traceroute file: its carriers' cables."),
    asn: list[str] = typer.Option(None, "--asn", help="An AS number on the path (AS4134 or 4134); repeatable."),
    asn_db: Path | None = typer.Option(None, "--asn-db", help="IP -> AS data for traceroutes."),
    data: Path | None = typer.Option(None, "--data", help="The cable map data (folder or archive)."),
    fmt: ExposureFormat = typer.Option(ExposureFormat.table, "--format", "-f"),
    output: Path | None = typer.Option(None, "--output", "-o"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
    on: str | None = typer.Option(None, "--on"),
) -> None:
    """Which cables a path MAY ride: the carriers (AS -> registry entity) that own capacity on a cable, with the
    reason. "May" only: the data says who owns capacity, not which cable carries a given path."""
    from ..cable_audit import exposure
    from .routes_analysis import parse_asn

    if not route_evidence and not asn:
        raise usage_error("give --route-evidence FILE or --asn AS (or both)")
    seen: dict[int, str] = {}
    try:
        for a in asn or []:
            seen[parse_asn(a)] = "--asn"
    except typer.BadParameter as exc:
        raise usage_error(str(exc)) from None
    if route_evidence:
        for k, v in _route_asns(list(route_evidence), asn_db).items():
            seen.setdefault(k, v)
    ctx = _context(None, registry_dir, on)
    doc = exposure(ctx, _load(data), seen)
    from ..reporters import render
    from ..reporters.cables import CableExposure

    write_output(render(CableExposure(doc), str(fmt)), output)
    console_err.print(f"{len(seen)} AS(es); {len(doc['cables'])} cable(s) the path may ride", highlight=False)
    raise typer.Exit(EXIT_OK)
