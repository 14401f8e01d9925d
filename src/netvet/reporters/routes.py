"""Route results: the carrier audit (``netvet routes audit``, schema ``netvet-routes-audit/1``) and AS hegemony
(``netvet routes dependency``, schema ``netvet-routes-dependency/1``) as typed results, their documents and their
reporters (json, csv, table; html for the audit through the engine's Report)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from . import reporter, terminal

AUDIT_SCHEMA = "netvet-routes-audit/1"
DEPENDENCY_SCHEMA = "netvet-routes-dependency/1"
_VERDICT_STYLE = {"FAIL": "bold red", "REVIEW": "yellow", "PASS": "green"}


@dataclass
class RoutesAudit:
    """The result of a carrier audit: its document and, for HTML, the engine's report of the classified ASes."""

    document: dict
    report: Any = None  # model.Report (the html format)

    @property
    def verdicts(self) -> list[str]:
        """The verdict of every prefix finding (FAIL, REVIEW or PASS): what ``--fail-on`` looks at."""
        return [f["verdict"] for f in self.document["findings"]]


@dataclass
class Dependency:
    """The result of ``routes dependency``: AS hegemony per address family and the exposure to excluded ASes."""

    document: dict


def _text(parts: list) -> str:
    con = Console(record=True, width=160, force_terminal=False, color_system=None)
    with con.capture() as cap:
        con.print(Group(*parts))
    return cap.get()


def _json(doc: dict) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _document_reporters(kind: type, tables: Callable[[dict], list], to_csv: Callable[[dict], str]) -> None:
    """Register the reporters of a result ``kind`` holding a ``document``: its Rich ``tables`` on a terminal and
    as text (table), the document as JSON, and ``to_csv`` of it (csv)."""
    terminal(kind)(lambda result: tables(result.document))
    reporter("table", kind=kind)(lambda result: _text(tables(result.document)))
    reporter("json", kind=kind)(lambda result: _json(result.document))
    reporter("csv", kind=kind)(lambda result: to_csv(result.document))


# ----------------------------------------------------------------------------- carrier audit
def _entity_dict(v) -> dict:
    if v is not None and v.entity_info:
        return dict(v.entity_info)
    return {"id": None, "name": v.entity if v is not None else None, "country": None}


def audit_document(ctx, table, stats, extra, scan_, summary, cls, selection: dict, detail_routes: bool = False,
                   collectors: list | None = None, peer_collectors: list[str] | None = None) -> dict:
    """The JSON document of a carrier audit (schema ``netvet-routes-audit/1``). ``collectors``: with more
    than one collector, their audits (name, files, :class:`~netvet.analyses.collectors.CollectorAudit`),
    reported in a ``collectors`` section after the merged result; ``peer_collectors``: the collector of
    every peer of ``table`` (route details name it)."""
    from .. import __version__
    from ..analyses.carrier import LEVEL_NAMES

    verdicts = cls.verdicts
    sections = _audit_sections(summary, verdicts, verdicts)
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
        "summary": sections["summary"],
        "classified_asns": classified,
        "entities": sections["entities"],
        "origins": sections["origins"],
        "findings": sections["findings"],
    }
    if collectors and len(collectors) > 1:
        doc["collectors"] = [{"name": name, "files": [str(f) for f in files],
                              **_audit_sections(ca.summary, verdicts, ca.seen)}
                             for name, files, ca in collectors]
    if detail_routes:
        doc["routes"] = route_details(table, scan_, peer_collectors if collectors and len(collectors) > 1 else None)
    return doc


def _audit_sections(summary, verdicts: dict, seen) -> dict:
    """The summary, entities, origins and findings of one audit summary (the merged audit's or a collector's);
    ``seen``: the ASes seen on its routes (counted as seen, excluded, review)."""
    from ..analyses.carrier import EXCLUDED, LEVEL_NAMES, REVIEW

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
    levels = [verdicts[a].level for a in seen if a in verdicts]
    return {
        "summary": {
            "routes": summary.routes, "prefixes": summary.prefixes, "peers": summary.peers, "paths": summary.paths,
            "asns_seen": len(seen), "asns_excluded": levels.count(EXCLUDED), "asns_review": levels.count(REVIEW),
            "excluded_routes": summary.excluded_routes, "review_routes": summary.review_routes,
            "prefixes_clean": summary.prefixes_clean, "address_space": summary.space.to_dict(),
            "address_space_by_clean": {k: v.to_dict() for k, v in summary.space_by_clean.items()},
            "verdicts": summary.verdicts,
        },
        "entities": entities, "origins": origins, "findings": findings,
    }


