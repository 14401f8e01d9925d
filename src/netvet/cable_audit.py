"""Clean Cable: the submarine cables landing in a country, their owners and suppliers attributed to registry
entities and evaluated through the policy engine; and which cables a route's carriers may ride.

Each owner or supplier of a cable becomes one :class:`Observation` of kind ``cable`` (asset.function
``cable``) with ``IdKind.NAME`` identifiers (field ``cable:owner`` or ``cable:supplier``, moderate strength: a
third party's research, not the operator's own declaration): the name as split from the data's free text, and
the forms :func:`readers.cables._forms` derives. The core attributor matches them with the registry's alias
rules (whole normalised names and anchored patterns; a name two entities claim is ambiguous, i.e. unknown) and
``pipeline.build_report`` evaluates them with the chosen packs. A cable with neither owner nor supplier is one
observation without identifiers (UNKNOWN). A cable's verdict is the most severe of its parties' findings; a
landing station's, the most severe of the cables landing there.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from .model import (
    VERDICT_RANK,
    Identifier,
    IdKind,
    Observation,
    ReadStats,
    SourceRef,
    Strength,
    Verdict,
)
from .pipeline import Context, build_report
from .readers.cables import LICENCE, Cable, CableMap

SCHEMA = "netvet-cables-audit/1"
EXPOSURE_SCHEMA = "netvet-cables-exposure/1"


def _obs_id(cable: Cable, role: str, n: int) -> str:
    return f"cable:{cable.id}:{role}:{n}"


def cable_observations(cables: Iterable[Cable]) -> list[Observation]:
    """One observation per owner and supplier of each cable (one without identifiers for a cable naming none)."""
    out: list[Observation] = []
    for cable in cables:
        base = {"cable": cable.id, "cable_name": cable.name, "function": "cable",
                "rfs_year": str(cable.rfs_year or ""), "planned": "yes" if cable.is_planned else "no"}
        if not cable.parties:
            out.append(Observation(id=f"cable:{cable.id}", kind="cable",
                                   source=SourceRef(cable.file, pointer="/owners"),
                                   attributes={**base, "party": "none", "name": f"{cable.name}: no owner named"}))
            continue
        counters: dict[str, int] = defaultdict(int)
        for party in cable.parties:
            counters[party.role] += 1
            n = counters[party.role]
            out.append(Observation(
                id=_obs_id(cable, party.role, n), kind="cable",
                source=SourceRef(cable.file, pointer=f"/{party.role}s"),
                identifiers=[Identifier(IdKind.NAME, form, f"cable:{party.role}", Strength.MODERATE)
                             for form in party.forms],
                attributes={**base, "party": party.role, "written": party.name,
                            "name": f"{cable.name}: {party.name} ({party.role})"},
            ))
    return out


def _worst(verdicts: Iterable[str]) -> str:
    vs = [Verdict(v) for v in verdicts]
    return str(max(vs, key=lambda v: VERDICT_RANK[v])) if vs else "UNKNOWN"


def audit_country(ctx: Context, cmap: CableMap, country: str) -> tuple[dict, object]:
    """(the audit document, the core Report) of every cable landing in ``country`` (ISO alpha-2)."""
    code = country.upper()
    points = cmap.country_points(code)
    cables = cmap.country_cables(code)
    observations = cable_observations(cables)
    stats = cmap.stats
    report = build_report(ctx, observations, [stats])
    reg = ctx.registry
    pack = ctx.packs[0]
    by_subject = {f.subject: f for f in report.findings if f.policy == pack.id}
    by_cable: dict[str, list[Observation]] = defaultdict(list)
    for o in observations:
        by_cable[o.attributes["cable"]].append(o)

    # counts over every cable of the data: read = attributed + unattributed + malformed + skipped (elsewhere)
    attributed_ids = set()
    for cable in cables:
        if any(report.attributions[o.id].positive for o in by_cable[cable.id]):
            attributed_ids.add(cable.id)
    stats.attributed = len(attributed_ids)
    stats.unattributed = len(cables) - len(attributed_ids)
    stats.skipped = stats.read - stats.malformed - len(cables)  # cables that do not land in the country

    unmatched: dict[str, dict[str, dict]] = {"owner": {}, "supplier": {}}
    cable_docs = []
    cable_verdicts: dict[str, str] = {}
    here = {p.id for p in points}
    for cable in cables:
        parties = []
        for o in by_cable[cable.id]:
            att = report.attributions[o.id]
            f = by_subject[o.id]
            role = o.attributes["party"]
            ent = None
            if att.entity_id:
                e = reg.entities[att.entity_id]
                group = reg.ultimate_parent(e.id, ctx.on)
                ent = {"id": e.id, "name": e.legal_name, "country": e.hq_country or e.registration_country,
                       "group": group, "group_name": reg.entities[group].legal_name}
            elif role != "none":
                why = att.note or "matches no curated entity"
                row = unmatched[role].setdefault(o.attributes["written"], {"name": o.attributes["written"],
                                                                           "cables": [], "reason": why})
                row["cables"].append(cable.id)
            best = att.decided_by
            parties.append({
                "role": role, "name": o.attributes.get("written"), "observation": o.id,
                "forms": [i.value for i in o.identifiers], "entity": ent, "status": str(att.status),
                "positive": att.positive, "confidence": round(att.confidence, 3), "method": att.method,
                "decided_by": best.identifier.value if best else None,
                "verdict": str(f.verdict), "rule_ids": list(f.rule_ids), "severity": f.severity,
                "reasons": list(f.reasons), "citations": [c.to_dict() for c in f.citations],
                "evidence": [s.to_dict() for s in best.chain] if best else [],
                "note": att.note,
            })
        verdict = _worst(p["verdict"] for p in parties)
        cable_verdicts[cable.id] = verdict
        cable_docs.append({
            **{k: v for k, v in cable.to_dict().items() if k not in ("owners", "suppliers")},
            "landing_points_in_country": [lp for lp in cable.landing_points if lp in here],
            "verdict": verdict, "parties": parties,
        })
    point_docs = []
    for p in points:
        cs = [c for c in p.cables if c in cable_verdicts]
        point_docs.append({**p.to_dict(), "cables": cs, "verdict": _worst(cable_verdicts[c] for c in cs)})

    def tally(rows):
        out = {str(v): 0 for v in (Verdict.FAIL, Verdict.REVIEW, Verdict.UNKNOWN, Verdict.PASS)}
        for r in rows:
            out[r["verdict"]] = out.get(r["verdict"], 0) + 1
        return out

    doc = {
        "schema": SCHEMA,
        "country": code,
        "policy": {"id": pack.id, "title": pack.meta.title, "version": pack.meta.version},
        "evaluated_on": ctx.on.isoformat(),
        "registry_version": reg.version,
        "data": {"source": cmap.source, "licence": LICENCE, "dataset": getattr(cmap, "dataset", None)},
        "input": stats.to_dict(),
        "summary": {"cables": len(cable_docs), "landing_points": len(point_docs),
                    "parties": len(observations),
                    "parties_attributed": sum(1 for o in observations if report.attributions[o.id].positive),
                    "cable_verdicts": tally(cable_docs), "landing_point_verdicts": tally(point_docs)},
        "cables": cable_docs,
        "landing_points": point_docs,
        "unmatched": {role: sorted(rows.values(), key=lambda r: (-len(r["cables"]), r["name"]))
                      for role, rows in unmatched.items()},
    }
    return doc, report


# ----------------------------------------------------------------------------- exposure
def owners_by_entity(ctx: Context, cmap: CableMap) -> tuple[dict[str, list[tuple[Cable, str]]], ReadStats]:
    """entity id -> [(cable, owner name as written)] for every owner of every cable the attributor places
    (same alias rules: one attribution per owner observation)."""
    out: dict[str, list[tuple[Cable, str]]] = defaultdict(list)
    observations = [o for o in cable_observations(cmap.cables.values()) if o.attributes["party"] == "owner"]
    for o in observations:
        att = ctx.attributor.observation(o)
        if att.entity_id and att.positive:
            out[att.entity_id].append((cmap.cables[o.attributes["cable"]], o.attributes["written"]))
    return out, cmap.stats


def corporate_group(reg, entity_id: str, on) -> str:
    """The top of an entity's controlling chain below any state: common ownership by a state does not make
    state-owned enterprises one group (the registry's affiliate rule)."""
    top = entity_id
    for a in reg.ancestors(entity_id, on):
        if str(reg.entities[a].kind) == "state":
            break
        top = a
    return top


def exposure(ctx: Context, cmap: CableMap, asns: dict[int, str]) -> dict:
    """Which cables the carriers of ``asns`` (AS -> where it was seen) MAY ride: an AS's registry entity, or a
    company of the same group, owns capacity on the cable. Never more than "may": owning capacity on a cable
    does not put a given path on it."""
    reg = ctx.registry
    owned, _ = owners_by_entity(ctx, cmap)
    by_group: dict[str, list[tuple[str, Cable, str]]] = defaultdict(list)
    for eid, rows in owned.items():
        g = corporate_group(reg, eid, ctx.on)
        for cable, written in rows:
            by_group[g].append((eid, cable, written))
    carriers = []
    cable_rows: dict[str, dict] = {}
    for asn in sorted(asns):
        eid = reg.by_asn.get(asn)
        row = {"asn": asn, "seen": asns[asn], "entity": None, "cables": []}
        if eid is None:
            row["note"] = f"AS{asn} is not attributed to a registry entity: its cables are unknown"
            carriers.append(row)
            continue
        e = reg.entities[eid]
        group = corporate_group(reg, eid, ctx.on)
        row["entity"] = {"id": eid, "name": e.legal_name, "group": group, "group_name": reg.entities[group].legal_name}
        seen_cables = set()
        for owner_id, cable, written in sorted(by_group.get(group, []), key=lambda t: (t[1].name.lower(), t[0])):
            if cable.id in seen_cables:
                continue
            seen_cables.add(cable.id)
            if owner_id == eid:
                reason = (f"AS{asn} is {e.legal_name}; the cable map names {written!r} (-> {owner_id}) among the "
                          f"owners of {cable.name}")
                relation = "owner"
            else:
                reason = (f"AS{asn} is {e.legal_name} (group {reg.entities[group].legal_name}); the cable map names "
                          f"{written!r} (-> {owner_id}, same group) among the owners of {cable.name}")
                relation = "same-group"
            row["cables"].append({"cable": cable.id, "name": cable.name, "exposure": "may", "relation": relation,
                                  "owner": owner_id, "written": written, "reason": reason})
            c = cable_rows.setdefault(cable.id, {"cable": cable.id, "name": cable.name, "exposure": "may",
                                                 "rfs_year": cable.rfs_year, "is_planned": cable.is_planned,
                                                 "landing_countries": sorted({
                                                     cmap.landing_points[lp].country_code or "?"
                                                     for lp in cable.landing_points if lp in cmap.landing_points}),
                                                 "via": []})
            c["via"].append({"asn": asn, "entity": eid, "relation": relation, "reason": reason})
        if not row["cables"]:
            row["note"] = f"no cable of the data names {e.legal_name} or its group among its owners"
        carriers.append(row)
    return {
        "schema": EXPOSURE_SCHEMA,
        "evaluated_on": ctx.on.isoformat(),
        "registry_version": reg.version,
        "data": {"source": cmap.source, "licence": LICENCE},
        "meaning": ("'may': a carrier on the path (or a company of its group) owns capacity on the cable. The cable "
                    "map does not say which cable a given path rides; this is a possibility, not an observation."),
        "carriers": carriers,
        "cables": sorted(cable_rows.values(), key=lambda r: r["name"].lower()),
    }
