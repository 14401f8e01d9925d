"""What a remote party (unit) is: its label, identifiers and attributes; AS-names evidence for attribution.

Used by ``netvet flows audit`` (:mod:`.audit`) and by the generic reader that lets ``netvet audit`` read
flow logs (``readers/flow_evidence.py``); nothing here imports the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..attribution.asnames import AsNames
from ..attribution.resolve import Attributor
from ..model import AttributionStatus, EvidenceStep, Identifier, IdentifierAttribution, IdKind, Strength
from .attribution import FlowTables, decode_unit
from .cloud import PROVIDERS


# --------------------------------------------------------------------------- attribution with AS names
@dataclass
class FlowAttributor(Attributor):
    """The core attributor, plus AS-names data for AS numbers the curated registry does not hold."""

    as_names: AsNames | None = None

    def identifier(self, ident: Identifier) -> IdentifierAttribution:
        res = super().identifier(ident)
        if ident.kind != IdKind.ASN or res.status != AttributionStatus.UNKNOWN or self.as_names is None:
            return res
        text = ident.value.upper().removeprefix("AS")
        rec = self.as_names.get(int(text)) if text.isdigit() else None
        if rec is None:
            return res
        who = rec.org_name or rec.name or f"AS{text}"
        steps = [EvidenceStep("identifier", f"AS{text} ({ident.field})"),
                 EvidenceStep("registry-lookup", f"AS{text} is {rec.name or '?'}: {rec.org_name or '?'}"
                              + (f", {rec.country}" if rec.country else ""), "as-names", rec.dataset)]
        for name in dict.fromkeys(n for n in (rec.org_name, rec.name) if n):
            hit = super().identifier(Identifier(IdKind.NAME, name, f"{ident.field}>as-name", Strength.MODERATE))
            if hit.status == AttributionStatus.ATTRIBUTED:
                hit.identifier = ident
                hit.method = "asn-as-name"
                hit.confidence = 0.6
                hit.relation = "operator"
                hit.org_name = who
                hit.dataset = rec.dataset
                hit.chain = steps + hit.chain[1:]
                return hit
        return IdentifierAttribution(ident, AttributionStatus.REGISTRY_ONLY, "asn-as-name", 0.5, org_name=who,
                                     country=rec.country, relation="operator", dataset=rec.dataset, chain=steps,
                                     reason="AS holder is not in the curated registry (registry-only evidence)")


def flow_context(ctx, as_names: AsNames | None):
    """``ctx`` with its attributor extended by AS-names data."""
    a = ctx.attributor
    ctx.attributor = FlowAttributor(a.registry, macs=a.macs, pens=a.pens, on=a.on, as_names=as_names)
    return ctx


# --------------------------------------------------------------------------- units
@dataclass
class Catalog:
    """What a unit is: label, identifiers and evidence, from the attribution tables."""

    tables: FlowTables
    as_names: AsNames | None = None

    def describe(self, unit: int) -> tuple[str, str, list[Identifier], dict[str, str]]:
        """(observation id, label, identifiers, attributes) of ``unit``."""
        key, group = decode_unit(int(unit))
        idents: list[Identifier] = []
        attrs: dict[str, str] = {}
        if key > 0:
            origins = self.tables.routes.origin_sets[key] if self.tables.routes is not None else ()
            base = "+".join(f"AS{a}" for a in origins) or f"set{key}"
            label = base
            idents += [Identifier(IdKind.ASN, f"AS{a}", "flow:route-origin", Strength.MODERATE) for a in origins]
            attrs["remote"] = "asn"
            attrs["origin_asns"] = " ".join(str(a) for a in origins)
            if self.as_names is not None:
                names = [self.as_names.get(a) for a in origins]
                text = "; ".join(f"AS{a} {r.name or ''}".strip() + (f" ({r.country})" if r.country else "")
                                 for a, r in zip(origins, names, strict=True) if r is not None)
                if text:
                    attrs["as_names"] = text
                    first = next(r for r in names if r is not None)
                    label = f"{base} {first.name or first.org_name or ''}".strip()
        elif key < 0:
            provider = self.tables.cloud.providers[-key - 1]
            name, display = PROVIDERS.get(provider, (provider, provider))
            base = f"cloud:{provider}"
            label = f"{display} (published ranges)"
            idents.append(Identifier(IdKind.NAME, name, f"flow:cloud-range:{provider}", Strength.STRONG))
            attrs["remote"] = "cloud-range"
            attrs["cloud_provider"] = provider
        else:
            routed = self.tables.routes is not None
            base = "unrouted" if routed else "no-route-data"
            label = "addresses no route covers" if routed else "addresses (no IP-to-AS data given)"
            attrs["remote"] = base
        if group:
            owners = self.tables.dns.groups[group]
            base += "+dns:" + ",".join(e for e, _d in owners)
            label += " via DNS " + ", ".join(d for _e, d in owners)
            idents += [Identifier(IdKind.DOMAIN, d, "flow:dns-answer", Strength.MODERATE) for _e, d in owners]
            attrs["dns_domains"] = " ".join(d for _e, d in owners)
        attrs["name"] = label
        return f"flow:{base}", label, idents, attrs


