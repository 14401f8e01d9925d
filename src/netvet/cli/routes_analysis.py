"""`netvet routes audit | dependency | filter`: carrier audit, AS hegemony and BGP filter export.

The commands are added to the ``routes`` sub-app that ``cli/routes.py`` owns (``routes_app``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .common import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, FailOn, console, console_err, usage_error, write_output
from .routes import routes_app

AUDIT_SCHEMA = "netvet-routes-audit/1"
DEPENDENCY_SCHEMA = "netvet-routes-dependency/1"
_VERDICT_STYLE = {"FAIL": "bold red", "REVIEW": "yellow", "PASS": "green"}


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


def parse_asn(text: str) -> int:
    t = text.strip().upper().removeprefix("AS")
    if not (t.isascii() and t.isdigit()) or not 0 < int(t) <= 0xFFFFFFFF:
        raise typer.BadParameter(f"not an AS number: {text!r}")
    return int(t)


# ----------------------------------------------------------------------------- inputs
def load_inputs(paths: list[Path], asn_db: Path | None, engine: str = "auto"):
    """(route table, read stats per file, extra per-file facts) of every input; traceroutes need ``asn_db``.
    An input that yields no route at all is an InputError (exit 2)."""
    from ..model import InputError
    from ..model.route import RouteTable
    from ..readers.atlas_traceroute import default_prefix_index, load_traceroute_routes
    from ..readers.route_evidence import detect_route_format, load_prefix_index, load_routes

    tables, stats, extra = [], [], []
    index = None
    for p in paths:
        fmt = detect_route_format(p)
        if fmt == "atlas-traceroute":
            if index is None:
                index = load_prefix_index(asn_db, engine) if asn_db is not None else default_prefix_index()
            if index is None:
                raise usage_error(f"{p}: traceroutes need --asn-db (a RIB, IPASN or pfx2as file) to map hops to "
                                  "ASes, or an active `netvet data` pfx2as dataset")
            table, st, counts = load_traceroute_routes(p, index)
            extra.append({"traceroutes": counts.to_dict()})
        else:
            table, st = load_routes(p, fmt, engine)
            extra.append({})
        if len(table) == 0:  # evidence that yields nothing must never look clean
            first = next((i.reason for i in st.issues if i.severity == "error"), None)
            raise InputError(str(p), "no routes in this input" + (f" (first problem: {first})" if first else ""))
        tables.append(table)
        stats.append(st)
    return RouteTable.concat(tables), stats, extra


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


# ----------------------------------------------------------------------------- audit document
def _entity_dict(v) -> dict:
    if v is not None and v.entity_info:
        return dict(v.entity_info)
    return {"id": None, "name": v.entity if v is not None else None, "country": None}


def audit_document(ctx, table, stats, extra, scan_, summary, cls, selection: dict, detail_routes: bool = False
                   ) -> dict:
    """The JSON document of a carrier audit (schema ``netvet-routes-audit/1``)."""
    from .. import __version__
    from ..analyses.carrier import LEVEL_NAMES

    verdicts = cls.verdicts
    by_entity: dict[str, list] = {}
    for v in verdicts.values():
        if v.level:
            by_entity.setdefault(v.entity, []).append(v)

    def ent_info(key: str) -> dict:
        vs = by_entity.get(key)
        return _entity_dict(vs[0] if vs else None)

    def cites(vs) -> list[dict]:
        return list({json.dumps(c, sort_keys=True): c for v in vs for c in v.citations}.values())

    findings = []
    for f in summary.findings:
        reasons, vs_all = [], []
        ents = []
        for e in f.entities:
            vs = [verdicts[a] for a in e["asns"] if a in verdicts]
            vs_all += vs
            info = ent_info(e["entity"])
            asns = ", ".join(f"AS{a}" for a in e["asns"])
            reasons.append(f"{info.get('name') or e['entity']} ({asns}) at {'/'.join(e['positions'])} on "
                           f"{e['routes']} of {f.routes} route(s)")
            for v in vs:
                reasons.extend(r for r in v.reasons if r not in reasons)
            ents.append({"entity": info, "asns": e["asns"], "positions": e["positions"], "routes": e["routes"],
                         "level": LEVEL_NAMES[e["level"]],
                         "verdict": max((v.verdict for v in vs), key=_rank, default="PASS"),
                         "rule_ids": sorted({r for v in vs for r in v.rule_ids})})
        findings.append({
            "prefix": f.prefix, "origins": f.origins, "verdict": f.verdict, "clean": f.clean, "routes": f.routes,
            "clean_routes": f.clean_routes, "review_routes": f.review_routes,
            "entity": ents[0]["entity"] if ents else None, "entities": ents, "reasons": reasons,
            "citations": cites(vs_all),
        })
    entities = []
    for g in summary.entities:
        vs = by_entity.get(str(g.key), [])
        entities.append({
            "entity": ent_info(str(g.key)), "level": LEVEL_NAMES[g.level],
            "verdict": max((v.verdict for v in vs), key=_rank, default="PASS"), "asns": g.asns,
            "routes": g.routes, "prefixes": g.prefixes, "positions": g.positions,
            "prefixes_clean": g.prefixes_clean, "address_space": g.space.to_dict(),
            "rule_ids": sorted({r for v in vs for r in v.rule_ids}), "citations": cites(vs),
        })
    origins = [{
        "asn": g.key, "entity": _entity_dict(verdicts.get(g.key)) if verdicts.get(g.key) and
        verdicts[g.key].entity_info else None, "routes": g.routes, "excluded_routes": g.excluded_routes,
        "review_routes": g.review_routes, "prefixes": g.prefixes, "prefixes_clean": g.prefixes_clean,
        "address_space": g.space.to_dict()} for g in summary.origins]
    classified = [{
        "asn": v.asn, "entity": _entity_dict(v), "verdict": v.verdict, "level": LEVEL_NAMES[v.level],
        "levels": {"origin": LEVEL_NAMES[v.origin], "transit": LEVEL_NAMES[v.transit], "peer": LEVEL_NAMES[v.peer]},
        "rule_ids": list(v.rule_ids), "reasons": list(v.reasons), "citations": list(v.citations)}
        for v in sorted(verdicts.values(), key=lambda v: v.asn) if v.level]
    inputs = []
    for st, ex in zip(stats, extra, strict=True):
        inputs.append({**st.to_dict(), **ex})
    doc = {
        "schema": AUDIT_SCHEMA,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "evaluated_on": ctx.on.isoformat(),
        "netvet_version": __version__,
        "registry_version": ctx.registry.version,
        "policies": [{"id": p.id, "title": p.meta.title, "version": p.meta.version} for p in ctx.packs],
        "inputs": inputs,
        "selection": selection,
        "units": {"ipv4_addresses": "IPv4 addresses (union of prefixes)",
                  "ipv6_48s": "IPv6 /48 networks (union; a longer prefix counts as its /48)"},
        "summary": {
            "routes": summary.routes, "prefixes": summary.prefixes, "peers": summary.peers, "paths": summary.paths,
            "asns_seen": len(verdicts), "asns_excluded": len(cls.excluded), "asns_review": len(cls.review),
            "excluded_routes": summary.excluded_routes, "review_routes": summary.review_routes,
            "prefixes_clean": summary.prefixes_clean, "address_space": summary.space.to_dict(),
            "address_space_by_clean": {k: v.to_dict() for k, v in summary.space_by_clean.items()},
            "verdicts": summary.verdicts,
        },
        "classified_asns": classified,
        "entities": entities,
        "origins": origins,
        "findings": findings,
    }
    if detail_routes:
        doc["routes"] = route_details(table, scan_)
    return doc


def _rank(verdict: str) -> int:
    return {"PASS": 0, "UNKNOWN": 1, "REVIEW": 2, "FAIL": 3}.get(verdict, 0)


def route_details(table, scan_) -> list[dict]:
    """Every route with a classified AS on it: prefix, peer, path and the ASes with their positions."""
    from ..analyses.carrier import LEVEL_NAMES, position_names

    out = []
    order = scan_.hit_route.argsort(kind="stable")
    hits: dict[int, list] = {}
    for i in order.tolist():
        hits.setdefault(int(scan_.hit_route[i]), []).append(i)
    for r, idx in hits.items():
        row = int(scan_.rows[r])
        path = table.route_path(row)
        text = " ".join("{" + ",".join(map(str, sorted(e))) + "}" if isinstance(e, frozenset) else str(e)
                        for e in path)
        out.append({
            "prefix": scan_.prefixes.text(int(scan_.prefix_id[r])),
            "peer_ip": table.peer_ips[int(table.peer_index[row])], "peer_as": int(table.peer_as[row]),
            "as_path": text, "level": LEVEL_NAMES[int(scan_.level[r])],
            "ases": [{"asn": int(scan_.hit_asn[i]), "entity": scan_.verdicts[int(scan_.hit_asn[i])].entity,
                      "positions": position_names(int(scan_.hit_pos[i])),
                      "level": LEVEL_NAMES[int(scan_.hit_level[i])]} for i in idx],
        })
    return out


AUDIT_CSV_COLUMNS = ["prefix", "verdict", "clean", "routes", "clean_routes", "origins", "entity_id", "entity_name",
                     "entity_country", "asns", "positions", "entity_routes", "level", "rule_ids", "reasons",
                     "citations"]


def audit_csv(doc: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(AUDIT_CSV_COLUMNS)
    for f in doc["findings"]:
        ents = f["entities"] or [None]
        for e in ents:
            info = (e or {}).get("entity") or {}
            w.writerow([
                f["prefix"], f["verdict"], f["clean"], f["routes"], f["clean_routes"],
                " ".join(f"AS{o}" for o in f["origins"]), info.get("id") or "", info.get("name") or "",
                info.get("country") or "", " ".join(f"AS{a}" for a in (e or {}).get("asns", [])),
                "/".join((e or {}).get("positions", [])), (e or {}).get("routes", ""), (e or {}).get("level", ""),
                ";".join((e or {}).get("rule_ids", [])), " | ".join(f["reasons"]),
                " | ".join(c["label"] + (f" <{c['url']}>" if c.get("url") else "") for c in f["citations"]),
            ])
    return buf.getvalue()


def _space(d: dict) -> str:
    return f"{d['ipv4_addresses']:,} v4 / {d['ipv6_48s']:,} v6 /48"


def audit_tables(doc: dict, limit: int = 30) -> list:
    s = doc["summary"]
    parts: list = []
    t = Table(title="Inputs", title_justify="left")
    for col in ("file", "format", "read", "malformed"):
        t.add_column(col)
    for i in doc["inputs"]:
        bad = Text(str(i["malformed"]), style="red" if i["malformed"] else "")
        t.add_row(i["file"], i["format"], str(i["read"]), bad)
    parts.append(t)
    t = Table(title=f"Carrier audit ({', '.join(p['id'] for p in doc['policies'])})", title_justify="left")
    t.add_column("measure")
    t.add_column("value", justify="right")
    t.add_row("routes / prefixes / peers", f"{s['routes']:,} / {s['prefixes']:,} / {s['peers']:,}")
    t.add_row("ASes seen / excluded / review", f"{s['asns_seen']:,} / {s['asns_excluded']} / {s['asns_review']}")
    t.add_row("routes crossing an excluded AS", f"{s['excluded_routes']:,}")
    t.add_row("routes crossing a review AS only", f"{s['review_routes']:,}")
    for k, label in (("all", "prefixes clean on all routes"), ("some", "prefixes clean on some routes"),
                     ("none", "prefixes clean on no route")):
        t.add_row(label, f"{s['prefixes_clean'][k]:,}  ({_space(s['address_space_by_clean'][k])})")
    parts.append(t)
    if doc["entities"]:
        t = Table(title="Entities on the paths", title_justify="left")
        for col in ("entity", "verdict", "ASes", "routes", "origin/transit/peer", "prefixes all/some/none",
                    "address space"):
            t.add_column(col, overflow="fold")
        for e in doc["entities"]:
            pos = e["positions"]
            pc = e["prefixes_clean"]
            t.add_row(f"{e['entity']['name']}" + (f" [{e['entity']['country']}]" if e["entity"].get("country") else ""),
                      Text(e["verdict"], style=_VERDICT_STYLE.get(e["verdict"], "")),
                      " ".join(f"AS{a}" for a in e["asns"]), f"{e['routes']:,}",
                      f"{pos['origin']}/{pos['transit']}/{pos['peer']}", f"{pc['all']}/{pc['some']}/{pc['none']}",
                      _space(e["address_space"]))
        parts.append(t)
    if doc["findings"]:
        t = Table(title="Prefixes with excluded or review ASes on their paths", title_justify="left")
        for col in ("verdict", "prefix", "clean", "routes", "origin", "entities"):
            t.add_column(col, overflow="fold")
        for f in doc["findings"][:limit]:
            ents = "; ".join(f"{e['entity']['name']} ({'/'.join(e['positions'])}, {e['routes']})"
                             for e in f["entities"])
            t.add_row(Text(f["verdict"], style=_VERDICT_STYLE.get(f["verdict"], "")), f["prefix"], f["clean"],
                      f"{f['clean_routes']}/{f['routes']} clean", " ".join(f"AS{o}" for o in f["origins"]), ents)
        if len(doc["findings"]) > limit:
            t.caption = f"{limit} of {len(doc['findings'])} shown; use --format json or csv for all"
        parts.append(t)
    return parts


def render_audit(doc: dict, fmt: str, report=None) -> str:
    if fmt == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return audit_csv(doc)
    if fmt == "html":
        from ..reporters import render

        return render(report, "html")
    con = Console(record=True, width=160, force_terminal=False, color_system=None)
    with con.capture() as cap:
        con.print(Group(*audit_tables(doc)))
    return cap.get()


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


def dependency_document(ctx, results, stats, cls, top: int) -> dict:
    from .. import __version__

    def ent(asn: int):
        v = cls.verdicts.get(asn)
        return _entity_dict(v) if v is not None and v.entity_info else None

    out = []
    for r in results:
        ases = [{"asn": a.asn, "hegemony": round(a.hegemony, 6), "mean": round(a.mean, 6),
                 "viewpoints": a.viewpoints, "entity": ent(a.asn),
                 "verdict": cls.verdicts[a.asn].verdict if a.asn in cls.verdicts else None}
                for a in r.ases if a.hegemony > 0 or a.mean > 0][:top if top > 0 else None]
        exp = r.exposure
        out.append({
            "family": r.family, "viewpoints": r.viewpoints, "trimmed_each_end": r.trimmed, "routes": r.routes,
            "prefixes": r.prefixes, "origins": r.origins_in_scope, "mean_scope_weight": r.scope_weight,
            "weight_unit": "IPv4 addresses" if r.family == 4 else "prefixes",
            "ases": ases,
            "exposure": None if exp is None else {
                "hegemony": round(exp.hegemony, 6), "sum": round(exp.sum, 6), "max": round(exp.max, 6),
                "viewpoints": exp.viewpoints, "asns": exp.asns,
                "by_entity": {k: round(v, 6) for k, v in exp.by_group.items()}},
        })
    return {
        "schema": DEPENDENCY_SCHEMA,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "netvet_version": __version__, "registry_version": ctx.registry.version,
        "evaluated_on": ctx.on.isoformat(),
        "policies": [{"id": p.id, "title": p.meta.title, "version": p.meta.version} for p in ctx.packs],
        "method": "AS hegemony (Fontugne, Shah, Aben 2017/2018): per-viewpoint address-weighted betweenness, "
                  "trimmed mean dropping floor(0.1 n) values at each end; peer and origin ASes not counted",
        "scope": {"kind": results[0].scope.kind, "label": results[0].scope.label,
                  "prefixes": list(results[0].scope.prefixes)} if results else None,
        "inputs": [s.to_dict() for s in stats],
        "results": out,
    }


def dependency_tables(doc: dict, limit: int = 25) -> list:
    parts: list = []
    for r in doc["results"]:
        t = Table(title=f"AS hegemony for {doc['scope']['label']} (IPv{r['family']}): {r['viewpoints']} viewpoints, "
                        f"{r['routes']:,} routes, {r['prefixes']:,} prefixes", title_justify="left")
        for col in ("AS", "entity", "verdict", "hegemony", "mean", "viewpoints"):
            t.add_column(col, justify="right" if col in ("hegemony", "mean", "viewpoints") else "left")
        for a in r["ases"][:limit]:
            name = (a["entity"] or {}).get("name") or ""
            t.add_row(f"AS{a['asn']}", name, Text(a["verdict"] or "", style=_VERDICT_STYLE.get(a["verdict"] or "", "")),
                      f"{a['hegemony']:.4f}", f"{a['mean']:.4f}", str(a["viewpoints"]))
        parts.append(t)
        e = r["exposure"]
        if e is not None:
            parts.append(Text(f"exposure to excluded ASes (as one node): {e['hegemony']:.4f}  "
                              f"(sum {e['sum']:.4f}, max {e['max']:.4f}; {len(e['asns'])} excluded ASes)"))
    return parts


def dependency_csv(doc: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["scope", "family", "asn", "entity_id", "entity_name", "verdict", "hegemony", "mean", "viewpoints"])
    for r in doc["results"]:
        for a in r["ases"]:
            ent = a["entity"] or {}
            w.writerow([doc["scope"]["label"], r["family"], a["asn"], ent.get("id") or "", ent.get("name") or "",
                        a["verdict"] or "", a["hegemony"], a["mean"], a["viewpoints"]])
        if r["exposure"] is not None:
            w.writerow([doc["scope"]["label"], r["family"], "EXCLUDED-SET", "", "", "FAIL", r["exposure"]["hegemony"],
                        "", r["exposure"]["viewpoints"]])
    return buf.getvalue()


# ----------------------------------------------------------------------------- commands
def register(app: typer.Typer) -> None:  # noqa: ARG001 - the commands live on routes_app
    """Nothing to attach: ``routes_app`` (cli/routes.py) carries the commands defined below."""


@routes_app.command("audit")
def audit(
    inputs: list[Path] = typer.Argument(..., help="MRT RIB/updates, bgpdump -m text, AS-path list, IPASN/pfx2as, "
                                                  "or RIPE Atlas traceroutes (with --asn-db)."),
    policy: list[str] = typer.Option(None, "--policy", "-p", help="Policy pack id or file (default clean-network)."),
    prefix: list[str] = typer.Option(None, "--prefix", help="Only routes overlapping this prefix (repeatable)."),
    origin: list[str] = typer.Option(None, "--origin", help="Only routes originated by this AS (repeatable)."),
    asn_db: Path | None = typer.Option(None, "--asn-db", help="RIB, IPASN or pfx2as file for IP -> ASN (traceroutes)."),
    fmt: AuditFormat = typer.Option(AuditFormat.table, "--format", "-f"),
    output: Path | None = typer.Option(None, "--output", "-o"),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 when any input record is malformed."),
    fail_on: FailOn = typer.Option(FailOn.fail, "--fail-on", help="Exit 1 when a prefix verdict is at or above this."),
    routes_detail: bool = typer.Option(False, "--routes", help="JSON: list every route with a classified AS on it."),
    all_prefixes: bool = typer.Option(False, "--all-prefixes", help="JSON/CSV: list clean prefixes too."),
    engine: Engine = typer.Option(Engine.auto, "--engine", help="MRT decoder: auto (fast if built), python, fast "
                                  "(C hot loop, identical results), bgpdump."),
    registry_dir: Path | None = typer.Option(None, "--registry", help="Use this registry directory."),
    on: str | None = typer.Option(None, "--on", help="Evaluate ownership and designations as of this date."),
) -> None:
    """Which excluded carriers are on the paths to each prefix, where, and how much address space that covers."""
    from ..analyses.carrier import scan, seen_asns, select_rows, summarise
    from ..enforce.classify import as_report, classify_asns

    ctx = _context(policy, registry_dir, on)
    try:
        origins = [parse_asn(o) for o in origin or []]
        if prefix:
            import ipaddress

            for p in prefix:
                ipaddress.ip_network(p, strict=False)
    except (typer.BadParameter, ValueError) as exc:
        raise usage_error(str(exc)) from None
    table, stats, extra = load_inputs(inputs, asn_db, str(engine))
    rows = select_rows(table, prefix or [], origins)
    seen = seen_asns(table, rows)
    names = ", ".join(str(p) for p in inputs)
    cls = classify_asns(ctx, seen, names, keep_report=fmt == AuditFormat.html)
    result = scan(table, cls.verdicts.values(), rows)
    summary = summarise(result, include_clean=all_prefixes, detail_origins=origins)
    doc = audit_document(ctx, table, stats, extra, result, summary, cls,
                         {"prefixes": list(prefix or []), "origins": origins}, routes_detail)
    report = None
    if fmt == AuditFormat.html:
        s = doc["summary"]
        pc = s["prefixes_clean"]
        report = as_report(ctx, cls, stats, [
            f"Carrier audit: {s['routes']} routes, {s['prefixes']} prefixes; clean on all routes {pc['all']}, "
            f"on some {pc['some']}, on none {pc['none']}"])
    if fmt == AuditFormat.table and output is None:
        for part in audit_tables(doc):
            console.print(part)
    else:
        write_output(render_audit(doc, str(fmt), report), output)
    _report_problems(stats, strict)
    levels = {FailOn.fail: {"FAIL"}, FailOn.review: {"FAIL", "REVIEW"}, FailOn.unknown: {"FAIL", "REVIEW"},
              FailOn.never: set()}[fail_on]
    raise typer.Exit(EXIT_FINDINGS if any(f["verdict"] in levels for f in doc["findings"]) else EXIT_OK)


@routes_app.command("dependency")
def dependency(
    inputs: list[Path] = typer.Argument(..., help="RIB (MRT or bgpdump -m text) or update files."),
    scope: str = typer.Option(..., "--scope", help="AS64500 (origin AS), CN (country; needs --as-names) or a file "
                                                   "of prefixes."),
    policy: list[str] = typer.Option(None, "--policy", "-p", help="Policy whose excluded ASes give the exposure."),
    as_names: Path | None = typer.Option(None, "--as-names", help="pyasn asnames.json or CAIDA as2org (countries)."),
    family: str = typer.Option("4", "--family", help="4, 6 or both."),
    fmt: DepFormat = typer.Option(DepFormat.table, "--format", "-f"),
    output: Path | None = typer.Option(None, "--output", "-o"),
    top: int = typer.Option(50, "--top", help="Keep the N most central ASes per family (0: all)."),
    strict: bool = typer.Option(False, "--strict", help="Exit 2 when any input record is malformed."),
    engine: Engine = typer.Option(Engine.auto, "--engine"),
    registry_dir: Path | None = typer.Option(None, "--registry"),
    on: str | None = typer.Option(None, "--on"),
) -> None:
    """AS hegemony of the transit ASes a scope depends on, and its exposure to the ASes a policy excludes."""
    from ..analyses.carrier import EXCLUDED, seen_asns
    from ..analyses.hegemony import final_rows, hegemony, scope_mask
    from ..enforce.classify import classify_asns

    if family not in ("4", "6", "both"):
        raise usage_error("--family must be 4, 6 or both")
    ctx = _context(policy, registry_dir, on)
    table, stats, _ = load_inputs(inputs, None, str(engine))
    sc = parse_scope(scope, as_names, table, ctx.registry)
    rows = final_rows(table)
    in_scope = rows[scope_mask(table, rows, sc)]
    cls = classify_asns(ctx, seen_asns(table, in_scope), ", ".join(map(str, inputs)))
    excluded = [v.asn for v in cls.verdicts.values() if v.level == EXCLUDED]
    groups: dict[str, list[int]] = {}
    for a in excluded:
        groups.setdefault(cls.verdicts[a].entity, []).append(a)
    fams = [4, 6] if family == "both" else [int(family)]
    results = [hegemony(table, sc, f, excluded, groups, rows=rows) for f in fams]
    doc = dependency_document(ctx, results, stats, cls, top)
    if fmt == DepFormat.table and output is None:
        for part in dependency_tables(doc):
            console.print(part)
    elif fmt == DepFormat.csv:
        write_output(dependency_csv(doc), output)
    elif fmt == DepFormat.json:
        write_output(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", output)
    else:
        con = Console(record=True, width=160, force_terminal=False, color_system=None)
        with con.capture() as cap:
            con.print(Group(*dependency_tables(doc)))
        write_output(cap.get(), output)
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
