"""The audit pipeline: read evidence -> attribute -> evaluate policies -> report."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from . import __version__
from .analyses.concentration import concentration
from .analyses.risk import RiskData
from .attribution.kev import load_kev
from .attribution.registry import Registry
from .attribution.resolve import Attributor
from .model import (
    Attribution,
    AttributionStatus,
    Finding,
    InputError,
    Observation,
    PolicyInfo,
    ReadStats,
    Report,
)
from .policies import Pack, evaluate, resolve_pack
from .policies.facts import designation_facts, entity_facts
from .policies.frameworks import (
    Framework,
    control_status,
    framework_packs,
    load_framework,
    resolve_framework_path,
)
from .policies.waivers import WaiverSet, apply_waivers, load_waivers
from .readers import detect, load_all

_UNKNOWN_ROLES = {"", "unknown", "none", "n/a", "na", "-", "?"}
_NO_ANALYSIS = {"position": "", "share": 0.0, "exposure": 0.0, "concentration": 0.0, "supplier_share": 0.0,
                "group_size": 0}


MAC_DATASETS = ("ieee-ma-l", "ieee-ma-m", "ieee-ma-s", "ieee-iab")


def _dataset(name: str):
    from .datasets import active_path, dataset_info

    info = dataset_info(name)
    return (active_path(name) if info is not None and info.origin != "bundled" else None), info


def identifier_registries(mac_files: Iterable[str | Path] = (), pen_files: Iterable[str | Path] = ()):
    """MAC and PEN registries: netaddr's bundled IEEE data, then datasets fetched or imported with
    `netvet data` (newer blocks win), then the user's own files. Returns (macs, pens, datasets used)."""
    from .attribution.oui import MacRegistry
    from .attribution.pen import PenRegistry

    macs = MacRegistry.bundled()
    pens = PenRegistry.bundled()
    used: list[dict] = []
    for name in MAC_DATASETS:
        path, info = _dataset(name)
        if path is not None:
            macs.load(path, dataset=info.label)
        if info is not None:
            used.append(info.to_dict())
    path, info = _dataset("iana-pen")
    if path is not None:
        pens.load(path, dataset=info.label)
        used.append(info.to_dict())
    for p in mac_files:
        macs.load(p)
        used.append({"name": "user-mac-file", "path": str(p), "origin": "user"})
    for p in pen_files:
        pens.load(p)
        used.append({"name": "user-pen-file", "path": str(p), "origin": "user"})
    return macs, pens, used


@dataclass
class Context:
    """Everything an audit needs besides the evidence: registry, attributor, policy packs, date."""

    registry: Registry
    attributor: Attributor
    packs: list[Pack]
    on: date = field(default_factory=date.today)
    risk: RiskData | None = None
    frameworks: list[Framework] = field(default_factory=list)
    waivers: WaiverSet | None = None
    datasets: list[dict] = field(default_factory=list)

    @classmethod
    def build(cls, policies: Iterable[str], registry: Registry | None = None, on: date | None = None,
              macs=None, pens=None, kev: str | Path | None = None, risk_dir: str | Path | None = None,
              frameworks: Iterable[str] = (), waivers: str | Path | None = None) -> Context:
        """Load the registry (default bundled), identifier registries, policy packs (plus those the
        frameworks need), frameworks, waivers and risk data."""
        registry = registry or Registry.load()
        on = on or date.today()
        used: list[dict] = []
        if macs is None:
            macs, default_pens, used = identifier_registries()
            pens = pens if pens is not None else default_pens
        packs = [resolve_pack(p, registry) for p in policies]
        fw_paths = [resolve_framework_path(f) for f in frameworks]
        for fp in fw_paths:
            have = {p.id for p in packs}
            packs += [resolve_pack(p, registry) for p in framework_packs(fp) if p not in have]
        by_id = {p.id: p for p in packs}
        fws = [load_framework(fp, by_id) for fp in fw_paths]
        wset = load_waivers(waivers, packs, registry) if waivers is not None else None
        risk = RiskData.load(risk_dir, registry if risk_dir is None and registry.title.startswith("netvet") else None)
        if kev is None:
            kev, info = _dataset("cisa-kev")
            if kev is not None:
                used.append(info.to_dict())
        if kev is not None:
            counts = load_kev(kev, registry)
            risk.kev_counts, risk.kev_dataset = counts.per_entity, counts.dataset
        return cls(registry, Attributor(registry, macs=macs, pens=pens, on=on), packs, on, risk, fws, wset, used)


