"""`netvet registry`: show entities, list them, validate registry files, report unmatched OUIs."""

from __future__ import annotations

import json
from datetime import date
from enum import StrEnum
from pathlib import Path

import typer

from .common import OutFormat, console, console_err, usage_error


class CandidateFormat(StrEnum):
    """Output formats of `registry asn-candidates`."""

    table = "table"
    json = "json"


def entity_view(registry, entity_id: str, on: date) -> dict:
    e = registry.entities[entity_id]
    used_sources: set[str] = set()

    def src(fact) -> str:
        used_sources.add(fact.source)
        return fact.source

    j = registry.jurisdictions(entity_id, on)
    view = {
        "id": e.id,
        "legal_name": e.legal_name,
        "kind": str(e.kind),
        "aliases": e.aliases,
        "brands": e.brands,
        "jurisdiction": {
            "registration": e.registration_country,
            "headquarters": e.hq_country,
            "ultimate_parent": j["ultimate_parent"],
            "ultimate_parent_id": j["ultimate_parent_id"],
            "production": sorted({p.country for p in e.production}),
        },
        "owners": [
            {"owner": o.owner, "name": registry.name(o.owner), "share": o.share, "controlling": o.controlling(),
             "since": o.since, "until": o.until, "current": o.active(on), "note": o.note, "source": src(o),
             "as_of": o.as_of}
            for o in e.owners
        ],
        "parent_chain": registry.ancestors(entity_id, on),
        "subsidiaries": [
            {"id": sid, "name": registry.name(sid), "share": o.share, "since": o.since}
            for sid, o in registry.subsidiaries(entity_id, on)
        ],
        "state_ownership": [{"state": s.state, "share": s.share, "via": s.via, "source": src(s)}
                            for s in e.state_ownership],
        "designations": [
            {"list": d.list, "entry": d.entry, "via": via, "date_added": d.date_added, "scope": d.scope,
             "scope_text": d.scope_text, "source": (used_sources.add(d.source) or d.source)}
            for d, via in registry.affiliated_designations(entity_id, on)
        ],
        "identifiers": {
            "pens": [f.value for f in e.pens],
            "asns": [f.value for f in e.asns],
            "domains": [f.value for f in e.domains],
            "cpe_vendors": e.cpe_vendors,
            "registry_names": (e.registry_names.exact + e.registry_names.patterns) if e.registry_names else [],
        },
        "manufacturer": ({"entity": e.manufacturer.entity, "status": e.manufacturer.status,
                          "source": src(e.manufacturer)} if e.manufacturer else None),
        "notes": e.notes,
    }
    for f in (e.jurisdiction.registration, e.jurisdiction.headquarters, *e.pens, *e.asns, *e.production):
        if f is not None:
            used_sources.add(f.source)
    view["sources"] = [registry.sources[s].model_dump(exclude_none=True) for s in sorted(used_sources)
                       if s in registry.sources]
    view["defined_in"] = f"{registry.where[entity_id].file}:{registry.where[entity_id].line}"
    return view


reg_app = typer.Typer(rich_markup_mode=None, help="Inspect and validate the entity registry.", no_args_is_help=True)