def _rank(verdict: str) -> int:
    return {"PASS": 0, "UNKNOWN": 1, "REVIEW": 2, "FAIL": 3}.get(verdict, 0)


def route_details(table, scan_, peer_collectors: list[str] | None = None) -> list[dict]:
    """Every route with a classified AS on it: prefix, peer, path and the ASes with their positions (and the
    collector of the peer when ``peer_collectors`` names them)."""
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
        peer = int(table.peer_index[row])
        out.append({
            "prefix": scan_.prefixes.text(int(scan_.prefix_id[r])),
            **({"collector": peer_collectors[peer]} if peer_collectors is not None else {}),
            "peer_ip": table.peer_ips[peer], "peer_as": int(table.peer_as[row]),
            "as_path": text, "level": LEVEL_NAMES[int(scan_.level[r])],
            "ases": [{"asn": int(scan_.hit_asn[i]), "entity": scan_.verdicts[int(scan_.hit_asn[i])].entity,
                      "positions": position_names(int(scan_.hit_pos[i])),
                      "level": LEVEL_NAMES[int(scan_.hit_level[i])]} for i in idx],
        })
    return out


AUDIT_CSV_COLUMNS = ["prefix", "verdict", "clean", "routes", "clean_routes", "origins", "entity_id", "entity_name",
                     "entity_country", "asns", "positions", "entity_routes", "level", "rule_ids", "reasons",
                     "citations"]


MERGED = "(all)"  # the collector column of the merged audit's rows


def audit_csv(doc: dict) -> str:
    """One row per finding and entity. With several collectors, a first ``collector`` column: the merged audit's
    rows (``(all)``) and then each collector's."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    many = "collectors" in doc
    w.writerow((["collector"] if many else []) + AUDIT_CSV_COLUMNS)
    sections = [(MERGED, doc["findings"])] + [(c["name"], c["findings"]) for c in doc.get("collectors", [])]
    for name, findings in sections:
        for row in _csv_rows(findings):
            w.writerow(([name] if many else []) + row)
    return buf.getvalue()


def _csv_rows(findings: list[dict]) -> list[list]:
    out = []
    for f in findings:
        ents = f["entities"] or [None]
        for e in ents:
            info = (e or {}).get("entity") or {}
            out.append([
                f["prefix"], f["verdict"], f["clean"], f["routes"], f["clean_routes"],
                " ".join(f"AS{o}" for o in f["origins"]), info.get("id") or "", info.get("name") or "",
                info.get("country") or "", " ".join(f"AS{a}" for a in (e or {}).get("asns", [])),
                "/".join((e or {}).get("positions", [])), (e or {}).get("routes", ""), (e or {}).get("level", ""),
                ";".join((e or {}).get("rule_ids", [])), " | ".join(f["reasons"]),
                " | ".join(c["label"] + (f" <{c['url']}>" if c.get("url") else "") for c in f["citations"]),
            ])
    return out


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
    t = Table(title=f"Carrier audit ({', '.join(p['id'] for p in doc['policies'])})"
              + (", all collectors" if doc.get("collectors") else ""), title_justify="left")
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
    if doc.get("collectors"):
        t = Table(title=f"Collectors ({len(doc['collectors'])}; each peer belongs to one collector)",
                  title_justify="left")
        for col in ("collector", "files", "routes", "prefixes", "peers", "excluded routes", "review routes",
                    "prefixes clean all/some/none", "FAIL/REVIEW/PASS"):
            t.add_column(col, overflow="fold", justify="left" if col in ("collector", "files") else "right")
        for c in doc["collectors"]:
            cs, pc, v = c["summary"], c["summary"]["prefixes_clean"], c["summary"]["verdicts"]
            t.add_row(c["name"], str(len(c["files"])), f"{cs['routes']:,}", f"{cs['prefixes']:,}", f"{cs['peers']:,}",
                      f"{cs['excluded_routes']:,}", f"{cs['review_routes']:,}",
                      f"{pc['all']}/{pc['some']}/{pc['none']}",
                      f"{v.get('FAIL', 0)}/{v.get('REVIEW', 0)}/{v.get('PASS', 0)}")
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



_document_reporters(RoutesAudit, audit_tables, audit_csv)


@reporter("html", kind=RoutesAudit)
def audit_html(result: RoutesAudit) -> str:
    from . import render

    if result.report is None:
        raise ValueError("the html format of a carrier audit needs the engine's report (RoutesAudit.report)")
    return render(result.report, "html")


# ----------------------------------------------------------------------------- dependency
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


_document_reporters(Dependency, dependency_tables, dependency_csv)