def asset_facts(obs: Observation) -> dict:
    role = (obs.role or "").strip().lower()
    return {
        "id": obs.id,
        "kind": obs.kind,
        "role": role,
        "role_known": role not in _UNKNOWN_ROLES,
        "site": obs.site or "",
        "function": (obs.attributes.get("function") or obs.attributes.get("kind") or obs.kind or "").lower(),
        "attributes": {k: str(v) for k, v in obs.attributes.items()},
    }


def facts_for(ctx: Context, obs: Observation, att: Attribution, analysis: dict | None = None) -> dict:
    reg = ctx.registry
    best = att.decided_by
    registry_country = best.country if best is not None and att.status == AttributionStatus.REGISTRY_ONLY else None
    other_ids = sorted({e.entity_id for e in att.evidence
                        if e.entity_id and e.status == AttributionStatus.ATTRIBUTED and e.entity_id != att.entity_id
                        and reg.ultimate_parent(e.entity_id, ctx.on) != reg.ultimate_parent(att.entity_id, ctx.on)}
                       ) if att.entity_id else []
    other_countries: list[str] = []
    for oid in other_ids:
        for c in entity_facts(reg, oid, ctx.on)["chain_countries"]:
            if c not in other_countries:
                other_countries.append(c)
    return {
        "entity": entity_facts(reg, att.entity_id, ctx.on, registry_country, ctx.risk),
        "designations": designation_facts(reg, att.entity_id, ctx.on),
        "asset": asset_facts(obs),
        "attribution": {
            "status": str(att.status),
            "method": att.method or "",
            "confidence": round(att.confidence, 3),
            "conflict": att.conflict,
            "org_name": (best.org_name or "") if best else "",
            "relation": best.relation if best else "",
            "manufacturer_status": att.manufacturer_status or "",
            "evidence_entities": other_ids,
            "evidence_countries": other_countries,
        },
        "analysis": analysis or dict(_NO_ANALYSIS),
        "now": ctx.on.isoformat(),
    }


def finding_entity(ctx: Context, att: Attribution) -> dict | None:
    if att.entity_id:
        e = ctx.registry.entities[att.entity_id]
        return {"id": e.id, "name": e.legal_name, "country": e.hq_country or e.registration_country}
    if att.decided_by is not None and att.decided_by.org_name:
        return {"id": None, "name": att.decided_by.org_name, "country": att.decided_by.country}
    return None


def supplier_key(ctx: Context, att: Attribution) -> str | None:
    """The supplier an asset counts for in concentration: the ultimate parent of the attributed entity."""
    return ctx.registry.ultimate_parent(att.entity_id, ctx.on) if att.entity_id else None


def concentration_facts(ctx: Context, observations: list[Observation],
                        attributions: dict[str, Attribution]) -> dict[str, dict]:
    """Per observation: HHI of its (site, function) group, its supplier's share and the group size."""
    keyed = []
    for obs in observations:
        a = asset_facts(obs)
        keyed.append((a["site"], a["function"], supplier_key(ctx, attributions[obs.id])))
    groups = concentration(keyed)
    out = {}
    for obs, (site, function, supplier) in zip(observations, keyed, strict=True):
        g = groups[(site, function)]
        out[obs.id] = {**_NO_ANALYSIS, "concentration": g.hhi, "group_size": g.assets,
                       "supplier_share": g.shares.get(supplier, 0.0) if supplier else 0.0}
    return out


def _facts_key(facts: dict, per_asset: bool) -> str:
    """Facts that decide a verdict, as a key: everything but the asset's id and free attributes (unless a
    pack reads those, ``per_asset``)."""
    asset = facts["asset"] if per_asset else {k: v for k, v in facts["asset"].items() if k not in ("id", "attributes")}
    return json.dumps({**facts, "asset": asset}, sort_keys=True, default=str)


def _reads_asset_identity(packs: list[Pack]) -> bool:
    return any("asset.id" in text or "asset.attributes" in text
               for p in packs for r in p.rules for text in (r.rule.when, r.rule.reason or ""))


