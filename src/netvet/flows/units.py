"""What a remote party (unit) is: its label, identifiers and attributes; AS-names evidence for attribution.

Used by ``netvet flows audit`` (:mod:`.audit`) and by the generic reader that lets ``netvet audit`` read
flow logs (``flows/evidence.py``); nothing here imports the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..attribution.asnames import AsNames
from ..model import Identifier, IdKind, Strength
from .attribution import FlowTables, decode_unit
from .cloud import PROVIDERS


# --------------------------------------------------------------------------- attribution with AS names
def flow_context(ctx, as_names: AsNames | None):
    """``ctx`` with its attributor given AS-names data (registry-only evidence for uncurated ASes)."""
    ctx.attributor.asnames = as_names
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


