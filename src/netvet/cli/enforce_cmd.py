"""`netvet enforce`: blocklists (nftables, ipset, RPZ, Unbound, dnsmasq, MDM app list, device CSV) from a
policy's excluded set or from one audit report's findings. The writers are in ``enforce/blocklists.py``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from .common import EXIT_OK, console_err, usage_error, write_output


class BlockFormat(StrEnum):
    nftables = "nftables"
    ipset = "ipset"
    rpz = "rpz"
    unbound = "unbound"
    dnsmasq = "dnsmasq"
    mdm_csv = "mdm-csv"
    device_csv = "device-csv"


def _prefix_tables(asn_db: list[Path] | None):
    """IP -> AS tables: the --asn-db files, else the active caida-pfx2as-v4/-v6 datasets."""
    from ..readers.route_evidence import prefix_origins_of
    from ._ipasn import asn_db_paths

    paths = list(asn_db or [])
    if not paths:
        paths = asn_db_paths(None, 4) + asn_db_paths(None, 6)
    if not paths:
        raise usage_error("address blocklists need IP -> AS data: --asn-db FILE (pyasn IPASN, CAIDA pfx2as or a "
                          "RIB), or `netvet data fetch caida-pfx2as-v4` (and -v6)")
    return [prefix_origins_of(p) for p in paths], paths


def enforce(
    policy: str | None = typer.Option(None, "--policy", "-p", help="Policy pack id or file (default "
                                      "clean-network; with --from-report: the report's policy to take)."),
    fmt: BlockFormat = typer.Option(..., "--format", "-f", help="nftables, ipset (IP prefixes of excluded "
                                    "ASes), rpz, unbound, dnsmasq (domains), mdm-csv (Android packages), "
                                    "device-csv (devices of --from-report)."),
    output: Path | None = typer.Option(None, "--output", "-o"),
    asn_db: list[Path] = typer.Option(None, "--asn-db", help="IP -> AS data (IPASN, pfx2as or RIB); repeatable "
                                      "(e.g. an IPv4 and an IPv6 file)."),
    from_report: Path | None = typer.Option(None, "--from-report", help="A netvet JSON report: block what "
                                            "its findings exclude instead of the policy's registry-wide set."),
    include_review: bool = typer.Option(False, "--include-review", help="Also block what is REVIEW."),
    extra_asn: list[str] = typer.Option(None, "--asn", help="Also classify this AS (nftables/ipset)."),
    registry_dir: Path | None = typer.Option(None, "--registry"),
    on: str | None = typer.Option(None, "--on"),
) -> None:
    """Write a blocklist of what a policy excludes: prefixes of excluded AS numbers and clouds (nftables sets,
    ipset lists), excluded domains (RPZ zone, Unbound local-zones, dnsmasq), Android packages (MDM CSV) and
    excluded devices (CSV, from --from-report)."""
    from ..enforce.blocklists import (
        WRITERS,
        BlockSet,
        collapse,
        load_report,
        policy_asns,
        policy_domains,
        policy_packages,
        prefixes_of,
        render,
    )
    from .routes_analysis import _context, parse_asn

    needs = WRITERS[str(fmt)].needs
    try:
        extra = [parse_asn(a) for a in extra_asn or []]
    except typer.BadParameter as exc:
        raise usage_error(str(exc)) from None
    if needs == "devices" and from_report is None:
        raise usage_error("device-csv lists the excluded devices of an audit: give --from-report report.json")
    rep = load_report(from_report, policy, include_review) if from_report is not None else None
    ctx = None
    if rep is None or (needs == "packages" and not rep.packages):
        ctx = _context([policy] if policy else None, registry_dir, on)
    if rep is not None:
        pol = rep.policy
        bs = BlockSet(pol.get("id", "?"), pol.get("title", ""), pol.get("version", ""),
                      rep.meta["registry_version"], rep.meta["evaluated_on"], str(from_report), include_review,
                      asns=rep.asns, domains=rep.domains, packages=rep.packages, devices=rep.devices)
    else:
        pack = ctx.packs[0]
        bs = BlockSet(pack.id, pack.meta.title, pack.meta.version, ctx.registry.version, ctx.on.isoformat(),
                      "the policy's evaluation of every registry entity", include_review)
    if needs == "prefixes":
        if rep is None:
            bs.asns = policy_asns(ctx, include_review, extra)
        tables, paths = _prefix_tables(asn_db)
        prefixes, mixed = prefixes_of(tables, {int(b.value) for b in bs.asns})
        bs.v4, bs.v6 = collapse(prefixes)
        bs.notes.append(f"prefixes from {', '.join(str(p) for p in paths)}: {len(prefixes)} originated only by "
                        f"excluded ASes, {len(bs.v4)} IPv4 + {len(bs.v6)} IPv6 after merging")
        if mixed:
            bs.notes.append(f"{mixed} prefixes also originated by an AS the policy does not exclude are NOT "
                            "blocked")
    elif needs == "domains" and rep is None:
        bs.domains = policy_domains(ctx, include_review)
    elif needs == "packages" and not bs.packages:
        pkgs = policy_packages(ctx, include_review)
        if pkgs is None:
            raise usage_error("no package rules file (data/apps/package-prefixes.yaml): give --from-report with "
                              "app findings")
        bs.packages = pkgs
    write_output(render(bs, str(fmt)), output)
    count = {"prefixes": len(bs.v4) + len(bs.v6), "domains": len(bs.domains), "packages": len(bs.packages),
             "devices": len(bs.devices)}[needs]
    console_err.print(f"{count} {needs} blocked ({bs.policy_id}, {fmt})", highlight=False)
    raise typer.Exit(EXIT_OK)


def register(app: typer.Typer) -> None:
    app.command("enforce")(enforce)