def evaluate_observations(ctx: Context,
                          observations: list[Observation]) -> tuple[dict[str, Attribution], list[Finding]]:
    attributions = {obs.id: ctx.attributor.observation(obs) for obs in observations}
    analysis = concentration_facts(ctx, observations, attributions)
    findings: list[Finding] = []
    cache: dict[tuple[str, str], object] = {}  # same facts (but the asset's id), same evaluation
    per_asset = _reads_asset_identity(ctx.packs)
    for obs in observations:
        att = attributions[obs.id]
        facts = facts_for(ctx, obs, att, analysis[obs.id])
        ent = finding_entity(ctx, att)
        ident = att.decided_by.identifier.to_dict() if att.decided_by else None
        key = _facts_key(facts, per_asset)
        for pack in ctx.packs:
            ev = cache.get((pack.id, key))
            if ev is None:
                ev = cache[(pack.id, key)] = evaluate(pack, facts, ctx.registry)
            reasons = list(ev.reasons)
            if att.note and (att.status != AttributionStatus.ATTRIBUTED or att.conflict):
                reasons.append(att.note)
            controls = [f"{fw.id}:{c}" for fw in ctx.frameworks for c in fw.controls_for(pack.id, ev.rule_ids, facts)]
            findings.append(Finding(
                subject=obs.id, label=obs.label, source=obs.source, policy=pack.id, verdict=ev.verdict,
                rule_ids=ev.rule_ids, reasons=reasons, citations=ev.citations, entity=ent, identifier=ident,
                severity=ev.severity, role=obs.role, site=obs.site, controls=controls,
            ))
    return attributions, findings


def read_inputs(paths: Iterable[str | Path], input_format: str | None = None,
                progress: Callable[[str, int, int], None] | None = None) -> tuple[list[Observation], list[ReadStats]]:
    """Read every input with the reader its format needs; unreadable files raise InputError."""
    load_all()
    observations: list[Observation] = []
    stats: list[ReadStats] = []
    for p in paths:
        path = Path(p)
        if not path.exists():
            raise InputError(str(p), "file not found")
        reader = detect(path, input_format)
        cb = (lambda done, total, _n=str(p): progress(_n, done, total)) if progress else None
        result = reader.read(path, cb)
        observations.extend(result.observations)
        stats.append(result.stats)
    return observations, stats


def run_audit(paths: Iterable[str | Path], ctx: Context, input_format: str | None = None,
              progress: Callable[[str, int, int], None] | None = None, sample_data: bool = False) -> Report:
    observations, stats = read_inputs(paths, input_format, progress)
    return build_report(ctx, observations, stats, sample_data=sample_data)


def build_report(ctx: Context, observations: list[Observation], stats: list[ReadStats],
                 sample_data: bool = False) -> Report:
    attributions, findings = evaluate_observations(ctx, observations)
    waiver_status = None
    if ctx.waivers is not None:
        hostnames = {o.id: o.attributes.get("hostname", "") for o in observations}
        waiver_status = {"file": ctx.waivers.file, **apply_waivers(findings, ctx.waivers, ctx.on, hostnames)}
    by_file: dict[str, ReadStats] = {s.file: s for s in stats}
    for obs in observations:
        s = by_file.get(obs.source.file)
        if s is None:
            continue
        if attributions[obs.id].status == AttributionStatus.UNKNOWN:
            s.unattributed += 1
        else:
            s.attributed += 1
    return report_for(ctx, observations, stats, attributions, findings, sample_data=sample_data,
                      datasets=list(ctx.datasets), waivers=waiver_status)


def report_for(ctx: Context, observations: list[Observation], stats: list[ReadStats],
               attributions: dict[str, Attribution], findings: list[Finding], **extra) -> Report:
    """A Report of evaluated evidence: run metadata, the packs, and the controls of every framework."""
    return Report(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        evaluated_on=ctx.on.isoformat(),
        netvet_version=__version__,
        registry_version=ctx.registry.version,
        policies=[PolicyInfo(p.id, p.meta.title, p.meta.version, p.meta.approach, p.meta.vendor_neutral, p.file)
                  for p in ctx.packs],
        inputs=stats,
        observations=observations,
        attributions=attributions,
        findings=findings,
        controls=[row for fw in ctx.frameworks for row in control_status(fw, findings)],
        **extra,
    )
