"""Attribute identifiers and observations to entities, keeping every piece of evidence.

Each identifier kind has its own method (dispatch table, no type branching); an observation's
attribution weighs all its identifiers: agreeing evidence raises confidence, disagreeing evidence is
kept, flagged as a conflict and explained, and the strongest evidence decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..model import (
    Attribution,
    AttributionStatus,
    EvidenceStep,
    Identifier,
    IdentifierAttribution,
    IdKind,
    Observation,
    Strength,
)
from .names import NameMatch
from .pen import parse_sysobjectid
from .registry import Registry
from .sdk_signatures import SDK_FIELD, sdk_attribution

# Confidence that an identifier names the maker of the observed thing, by method and strength.
CONFIDENCE = {
    "sysobjectid-pen": 0.9,
    "package-prefix": 0.8,  # a developer's package namespace
    "package-prefix-oem": 0.7,  # a handset maker's pre-installed namespace
    ("fingerprint", Strength.STRONG): 0.85,
    ("fingerprint", Strength.MODERATE): 0.65,
    ("fingerprint", Strength.WEAK): 0.25,
    "sysobjectid-pen-registry": 0.6,
    "asn": 0.95,
    "domain": 0.8,
    "mac-oui": 0.7,
    "mac-oui-registry-only": 0.4,
    ("name", Strength.STRONG): 0.85,
    ("name", Strength.MODERATE): 0.7,
    ("name", Strength.WEAK): 0.25,
    ("cpe", Strength.STRONG): 0.85,
    ("cpe", Strength.MODERATE): 0.7,
    ("cpe", Strength.WEAK): 0.25,
}
POSITIVE_CONFIDENCE = 0.5  # an attribution below this never lets an asset PASS
MAX_REMEMBERED = 200_000  # identifier attributions an attributor keeps for reuse (bounded memory)
_STRENGTH_RANK = {Strength.STRONG: 2, Strength.MODERATE: 1, Strength.WEAK: 0}
_CPE23 = re.compile(r"^cpe:2\.3:([aho\*\-]):([^:]*):([^:]*)")
_CPE22 = re.compile(r"^cpe:/([aho]):([^:]*)(?::([^:]*))?")


def _cpe_vendor(value: str) -> tuple[str, str] | None:
    v = value.strip().lower()
    m = _CPE23.match(v) or _CPE22.match(v)
    if not m:
        return None
    vendor = m.group(2).replace("\\", "")
    return (vendor, (m.group(3) or "").replace("\\", "")) if vendor not in ("", "*", "-") else None


def _quote(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


def parse_pen(oid: str) -> tuple[int | None, str | None]:
    """PEN from a sysObjectID (dotted, ``iso.``, ``SNMPv2-SMI::enterprises.`` ... forms); (None, reason) if none."""
    parsed = parse_sysobjectid(oid)
    return (parsed.pen, None) if parsed.ok else (None, parsed.reason)


@dataclass
class Attributor:
    """Attributes identifiers using the curated registry and the public identifier registries."""

    registry: Registry
    macs: object | None = None  # MacRegistry (oui.py)
    pens: object | None = None  # PenRegistry (pen.py)
    asnames: object | None = None  # AsNames (asnames.py): AS -> name and country for ASes no entity claims
    fingerprints: object | None = None  # FingerprintDB (fingerprints.py): device texts and OID subtrees -> maker
    packages: object | None = None  # PackageRules (packages.py): app package names -> developer
    sdks: object | None = None  # SdkSignatures (sdk_signatures.py): SDKs embedded in an app -> their vendor
    on: date = field(default_factory=date.today)
    _methods: dict[IdKind, Callable[[Identifier], IdentifierAttribution]] = field(init=False, repr=False)
    # per attributor (never module-level): identical identifiers are attributed once, each entity's steps built once
    _seen: dict[Identifier, IdentifierAttribution] = field(default_factory=dict, init=False, repr=False)
    _steps: dict[str, tuple[EvidenceStep, ...]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self._methods = {
            IdKind.MAC: self._mac,
            IdKind.OID: self._oid,
            IdKind.NAME: self._name,
            IdKind.CPE: self._cpe,
            IdKind.ASN: self._asn,
            IdKind.DOMAIN: self._domain,
            IdKind.TEXT: self._text,
            IdKind.PACKAGE: self._package,
        }

    # --------------------------------------------------------------- helpers
    def _entity_steps(self, entity_id: str) -> list[EvidenceStep]:
        """The chain from an entity up: the entity, its controlling owners, the designations that reach it."""
        steps = self._steps.get(entity_id)
        if steps is None:
            steps = self._steps[entity_id] = tuple(self._build_entity_steps(entity_id))
        return list(steps)

    def _build_entity_steps(self, entity_id: str) -> list[EvidenceStep]:
        reg = self.registry
        e = reg.entities[entity_id]
        steps = []
        hq = e.jurisdiction.headquarters
        steps.append(EvidenceStep(
            "entity", f"{e.legal_name} ({e.kind}), headquarters {hq.country if hq else 'unknown'}",
            "netvet-registry", hq.source if hq else None, hq.as_of.isoformat() if hq else None))
        cur = entity_id
        for anc in reg.ancestors(entity_id, self.on):
            own = next(o for o in reg.entities[cur].owners_on(self.on) if o.owner == anc and o.controlling())
            share = f"{own.share:g}% of" if own.share is not None else "a controlling stake in"
            owned = reg.entities[cur].legal_name
            steps.append(EvidenceStep("parent", f"{reg.entities[anc].legal_name} holds {share} {owned}",
                                      "netvet-registry", own.source, own.as_of.isoformat()))
            cur = anc
        for d, via in reg.affiliated_designations(entity_id, self.on):
            src = reg.sources.get(d.source)
            steps.append(EvidenceStep(
                "designation", f"{d.list} entry {d.entry} ({reg.entities[via].legal_name}, added {d.date_added})",
                d.list, d.source + (f" <{src.url}>" if src else ""), d.as_of.isoformat()))
        return steps

    def _from_match(self, ident: Identifier, match: NameMatch, method: str, confidence: float,
                    steps: list[EvidenceStep], registry_name: bool = False, **extra) -> IdentifierAttribution:
        """Turn a name match into an attribution, following brand/relabel -> manufacturer."""
        reg = self.registry
        entity = reg.entities[match.entity_id]
        rules = entity.registry_names if registry_name else None
        steps = steps + [EvidenceStep("alias-rule", f"{match.rule} -> {entity.id}"
                                      + (" (registry-name rule)" if registry_name else " (alias)"), "netvet-registry",
                                      rules.source if rules else None, rules.as_of.isoformat() if rules else None)]
        relation = "brand" if match.relation == "brand" else extra.pop("relation", "maker")
        ia = IdentifierAttribution(ident, AttributionStatus.ATTRIBUTED, method, confidence, entity.id,
                                   relation=relation, chain=steps, **extra)
        return self._follow_manufacturer(ia)

    def _follow_manufacturer(self, ia: IdentifierAttribution) -> IdentifierAttribution:
        """A brand whose manufacturer is established resolves to it; otherwise the maker stays undetermined.
        Appends the entity's own steps (parents, designations) to the chain."""
        reg = self.registry
        entity = reg.entities[ia.entity_id]
        if entity.manufacturer is not None:
            m = entity.manufacturer
            if m.status == "established" and m.entity:
                ia.chain.append(EvidenceStep("manufacturer", f"brand {entity.legal_name} is made by "
                                             f"{reg.entities[m.entity].legal_name}", "netvet-registry", m.source,
                                             m.as_of.isoformat()))
                ia.entity_id = m.entity
                ia.relation = "brand"
                ia.org_name = ia.org_name or entity.legal_name
            else:
                ia.chain.append(EvidenceStep("manufacturer", f"brand {entity.legal_name}: maker undetermined"
                                             + (f" ({m.note})" if m.note else ""), "netvet-registry", m.source,
                                             m.as_of.isoformat()))
                ia.relation = "brand-undetermined"
        ia.chain.extend(self._entity_steps(ia.entity_id))
        return ia

    def _unknown(self, ident: Identifier, method: str, reason: str, **extra) -> IdentifierAttribution:
        return IdentifierAttribution(ident, AttributionStatus.UNKNOWN, method, 0.0, reason=reason,
                                     chain=[EvidenceStep("identifier", f"{ident.kind} {ident.value} ({ident.field})")],
                                     **extra)

    def _match_name(self, ident: Identifier, name: str, method: str, confidence: float,
                    steps: list[EvidenceStep], registry_name: bool = False, **extra) -> IdentifierAttribution | None:
        """Match ``name`` through the curated rules: registry organisation names (IEEE, IANA) only through
        the registry-name index, free text through every alias and brand."""
        generic = self.fingerprints.generic_name(name) if registry_name and self.fingerprints is not None else None
        if generic is not None:
            return self._unknown(ident, method, f"{name!r} is {generic.what}: it names no maker", org_name=name)
        index = self.registry.registry_index if registry_name else self.registry.aliases
        matches = index.match(name)
        if len(matches) > 1:
            ids = ", ".join(m.entity_id for m in matches)
            return self._unknown(ident, method, f"name {name!r} is ambiguous between {ids}", org_name=name)
        if matches:
            return self._from_match(ident, matches[0], method, confidence, steps, registry_name, **extra)
        return None

    # --------------------------------------------------------------- methods
    def _mac(self, ident: Identifier) -> IdentifierAttribution:
        if self.macs is None:
            return self._unknown(ident, "mac-oui", "no MAC registry loaded")
        res = self.macs.lookup(ident.value)
        if res.status != "registered":
            return self._unknown(ident, "mac-oui", res.reason or f"MAC {ident.value}: {res.status}",
                                 dataset=res.dataset)
        steps = [
            EvidenceStep("identifier", f"MAC {ident.value} ({ident.field})"),
            EvidenceStep("registry-lookup", f"IEEE {res.kind} block {res.prefix}: {res.org!r}"
                         + (f", address in {res.country}" if res.country else ""), f"ieee-{res.kind.lower()}",
                         res.dataset),
        ]
        conf = CONFIDENCE["mac-oui"]
        hit = self._match_name(ident, res.org, "mac-oui", conf, steps, registry_name=True, org_name=res.org,
                               country=res.country, dataset=res.dataset)
        if hit is not None:
            return hit
        return IdentifierAttribution(
            ident, AttributionStatus.REGISTRY_ONLY, "mac-oui", CONFIDENCE["mac-oui-registry-only"],
            org_name=res.org, country=res.country, dataset=res.dataset,
            reason="registry organisation is not in the curated registry (registry-only evidence)", chain=steps)

    def _oid(self, ident: Identifier) -> IdentifierAttribution:
        pen, why = parse_pen(ident.value)
        if pen is None:
            return self._unknown(ident, "sysobjectid-pen", why)
        steps = [EvidenceStep("identifier", f"sysObjectID {ident.value} ({ident.field}) -> enterprise {pen}")]
        fps = self.fingerprints
        agent = fps.agent_pen(pen) if fps is not None else None
        if agent is not None:
            return self._unknown(ident, "sysobjectid-pen", f"enterprise {pen} ({agent.name}) is {agent.what}: "
                                 "it does not name the device's maker", org_name=agent.name)
        if fps is not None:
            hit = fps.matches("sys-object-id", ident.value)
            if hit:
                return self._fingerprinted(ident, hit, steps)
        eid = self.registry.by_pen.get(pen)
        if eid:
            e = self.registry.entities[eid]
            fact = next(f for f in e.pens if f.value == pen)
            steps.append(EvidenceStep("registry-lookup", f"IANA PEN {pen} is assigned to {e.legal_name}", "iana-pen",
                                      fact.source, fact.as_of.isoformat()))
            ia = IdentifierAttribution(ident, AttributionStatus.ATTRIBUTED, "sysobjectid-pen",
                                       CONFIDENCE["sysobjectid-pen"], eid, chain=steps)
            ia.chain.extend(self._entity_steps(eid))
            return ia
        org = self.pens.lookup(pen) if self.pens is not None else None
        if org:
            steps.append(EvidenceStep("registry-lookup", f"IANA PEN {pen}: {org!r}", "iana-pen",
                                      getattr(self.pens, "dataset", None)))
            hit = self._match_name(ident, org, "sysobjectid-pen", CONFIDENCE["sysobjectid-pen-registry"], steps,
                                   registry_name=True, org_name=org)
            if hit is not None:
                return hit
            return IdentifierAttribution(ident, AttributionStatus.REGISTRY_ONLY, "sysobjectid-pen",
                                         CONFIDENCE["sysobjectid-pen-registry"] * 0.7, org_name=org,
                                         reason="PEN holder is not in the curated registry", chain=steps)
        return self._unknown(ident, "sysobjectid-pen", f"enterprise number {pen} is not in the curated registry "
                             "and no IANA enterprise-numbers file is loaded")

    def _name(self, ident: Identifier) -> IdentifierAttribution:
        method = "name" if ident.strength != Strength.WEAK else "name-guess"
        conf = CONFIDENCE[("name", ident.strength)]
        steps = [EvidenceStep("identifier", f"name {ident.value!r} ({ident.field}, {ident.strength} evidence)")]
        hit = self._match_name(ident, ident.value, method, conf, steps, org_name=ident.value)
        return hit or self._unknown(ident, method, f"name {ident.value!r} matches no curated entity",
                                    org_name=ident.value)

    def _cpe(self, ident: Identifier) -> IdentifierAttribution:
        parsed = _cpe_vendor(ident.value)
        if parsed is None:
            return self._unknown(ident, "cpe", f"not a CPE with a vendor: {ident.value!r}")
        vendor, product = parsed
        method = "cpe" if ident.strength != Strength.WEAK else "cpe-guess"
        conf = CONFIDENCE[("cpe", ident.strength)]
        steps = [EvidenceStep("identifier", f"CPE {ident.value} ({ident.field}): vendor {vendor!r}")]
        eid = self.registry.by_cpe_vendor.get(vendor)
        if eid:
            steps.append(EvidenceStep("alias-rule", f"CPE vendor {vendor!r} -> {eid}", "netvet-registry"))
            ia = IdentifierAttribution(ident, AttributionStatus.ATTRIBUTED, method, conf, eid, org_name=vendor,
                                       chain=steps)
            ia.chain.extend(self._entity_steps(eid))
            return ia
        hit = self._match_name(ident, vendor.replace("_", " "), method, conf, steps, org_name=vendor)
        return hit or self._unknown(ident, method, f"CPE vendor {vendor!r} matches no curated entity",
                                    org_name=vendor)

    def _text(self, ident: Identifier) -> IdentifierAttribution:
        context = ident.context or ""
        if self.fingerprints is None:
            return self._unknown(ident, "fingerprint", "no fingerprint database loaded")
        hits = self.fingerprints.matches(context, ident.value)
        if not hits:
            return self._unknown(ident, "fingerprint", f"no fingerprint of {context or 'this context'} matches "
                                 f"{_quote(ident.value)}")
        return self._fingerprinted(ident, hits, [])

    def _fingerprinted(self, ident: Identifier, hits, steps: list[EvidenceStep]) -> IdentifierAttribution:
        """The attribution a fingerprint match gives: the most specific match decides; makers that disagree
        at the same strength leave the identifier ambiguous (UNKNOWN)."""
        best = hits[0]
        spec = best.fingerprint.spec
        rivals = sorted({h.entity for h in hits if h.entity != best.entity
                         and h.fingerprint.spec.strength == spec.strength})
        if rivals:
            ids = ", ".join([best.entity, *rivals])
            return self._unknown(ident, "fingerprint", f"{_quote(ident.value)} is claimed by fingerprints of "
                                 f"several makers ({ids})")
        what = ", ".join(x for x in (spec.product, spec.device_class) if x)
        src = self.fingerprints.sources.get(spec.source)
        steps = steps or [EvidenceStep("identifier", f"{ident.context or ident.kind} {_quote(ident.value)} "
                                                     f"({ident.field})")]
        steps = steps + [EvidenceStep(
            "fingerprint", f"fingerprint {spec.id} matched {best.text[:80]!r}" + (f" ({what})" if what else "")
            + f" -> {spec.entity}", "netvet-fingerprints",
            spec.source + (f" <{src.url}>" if src is not None else ""), spec.as_of.isoformat())]
        method = "fingerprint" if ident.kind == IdKind.TEXT else "sysobjectid-fingerprint"
        strength = spec.strength if _STRENGTH_RANK[spec.strength] <= _STRENGTH_RANK[ident.strength] \
            else ident.strength
        ia = IdentifierAttribution(ident, AttributionStatus.ATTRIBUTED, method, CONFIDENCE[("fingerprint",
                                                                                          strength)],
                                   spec.entity, chain=steps, product=spec.product, device_class=spec.device_class)
        return self._follow_manufacturer(ia)

    def _package(self, ident: Identifier) -> IdentifierAttribution:
        if ident.field == SDK_FIELD and self.sdks is not None:  # an SDK found inside an app: its vendor
            return sdk_attribution(self, self.sdks, ident)
        if self.packages is None:
            return self._unknown(ident, "package-prefix", "no package-prefix rules loaded")
        rule = self.packages.match(ident.value)
        if rule is None:
            return self._unknown(ident, "package-prefix", f"package {ident.value} matches no package-prefix rule")
        src = self.packages.source(rule.source)
        kind = "exact package" if rule.exact else "prefix"
        steps = [
            EvidenceStep("identifier", f"package {ident.value} ({ident.field})"),
            EvidenceStep("package-rule", f"{kind} {rule.prefix} -> {rule.entity} ({rule.relation})"
                         + (f": {rule.note}" if rule.note else ""), "netvet-package-prefixes",
                         rule.source + (f" <{src.url}>" if src else ""), rule.as_of.isoformat()),
        ]
        developer = rule.relation == "developer"
        ia = IdentifierAttribution(ident, AttributionStatus.ATTRIBUTED, "package-prefix",
                                   CONFIDENCE["package-prefix" if developer else "package-prefix-oem"], rule.entity,
                                   relation="maker" if developer else "oem-preinstalled", chain=steps)
        ia.chain.extend(self._entity_steps(rule.entity))
        return ia

    def _asn(self, ident: Identifier) -> IdentifierAttribution:
        text = ident.value.upper().removeprefix("AS")
        if not (text.isascii() and text.isdigit() and len(text) <= 10) or int(text) > 0xFFFFFFFF:
            return self._unknown(ident, "asn", f"not an AS number: {ident.value[:40]!r}")
        asn = int(text)
        eid = self.registry.by_asn.get(asn)
        if not eid:
            rec = self.asnames.get(asn) if self.asnames is not None else None
            if rec is None:
                return self._unknown(ident, "asn", f"AS{asn} is not in the curated registry")
            org = rec.org_name or rec.name or f"AS{asn}"
            steps = [EvidenceStep("identifier", f"AS{asn} ({ident.field})"),
                     EvidenceStep("registry-lookup", f"AS{asn} {rec.name or ''}: {org!r}"
                                  + (f", country {rec.country}" if rec.country else ""), "as-names", rec.dataset)]
            hit = self._match_name(ident, rec.org_name, "asn", CONFIDENCE["asn"] * 0.8, steps, registry_name=True,
                                   org_name=org, country=rec.country, dataset=rec.dataset,
                                   relation="operator") if rec.org_name else None
            if hit is not None:
                return hit
            return IdentifierAttribution(ident, AttributionStatus.REGISTRY_ONLY, "asn", 0.5, org_name=org,
                                         country=rec.country, dataset=rec.dataset, relation="operator",
                                         reason="AS holder is not in the curated registry (registry-only evidence)",
                                         chain=steps)
        e = self.registry.entities[eid]
        fact = next(f for f in e.asns if f.value == asn)
        steps = [EvidenceStep("identifier", f"AS{asn} ({ident.field})"),
                 EvidenceStep("registry-lookup", f"AS{asn} is operated by {e.legal_name}", "netvet-registry",
                              fact.source, fact.as_of.isoformat())]
        ia = IdentifierAttribution(ident, AttributionStatus.ATTRIBUTED, "asn", CONFIDENCE["asn"], eid,
                                   relation="operator", chain=steps)
        ia.chain.extend(self._entity_steps(eid))
        return ia

    def _domain(self, ident: Identifier) -> IdentifierAttribution:
        name = ident.value.lower().rstrip(".")
        labels = name.split(".")
        for i in range(len(labels) - 1):
            eid = self.registry.by_domain.get(".".join(labels[i:]))
            if eid:
                steps = [EvidenceStep("identifier", f"domain {name} ({ident.field})"),
                         EvidenceStep("registry-lookup", f"{'.'.join(labels[i:])} belongs to "
                                      f"{self.registry.entities[eid].legal_name}", "netvet-registry")]
                ia = IdentifierAttribution(ident, AttributionStatus.ATTRIBUTED, "domain", CONFIDENCE["domain"], eid,
                                           relation="operator", chain=steps)
                ia.chain.extend(self._entity_steps(eid))
                return ia
        return self._unknown(ident, "domain", f"domain {name} is not in the curated registry")

    # --------------------------------------------------------------- public
    def identifier(self, ident: Identifier) -> IdentifierAttribution:
        """What ``ident`` says about who is behind it. The result is shared by every identical identifier of
        this attributor's run: treat it as read-only."""
        hit = self._seen.get(ident)
        if hit is not None:
            return hit
        method = self._methods.get(ident.kind)
        if method is None:
            return self._unknown(ident, str(ident.kind), f"no attribution method for {ident.kind} identifiers")
        ia = method(ident)
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen.clear()
        self._seen[ident] = ia
        return ia

    def observation(self, obs: Observation) -> Attribution:
        evidence = [self.identifier(i) for i in obs.identifiers]
        return decide(evidence, self.registry, self.on)


