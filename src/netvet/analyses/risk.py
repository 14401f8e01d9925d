"""Vendor-neutral supplier risk factors, each explained with its evidence (EU 5G Toolbox / Prague Proposals).

Factors (0 = no concern, 1 = highest), derived only from recorded evidence:

``legal_compulsion``   the strictest legal environment in the supplier's controlling-owner chain: a law obliging
                       assistance to intelligence services without independent judicial oversight (1.0), with it
                       (0.4), no such obligation recorded but adequacy/oversight recorded (0.1), no evidence (0.5).
``state_control``      state ownership in the chain: controlling (1.0), share not public (0.75), minority (0.5),
                       none recorded (0.0).
``ownership_opacity``  listed on a regulated exchange in the chain (0.0: disclosure duties), not listed but owners
                       recorded (0.5), nothing recorded (1.0).
``security_record``    known exploited vulnerabilities (CISA KEV) for the supplier: log10(1 + n) / 2, capped at 1;
                       no KEV data loaded: 0.5 ("no evidence").
``certification``      a recorded independent security assurance (e.g. GSMA NESAS) 0.0, none recorded 0.5.
The score is the weighted mean; packs compare it and the factors with thresholds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..model import Source
from ..util.yamlfile import DataFileError, DataValidationError, read_yaml, validate

WEIGHTS = {
    "legal_compulsion": 0.35,
    "state_control": 0.25,
    "ownership_opacity": 0.15,
    "security_record": 0.15,
    "certification": 0.10,
}


class BoolFact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    value: bool
    source: str
    as_of: date
    note: str | None = None


class JurisdictionFacts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    compelled_assistance: BoolFact | None = None
    judicial_oversight: BoolFact | None = None
    eu_adequacy: BoolFact | None = None
    budapest_convention: BoolFact | None = None


class Listing(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entity: str
    exchange: str
    ticker: str
    source: str
    as_of: date


class Certification(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entity: str
    scheme: str
    scope: str
    source: str
    as_of: date


class JurisdictionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_: int = Field(alias="schema")
    sources: list[Source]
    jurisdictions: dict[str, JurisdictionFacts]
    eu_eea: list[str]
    eu_eea_source: str
    eu_eea_as_of: date


class SupplierFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_: int = Field(alias="schema")
    sources: list[Source] = Field(default_factory=list)
    listings: list[Listing] = Field(default_factory=list)
    certifications: list[Certification] = Field(default_factory=list)


@dataclass(frozen=True)
class FactorScore:
    factor: str
    value: float
    weight: float
    evidence: str
    source: str | None = None
    as_of: str | None = None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class RiskProfile:
    entity_id: str
    factors: list[FactorScore]

    @property
    def score(self) -> float:
        return round(sum(f.value * f.weight for f in self.factors) / sum(WEIGHTS.values()), 3)

    def values(self) -> dict[str, float]:
        return {f.factor: f.value for f in self.factors}

    def explain(self) -> list[str]:
        return [f"{f.factor}={f.value:.2f} (weight {f.weight:.2f}): {f.evidence}"
                + (f" [{f.source}, {f.as_of}]" if f.source else "") for f in self.factors]


@dataclass
class RiskData:
    sources: dict[str, Source]
    jurisdictions: dict[str, JurisdictionFacts]
    listings: dict[str, Listing]
    certifications: dict[str, list[Certification]]
    kev_counts: dict[str, int] | None = None  # entity id -> count, when a KEV catalogue was loaded
    kev_dataset: str | None = None
    _cache: dict[tuple[str, date], RiskProfile] = field(default_factory=dict)

    @classmethod
    def load(cls, root: str | Path | None = None, registry=None) -> RiskData:
        if root is None:
            with resources.as_file(resources.files("netvet") / "data" / "risk") as real:
                return _load(Path(real), registry)
        return _load(Path(root), registry)

    def jurisdiction_fact(self, country: str, name: str) -> BoolFact | None:
        j = self.jurisdictions.get(country)
        return getattr(j, name) if j is not None else None

    def profile(self, registry, entity_id: str, on: date) -> RiskProfile:
        key = (entity_id, on)
        if key not in self._cache:
            self._cache[key] = self._profile(registry, entity_id, on)
        return self._cache[key]

    def _profile(self, registry, entity_id: str, on: date) -> RiskProfile:
        chain = [entity_id] + registry.ancestors(entity_id, on)
        ents = [registry.entities[c] for c in chain]
        return RiskProfile(entity_id, [
            self._legal(ents, on), self._state(ents, on), self._opacity(ents, on), self._security(entity_id, chain),
            self._certification(chain),
        ])

    def _legal(self, ents, on: date) -> FactorScore:
        w = WEIGHTS["legal_compulsion"]
        countries = []
        for e in ents:
            for c in (e.hq_country_on(on), e.registration_country_on(on)):
                if c and c not in countries:
                    countries.append(c)
        if not countries:
            return FactorScore("legal_compulsion", 0.5, w, "no jurisdiction recorded for the supplier (no evidence)")
        worst: FactorScore | None = None
        for c in countries:
            comp = self.jurisdiction_fact(c, "compelled_assistance")
            over = self.jurisdiction_fact(c, "judicial_oversight")
            if comp is not None and comp.value and over is not None and not over.value:
                fs = FactorScore("legal_compulsion", 1.0, w, "law obliges assistance to intelligence services without "
                                 "independent judicial oversight in the supplier's chain", comp.source,
                                 comp.as_of.isoformat())
            elif comp is not None and comp.value:
                fs = FactorScore("legal_compulsion", 0.4, w, "law can compel assistance, subject to independent "
                                 "judicial oversight", comp.source, comp.as_of.isoformat())
            elif over is not None and over.value:
                fs = FactorScore("legal_compulsion", 0.1, w, "independent judicial oversight and data-protection "
                                 "adequacy recorded", over.source, over.as_of.isoformat())
            else:
                fs = FactorScore("legal_compulsion", 0.5, w, "legal environment not recorded (no evidence)")
            if worst is None or fs.value > worst.value:
                worst = fs
        return worst

    def _state(self, ents, on: date) -> FactorScore:
        w = WEIGHTS["state_control"]
        best: FactorScore = FactorScore("state_control", 0.0, w, "no state ownership recorded in the ownership chain")
        for e in ents:
            for s in e.state_ownership_on(on):
                controlling = s.share is not None and s.share > 50
                value = 1.0 if controlling else (0.75 if s.share is None else 0.5)
                desc = (f"state ownership of {e.legal_name}: {s.share:g}%" if s.share is not None
                        else f"state ownership of {e.legal_name} (share not public)")
                if value > best.value:
                    best = FactorScore("state_control", value, w, desc + (f" via {s.via}" if s.via else ""),
                                       s.source, s.as_of.isoformat())
        return best

    def _opacity(self, ents, on: date) -> FactorScore:
        """Listings recorded in the registry (dated) come first; this file's listings apply to entities without
        registry listing facts."""
        w = WEIGHTS["ownership_opacity"]
        for e in ents:
            dated = e.listings_on(on)
            lst = dated[0] if dated else (self.listings.get(e.id) if not e.listings else None)
            if lst is not None:
                return FactorScore("ownership_opacity", 0.0, w, f"{e.legal_name} is listed ({lst.exchange}: "
                                   f"{lst.ticker}) with public disclosure duties", lst.source, lst.as_of.isoformat())
        if any(e.owners for e in ents):
            return FactorScore("ownership_opacity", 0.5, w, "not listed on a regulated exchange; owners are recorded")
        for e in ents:
            for sh in e.shareholding_on(on):
                if sh.holder and sh.structure in ("controlled", "private"):
                    return FactorScore("ownership_opacity", 0.5, w, f"not listed on a regulated exchange; owners "
                                       f"of {e.legal_name} are recorded ({sh.holder})", sh.source,
                                       sh.as_of.isoformat())
        return FactorScore("ownership_opacity", 1.0, w, "not listed and no owners recorded")

    def _security(self, entity_id: str, chain: list[str]) -> FactorScore:
        w = WEIGHTS["security_record"]
        if self.kev_counts is None:
            return FactorScore("security_record", 0.5, w, "no CISA KEV catalogue loaded (no evidence)")
        n = sum(self.kev_counts.get(c, 0) for c in chain[:1])
        value = min(1.0, math.log10(1 + n) / 2)
        return FactorScore("security_record", round(value, 3), w,
                           f"{n} known exploited vulnerabilities in the CISA KEV catalogue", self.kev_dataset)

    def _certification(self, chain: list[str]) -> FactorScore:
        w = WEIGHTS["certification"]
        for c in chain:
            for cert in self.certifications.get(c, []):
                return FactorScore("certification", 0.0, w, f"{cert.scheme}: {cert.scope}", cert.source,
                                   cert.as_of.isoformat())
        return FactorScore("certification", 0.5, w, "no independent security assurance recorded")


def _load(root: Path, registry) -> RiskData:
    errors: list[DataFileError] = []
    jdoc = read_yaml(root / "jurisdictions.yaml")
    jfile = validate(jdoc, JurisdictionsFile)
    sources = {s.id: s for s in jfile.sources}
    jur = dict(jfile.jurisdictions)
    for c in jfile.eu_eea:
        base = jur.get(c, JurisdictionFacts())
        fact = BoolFact(value=True, source=jfile.eu_eea_source, as_of=jfile.eu_eea_as_of)
        jur[c] = base.model_copy(update={"eu_adequacy": base.eu_adequacy or fact,
                                         "judicial_oversight": base.judicial_oversight or fact})
    for c, facts in jfile.jurisdictions.items():
        for name in ("compelled_assistance", "judicial_oversight", "eu_adequacy", "budapest_convention"):
            f = getattr(facts, name)
            if f is not None and f.source not in sources:
                errors.append(DataFileError(jdoc.file, jdoc.line_of(["jurisdictions", c, name]),
                                            f"unknown source {f.source!r}"))
    if jfile.eu_eea_source not in sources:
        errors.append(DataFileError(jdoc.file, jdoc.line_of(["eu_eea_source"]), "unknown source"))
    listings: dict[str, Listing] = {}
    certs: dict[str, list[Certification]] = {}
    sp = root / "suppliers.yaml"
    if sp.exists():
        sdoc = read_yaml(sp)
        sfile = validate(sdoc, SupplierFile)
        sources.update({s.id: s for s in sfile.sources})
        known = registry.entities if registry is not None else None
        for key, items in (("listings", sfile.listings), ("certifications", sfile.certifications)):
            for i, item in enumerate(items):
                if known is not None and item.entity not in known:
                    errors.append(DataFileError(sdoc.file, sdoc.line_of([key, i, "entity"]),
                                                f"unknown entity {item.entity!r}"))
                if item.source not in sources and (registry is None or item.source not in registry.sources):
                    errors.append(DataFileError(sdoc.file, sdoc.line_of([key, i, "source"]),
                                                f"unknown source {item.source!r}"))
        listings = {item.entity: item for item in sfile.listings}
        for item in sfile.certifications:
            certs.setdefault(item.entity, []).append(item)
    if errors:
        raise DataValidationError(errors)
    return RiskData(sources, jur, listings, certs)
