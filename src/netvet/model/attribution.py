"""Attribution of identifiers and observations to entities, with evidence chains."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .observation import Identifier


class AttributionStatus(StrEnum):
    ATTRIBUTED = "attributed"  # a curated registry entity claims it
    REGISTRY_ONLY = "registry-only"  # a public registry names an organisation no curated entity claims
    UNKNOWN = "unknown"  # no evidence, or the identifier cannot name a maker (random MAC, ...)


@dataclass(frozen=True, slots=True)
class EvidenceStep:
    """One link of an evidence chain: identifier -> registry record -> alias rule -> entity -> parent ..."""

    step: str
    detail: str
    registry: str | None = None
    source: str | None = None
    as_of: str | None = None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("step", "detail", "registry", "source", "as_of") if getattr(self, k)}


@dataclass(slots=True)
class IdentifierAttribution:
    """What one identifier says about who is behind it."""

    identifier: Identifier
    status: AttributionStatus
    method: str
    confidence: float
    entity_id: str | None = None
    org_name: str | None = None  # the registry's own organisation name
    country: str | None = None  # country of the registry record's address (registry-only evidence)
    relation: str = "maker"  # maker | brand | component-maker | operator
    reason: str | None = None
    chain: list[EvidenceStep] = field(default_factory=list)
    dataset: str | None = None
    product: str | None = None  # product family a fingerprint names
    device_class: str | None = None  # device class a fingerprint names

    def to_dict(self) -> dict:
        return {
            "identifier": self.identifier.to_dict(),
            **({"product": self.product} if self.product else {}),
            **({"device_class": self.device_class} if self.device_class else {}),
            "status": str(self.status),
            "method": self.method,
            "confidence": round(self.confidence, 3),
            "entity_id": self.entity_id,
            "org_name": self.org_name,
            "country": self.country,
            "relation": self.relation,
            "reason": self.reason,
            "chain": [s.to_dict() for s in self.chain],
            "dataset": self.dataset,
        }


@dataclass(slots=True)
class Attribution:
    """The decision for one observation, keeping every piece of evidence considered."""

    status: AttributionStatus
    entity_id: str | None
    confidence: float
    decided_by: IdentifierAttribution | None
    evidence: list[IdentifierAttribution] = field(default_factory=list)
    conflict: bool = False
    brand_entity_id: str | None = None
    manufacturer_status: str | None = None  # established | undetermined, for brand/relabel evidence
    note: str | None = None
    registry_version: str | None = None
    positive: bool = False  # a curated entity established by evidence strong enough to let an asset PASS
    weakness: str | None = None  # why an attribution is not positive (weak or registry-only evidence, ...)

    @property
    def method(self) -> str | None:
        return self.decided_by.method if self.decided_by else None

    def to_dict(self) -> dict:
        return {
            "status": str(self.status),
            "entity_id": self.entity_id,
            "confidence": round(self.confidence, 3),
            "method": self.method,
            "decided_by": self.decided_by.to_dict() if self.decided_by else None,
            "evidence": [e.to_dict() for e in self.evidence],
            "conflict": self.conflict,
            "brand_entity_id": self.brand_entity_id,
            "manufacturer_status": self.manufacturer_status,
            "note": self.note,
            "registry_version": self.registry_version,
            "positive": self.positive,
            "weakness": self.weakness,
        }