def decide(evidence: list[IdentifierAttribution], registry: Registry, on: date) -> Attribution:
    """Weigh the evidence for one observation: strongest decides, agreement adds, disagreement is flagged."""
    attributed = [e for e in evidence if e.status == AttributionStatus.ATTRIBUTED]
    version = registry.version
    if attributed:
        best = max(attributed, key=lambda e: (e.confidence, _STRENGTH_RANK[e.identifier.strength]))
        root = registry.ultimate_parent(best.entity_id, on)
        agree = [e for e in attributed if registry.ultimate_parent(e.entity_id, on) == root]
        disagree = [e for e in attributed if e not in agree]
        miss = 1.0
        for e in agree:
            miss *= 1.0 - e.confidence
        confidence = min(0.99, 1.0 - miss)
        note = None
        if disagree:
            others = ", ".join(f"{e.method} ({e.identifier.field}) says {e.entity_id}" for e in disagree)
            note = (f"evidence disagrees: {others}; decided by {best.method} ({best.identifier.field}, "
                    f"{best.identifier.strength}) -> {best.entity_id}")
        undetermined = best.relation == "brand-undetermined"
        weakness = None
        if best.identifier.strength == Strength.WEAK or best.method.endswith("-guess"):
            weakness = (f"only weak evidence ({best.method}, {best.identifier.field}) names "
                        f"{registry.entities[best.entity_id].legal_name}")
        elif confidence < POSITIVE_CONFIDENCE:
            weakness = f"evidence too weak (confidence {confidence:.2f} < {POSITIVE_CONFIDENCE})"
        elif undetermined:
            weakness = "brand whose maker is not established"
        return Attribution(
            AttributionStatus.ATTRIBUTED, best.entity_id, confidence, best, evidence, bool(disagree),
            brand_entity_id=best.entity_id if best.relation.startswith("brand") else None,
            manufacturer_status="undetermined" if undetermined else ("established" if best.relation == "brand"
                                                                     else None),
            note=note, registry_version=version, positive=weakness is None, weakness=weakness)
    registry_only = [e for e in evidence if e.status == AttributionStatus.REGISTRY_ONLY]
    if registry_only:
        best = max(registry_only, key=lambda e: e.confidence)
        note = (f"only public-registry evidence: {best.org_name!r}" + (f" ({best.country})" if best.country else "")
                + "; no curated entity, so its owners and designations are unknown")
        return Attribution(AttributionStatus.REGISTRY_ONLY, None, best.confidence, best, evidence,
                           note=note, registry_version=version, weakness=note)
    reasons = "; ".join(dict.fromkeys(e.reason for e in evidence if e.reason)) or "no identifiers in the evidence"
    return Attribution(AttributionStatus.UNKNOWN, None, 0.0, None, evidence, note=reasons, registry_version=version)