@reg_app.command("show")
def show(
    entity: str = typer.Argument(..., help="Entity id, legal name, alias or brand."),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f"),
    on: str | None = typer.Option(None, "--on", help="Ownership as of this date (YYYY-MM-DD)."),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """An entity: parent and subsidiaries, jurisdiction, designations, identifiers, sources."""
    from ..attribution.registry import Registry
    from .audit import parse_date

    registry = Registry.load(registry_dir)
    e = registry.lookup(entity)
    if e is None:
        raise usage_error(f"no entity {entity!r} in the registry (try `netvet registry list`)")
    view = entity_view(registry, e.id, parse_date(on) or date.today())
    if fmt == OutFormat.json:
        typer.echo(json.dumps(view, indent=2, default=str))
        return
    from rich.table import Table

    t = Table(title=f"{view['legal_name']} ({view['id']})", show_header=False, title_justify="left")
    t.add_column("field", style="bold")
    t.add_column("value", overflow="fold")
    jd = view["jurisdiction"]
    t.add_row("kind", view["kind"])
    t.add_row("aliases / brands", ", ".join(view["aliases"] + view["brands"]) or "-")
    t.add_row("jurisdiction", f"registration {jd['registration'] or '?'}, headquarters {jd['headquarters'] or '?'}"
              f", ultimate parent {jd['ultimate_parent_id']} ({jd['ultimate_parent'] or '?'})")
    for o in view["owners"]:
        period = f"{o['since'] or '…'} to {o['until'] or 'now'}"
        share = f"{o['share']:g}%" if o["share"] is not None else "share unknown"
        t.add_row("owner", f"{o['name']} ({o['owner']}): {share}, {period}"
                  f"{'' if o['current'] else ' [past]'} [{o['source']}]")
    for s in view["subsidiaries"]:
        t.add_row("subsidiary", f"{s['name']} ({s['id']})" + (f": {s['share']:g}%" if s["share"] else ""))
    for s in view["state_ownership"]:
        t.add_row("state ownership", f"{s['state']} {s['share'] or ''} {s['via'] or ''} [{s['source']}]")
    for d in view["designations"]:
        via = "" if d["via"] == view["id"] else f" via {d['via']}"
        t.add_row("designation", f"{d['list']} #{d['entry']} added {d['date_added']} ({d['scope']}){via}")
    ids = view["identifiers"]
    for key in ("pens", "asns", "domains", "cpe_vendors", "registry_names"):
        if ids[key]:
            t.add_row(key.replace("_", " "), ", ".join(str(x) for x in ids[key]))
    if view["manufacturer"]:
        t.add_row("manufacturer", f"{view['manufacturer']['entity'] or '?'} ({view['manufacturer']['status']})")
    for s in view["sources"]:
        t.add_row("source", f"{s['id']}: {s['title']} <{s['url']}>")
    t.add_row("defined in", view["defined_in"])
    console.print(t)


@reg_app.command("list")
def list_(
    kind: str | None = typer.Option(None, "--kind"),
    country: str | None = typer.Option(None, "--country", help="Headquarters country (ISO alpha-2)."),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """List entities."""
    from ..attribution.registry import Registry

    registry = Registry.load(registry_dir)
    rows = [e for e in registry.entities.values()
            if (kind is None or e.kind == kind) and (country is None or e.hq_country == country.upper())]
    if fmt == OutFormat.json:
        typer.echo(json.dumps([{"id": e.id, "legal_name": e.legal_name, "kind": str(e.kind),
                                "country": e.hq_country} for e in rows], indent=2))
        return
    from rich.table import Table

    t = Table(title=f"{len(rows)} entities (registry {registry.version})", title_justify="left")
    for col in ("id", "legal name", "kind", "HQ", "parent", "designations"):
        t.add_column(col)
    for e in sorted(rows, key=lambda e: e.id):
        des = sorted({d.list for d, _ in registry.affiliated_designations(e.id)})
        t.add_row(e.id, e.legal_name, str(e.kind), e.hq_country or "?", registry.parent(e.id) or "",
                  ", ".join(des))
    console.print(t)


@reg_app.command("validate")
def validate_(path: Path = typer.Argument(None, help="Registry directory (default: bundled).")) -> None:
    """Validate a registry directory; errors name file and line."""
    from ..attribution.registry import Registry

    reg = Registry.load(path)
    console.print(f"registry {reg.version}: {len(reg.entities)} entities, {len(reg.designations)} designations, "
                  f"{len(reg.sources)} sources — valid")


@reg_app.command("unmatched-ouis")
def unmatched(
    limit: int = typer.Option(50, "--limit", help="Show this many (0 = all)."),
    fmt: OutFormat = typer.Option(OutFormat.table, "--format", "-f"),
    mac_db: list[Path] = typer.Option(None, "--mac-db"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
) -> None:
    """IEEE registry organisation names that no curated entity claims, by block count."""
    from ..attribution.registry import Registry
    from .common import load_id_registries

    registry = Registry.load(registry_dir)
    macs, _, _ = load_id_registries(mac_db, None)
    counts = macs.org_block_counts()
    rows = sorted(((n, c) for n, c in counts.items() if not registry.registry_index.match(n)),
                  key=lambda r: (-r[1], r[0]))
    claimed = sum(c for n, c in counts.items() if registry.registry_index.match(n))
    shown = rows if limit == 0 else rows[:limit]
    if fmt == OutFormat.json:
        typer.echo(json.dumps({"claimed_blocks": claimed, "unmatched_names": len(rows),
                               "unmatched": [{"org": n, "blocks": c} for n, c in shown]}, indent=2))
        return
    from rich.table import Table

    t = Table(title=f"{len(rows)} registry names no entity claims ({claimed} blocks claimed)",
              title_justify="left")
    t.add_column("blocks", justify="right")
    t.add_column("registry organisation name")
    for n, c in shown:
        t.add_row(str(c), n)
    console.print(t)


@reg_app.command("asn-candidates")
def asn_candidates(
    asnames: list[Path] = typer.Option(None, "--asnames", help="AS-names file(s): pyasn asnames.json(.gz) or "
                                       "CAIDA as2org (default: the active `netvet data` caida-as2org)."),
    peeringdb_net: Path | None = typer.Option(None, "--peeringdb-net", help="PeeringDB /api/net answer (default: "
                                              "the active peeringdb-net dataset)."),
    peeringdb_org: Path | None = typer.Option(None, "--peeringdb-org", help="PeeringDB /api/org answer (default: "
                                              "the active peeringdb-org dataset)."),
    rir: list[Path] = typer.Option(None, "--rir", help="RIR delegated-extended file(s) (default: the active rir-* "
                                   "datasets)."),
    as2org: Path | None = typer.Option(None, "--as2org", help="CAIDA AS-to-Organization file: ASNs of the "
                                       "organisation of a claimed ASN (default: the active caida-as2org)."),
    fmt: CandidateFormat = typer.Option(CandidateFormat.table, "--format", "-f"),
    show_all: bool = typer.Option(False, "--all", help="Also list the matching ASNs that are claimed or excluded."),
    claimed: bool = typer.Option(False, "--claimed", help="List the ASNs the registry claims per carrier group, "
                                 "with their sources (no AS-names data needed)."),
    registry_dir: Path | None = typer.Option(None, "--registry"),
    on: str | None = typer.Option(None, "--on", help="Ownership as of this date (YYYY-MM-DD)."),
) -> None:
    """ASNs that AS names, PeeringDB, RIR registrants or CAIDA organisations tie to a designated carrier group but
    that no entity claims, each with its evidence."""
    from ..attribution import asn_candidates as ac
    from ..attribution.asnames import AsNames, load_asnames
    from ..attribution.registry import Registry
    from ..model import InputError
    from .audit import parse_date

    registry = Registry.load(registry_dir)
    rules = ac.load_rules(registry, ac.rules_path(registry_dir))
    when = parse_date(on) or date.today()
    groups = rules.group_ids
    if claimed:
        rows = ac.claimed_asns(registry, groups, when)
        if fmt == CandidateFormat.json:
            typer.echo(json.dumps({"rules": rules.file, "groups": {g: sum(r.group == g for r in rows)
                                                                   for g in groups},
                                   "claimed": [r.to_dict() for r in rows]}, indent=2))
            return
        from rich.table import Table

        t = Table(title=f"{len(rows)} ASNs claimed by the carrier groups ({', '.join(groups)})",
                  title_justify="left")
        for col in ("ASN", "group", "entity", "source", "as of", "note"):
            t.add_column(col, overflow="fold")
        for r in rows:
            t.add_row(f"AS{r.asn}", r.group, r.entity, r.source, r.as_of.isoformat(), r.note or "")
        console.print(t)
        return
    from ..flows.sources import ASNAMES_DATASETS, active_paths

    def active(names: tuple[str, ...]) -> Path | None:
        found = active_paths(names)
        return found[0] if found else None

    files = list(asnames or []) or active_paths(ASNAMES_DATASETS)
    pdb_net = peeringdb_net or active(("peeringdb-net",))
    pdb_org = peeringdb_org or (active(("peeringdb-org",)) if pdb_net is not None else None)
    rir_files = list(rir or []) or active_paths(ac.RIR_DATASETS)
    as2org_file = as2org or active(ASNAMES_DATASETS)
    if not (files or pdb_net or pdb_org or rir_files or as2org_file):
        raise usage_error("no AS-names data: give --asnames FILE (pyasn asnames.json or CAIDA as2org), "
                          "--peeringdb-net FILE [--peeringdb-org FILE], --rir FILE or --as2org FILE, or fetch "
                          f"the datasets with `netvet data fetch {ASNAMES_DATASETS[0]} peeringdb-net peeringdb-org "
                          "'rir-*'`")
    names = AsNames()
    per_file: dict[str, AsNames] = {}
    try:
        for p in files:
            if not Path(p).is_file():
                raise InputError(str(p), "--asnames: file not found")
            per_file[str(p)] = load_asnames(p)
            names.update(per_file[str(p)])
        data = ac.load_org_data(pdb_net, pdb_org, rir_files, as2org_file, as2org_explicit=as2org is not None,
                                loaded=per_file)
    except InputError as exc:
        raise usage_error(f"input error: {exc}") from None
    malformed = sum(s.malformed for s in names.stats)
    if malformed:
        console_err.print(f"[yellow]warning:[/] {malformed} malformed AS-names record(s) skipped", highlight=False)
    matches = ac.classify(rules, registry, names, when) if files else []
    evidence, notes = ac.related(rules, registry, data, when)
    for note in notes:
        console_err.print(f"[yellow]note:[/] {note}", highlight=False)
    counts = ac.summary(matches, groups)
    order = {k: i for i, k in enumerate(ac.EVIDENCE_KINDS)}
    rows = sorted([*matches, *evidence], key=lambda r: (groups.index(r.group), r.asn, order[r.evidence]))
    shown = [r for r in rows if show_all or r.status in (ac.UNCLAIMED, ac.CLAIMED_ELSEWHERE)]
    sources = {"asnames": [str(p) for p in files],
               "peeringdb_net": data.peeringdb.net_file if data.peeringdb else None,
               "peeringdb_org": data.peeringdb.org_file if data.peeringdb else None,
               "rir": list(data.rir.files) if data.rir else [],
               "as2org": str(as2org_file) if data.as2org is not None else None}
    if fmt == CandidateFormat.json:
        typer.echo(json.dumps({"asnames": [str(p) for p in files], "records": len(names), "rules": rules.file,
                               "sources": sources, "summary": counts,
                               "evidence_summary": ac.evidence_summary(evidence, groups), "notes": notes,
                               "candidates": [r.to_dict() for r in shown]}, indent=2))
        return
    if files:
        per_group = "; ".join(f"{g}: {c['matched']} matched, {c['claimed']} claimed, {c['excluded']} excluded, "
                              f"{c['unclaimed']} unclaimed" + (f", {c['claimed-elsewhere']} claimed by another "
                                                               "entity" if c["claimed-elsewhere"] else "")
                              for g, c in counts.items())
        console.print(f"{len(names)} AS-names records ({', '.join(str(p) for p in files)})", highlight=False)
        console.print(per_group, highlight=False)
    used = [f"PeeringDB ({len(data.peeringdb.nets)} networks, {len(data.peeringdb.orgs)} organisations)"
            if data.peeringdb else "",
            f"RIR delegated-extended ({len(data.rir.ranges)} held ASN records in {len(data.rir.files)} file(s))"
            if data.rir else "",
            f"CAIDA as2org ({len(data.as2org)} ASNs)" if data.as2org is not None else ""]
    if any(used):
        console.print("organisation data: " + ", ".join(u for u in used if u), highlight=False)
        ev = ac.evidence_summary(evidence, groups)
        console.print("; ".join(f"{g}: " + (", ".join(f"{k} {c['found']} found, {c['unclaimed']} unclaimed"
                                                       for k, c in ev[g].items()) or "nothing shared")
                                for g in groups), highlight=False)
    if not shown:
        console.print("no candidates: every ASN the data ties to a group is claimed by it or excluded with a reason")
        return
    from rich.table import Table

    t = Table(title=f"{len(shown)} candidate(s)" + ("" if show_all else " no entity of their group claims"),
              title_justify="left")
    for col in ("ASN", "group", "status", "evidence", "AS / network name", "organisation", "CC", "why"):
        t.add_column(col, overflow="fold")
    for r in shown:
        why = "; ".join(r.reasons)
        if r.status == ac.CLAIMED_ELSEWHERE or (r.status == ac.CLAIMED and show_all):
            why += f" [claimed by {r.entity}]"
        if r.exclusion:
            why += f" [excluded: {r.exclusion}]"
        t.add_row(f"AS{r.asn}", r.group, r.status, r.evidence, r.name or "", r.org or "", r.country or "", why)
    console.print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(reg_app, name="registry")
