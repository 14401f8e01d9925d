"""Carrier ASNs from AS-name data: which ASes point at a designated carrier group, and which of them are claimed.

The rules live in the registry directory's ``carrier-asns.yaml`` (bundled: ``data/registry/carrier-asns.yaml``)::

    schema: 1
    groups:
      - group: china-telecom-group          # an entity of the registry (the group's top entity)
        source: <source id>                 # where the naming conventions come from
        as_of: 2016-05-10
        patterns:
          - {field: name, regex: 'CHINANET-', reason: "..."}                 # the AS name (handle)
          - {field: name, regex: 'CT-', countries: [CN], reason: "..."}      # ... only for these countries
          - {field: org, regex: 'China Telecom\\b', reason: "..."}           # the organisation / description
    exclusions:                             # matched on purpose but not claimed, each with its reason
      - {asn: 25726, group: china-telecom-group, reason: "...", source: <source id>, as_of: 2016-05-10}

Patterns are matched case-insensitively from the start of the field (``re.match``). An AS *belongs* to a group
when the registry entity that claims it is the group or has the group among its controlling owners (on the
evaluation date). :func:`classify` sorts every matching AS into claimed (by the group), claimed by an entity
outside the group (a conflict to look at), excluded, or unclaimed (a candidate to curate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..util.yamlfile import DataFileError, DataValidationError, read_yaml, validate
from .asnames import AsNames, AsOrg

RULES_FILE = "carrier-asns.yaml"
SCHEMA_VERSION = 1

CLAIMED = "claimed"
CLAIMED_ELSEWHERE = "claimed-elsewhere"
EXCLUDED = "excluded"
UNCLAIMED = "unclaimed"
STATUSES = (CLAIMED, CLAIMED_ELSEWHERE, EXCLUDED, UNCLAIMED)


# --------------------------------------------------------------------------- data model
class NamePattern(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    field: Literal["name", "org"]
    regex: str
    countries: list[str] = Field(default_factory=list)
    reason: str

    @field_validator("countries")
    @classmethod
    def _countries(cls, v: list[str]) -> list[str]:
        for c in v:
            if len(c) != 2 or not c.isalpha() or not c.isupper():
                raise ValueError(f"country must be an ISO 3166-1 alpha-2 code in upper case, got {c!r}")
        return v


class GroupRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    group: str
    source: str
    as_of: date
    patterns: list[NamePattern] = Field(min_length=1)


class Exclusion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    asn: int = Field(ge=0, le=0xFFFFFFFF)
    group: str
    reason: str = Field(min_length=1)
    source: str
    as_of: date


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: int = Field(alias="schema")
    groups: list[GroupRules] = Field(min_length=1)
    exclusions: list[Exclusion] = Field(default_factory=list)


@dataclass(frozen=True)
class _Compiled:
    group: str
    field: str
    regex: re.Pattern
    countries: frozenset[str]
    reason: str


@dataclass
class CarrierAsnRules:
    """The validated rules: compiled patterns per group and the exclusions by ASN."""

    file: str
    groups: list[GroupRules]
    exclusions: dict[int, Exclusion]
    _compiled: list[_Compiled] = field(default_factory=list)

    @property
    def group_ids(self) -> list[str]:
        return [g.group for g in self.groups]

    def matches(self, rec: AsOrg) -> dict[str, list[str]]:
        """Group -> reasons for every pattern that matches the record (empty when none does)."""
        out: dict[str, list[str]] = {}
        for c in self._compiled:
            value = rec.name if c.field == "name" else rec.org_name
            if not value or (c.countries and rec.country not in c.countries):
                continue
            if c.regex.match(value):
                shown = value if len(value) <= 80 else value[:77] + "..."
                out.setdefault(c.group, []).append(f"{c.field} {shown!r}: {c.reason}")
        return out


def rules_path(registry_dir: str | Path | None = None) -> Path:
    """``carrier-asns.yaml`` of ``registry_dir`` when it has one, else the bundled file."""
    if registry_dir is not None:
        p = Path(registry_dir) / RULES_FILE
        if p.is_file():
            return p
    return Path(str(resources.files("netvet") / "data" / "registry" / RULES_FILE))


def load_rules(registry, path: str | Path | None = None) -> CarrierAsnRules:
    """Read and validate the rules against ``registry`` (groups and sources must exist; regexes must compile;
    an excluded ASN must not be claimed by any entity). Errors raise ``DataValidationError`` with file and line."""
    path = Path(path) if path is not None else rules_path()
    doc = read_yaml(path)
    parsed = validate(doc, RulesFile)
    errors: list[DataFileError] = []
    if parsed.schema_ != SCHEMA_VERSION:
        errors.append(DataFileError(doc.file, doc.line_of(["schema"]),
                                    f"unsupported schema {parsed.schema_} (this netvet reads {SCHEMA_VERSION})"))
    compiled: list[_Compiled] = []
    seen_groups: set[str] = set()
    for i, g in enumerate(parsed.groups):
        base = ["groups", i]
        if g.group not in registry.entities:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["group"]), f"unknown entity {g.group!r}"))
        if g.group in seen_groups:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["group"]), f"group {g.group!r} listed twice"))
        seen_groups.add(g.group)
        if g.source not in registry.sources:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["source"]), f"unknown source {g.source!r}"))
        for j, p in enumerate(g.patterns):
            try:
                rx = re.compile(p.regex, re.IGNORECASE)
            except re.error as exc:
                errors.append(DataFileError(doc.file, doc.line_of(base + ["patterns", j, "regex"]),
                                            f"bad regular expression {p.regex!r}: {exc}"))
                continue
            compiled.append(_Compiled(g.group, p.field, rx, frozenset(p.countries), p.reason))
    exclusions: dict[int, Exclusion] = {}
    for i, e in enumerate(parsed.exclusions):
        base = ["exclusions", i]
        if e.group not in seen_groups:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["group"]),
                                        f"AS{e.asn}: group {e.group!r} has no rules in this file"))
        if e.source not in registry.sources:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["source"]), f"unknown source {e.source!r}"))
        if e.asn in exclusions:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["asn"]), f"AS{e.asn} excluded twice"))
        if e.asn in registry.by_asn:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["asn"]),
                                        f"AS{e.asn} is excluded but claimed by {registry.by_asn[e.asn]}"))
        exclusions[e.asn] = e
    if errors:
        raise DataValidationError(errors)
    return CarrierAsnRules(doc.file, parsed.groups, exclusions, compiled)


# --------------------------------------------------------------------------- classification
def group_of(registry, entity_id: str, groups: list[str], on: date | None = None) -> str | None:
    """The group among ``groups`` that is ``entity_id`` or one of its controlling owners, if any."""
    for eid in [entity_id, *registry.ancestors(entity_id, on)]:
        if eid in groups:
            return eid
    return None


@dataclass(frozen=True)
class AsnMatch:
    """One AS whose AS-name record matches a group's patterns, and what the registry says about it."""

    asn: int
    group: str
    status: str  # claimed | claimed-elsewhere | excluded | unclaimed
    name: str | None
    org: str | None
    country: str | None
    reasons: tuple[str, ...]
    entity: str | None = None  # the claiming entity (claimed, claimed-elsewhere)
    exclusion: str | None = None  # the exclusion's reason (excluded)
    also_matches: tuple[str, ...] = ()  # other groups whose patterns match too

    def to_dict(self) -> dict:
        return {"asn": self.asn, "group": self.group, "status": self.status, "name": self.name, "org": self.org,
                "country": self.country, "reasons": list(self.reasons), "entity": self.entity,
                "exclusion": self.exclusion, "also_matches": list(self.also_matches)}


def classify(rules: CarrierAsnRules, registry, names: AsNames, on: date | None = None) -> list[AsnMatch]:
    """Every AS of ``names`` that matches a group's patterns, with its status; sorted by group and ASN.

    An AS matching several groups is listed under the group of the entity that claims it, else under the first
    matching group in file order (the others are in ``also_matches``)."""
    order = rules.group_ids
    out: list[AsnMatch] = []
    for asn in sorted(names.records):
        rec = names.records[asn]
        hits = rules.matches(rec)
        if not hits:
            continue
        owner = registry.by_asn.get(asn)
        owner_group = group_of(registry, owner, order, on) if owner else None
        group = owner_group if owner_group in hits else next(g for g in order if g in hits)
        excl = rules.exclusions.get(asn)
        if owner is not None:
            status = CLAIMED if owner_group == group else CLAIMED_ELSEWHERE
        elif excl is not None:
            status = EXCLUDED
        else:
            status = UNCLAIMED
        out.append(AsnMatch(asn, group, status, rec.name, rec.org_name, rec.country, tuple(hits[group]),
                            owner, excl.reason if excl else None, tuple(g for g in order if g in hits and g != group)))
    out.sort(key=lambda m: (order.index(m.group), m.asn))
    return out


def summary(matches: list[AsnMatch], groups: list[str]) -> dict[str, dict[str, int]]:
    """Per group: how many matching ASes are in each status, and in all."""
    out = {g: {s: 0 for s in STATUSES} | {"matched": 0} for g in groups}
    for m in matches:
        out[m.group][m.status] += 1
        out[m.group]["matched"] += 1
    return out


@dataclass(frozen=True)
class ClaimedAsn:
    """An ASN the registry attributes to an entity of a group, with the fact's source."""

    asn: int
    group: str
    entity: str
    source: str
    as_of: date
    note: str | None

    def to_dict(self) -> dict:
        return {"asn": self.asn, "group": self.group, "entity": self.entity, "source": self.source,
                "as_of": self.as_of.isoformat(), "note": self.note}


def claimed_asns(registry, groups: list[str], on: date | None = None) -> list[ClaimedAsn]:
    """Every ASN fact of an entity belonging to one of ``groups`` (sorted by group, then ASN)."""
    out = []
    for e in registry.entities.values():
        g = group_of(registry, e.id, groups, on)
        if g is None:
            continue
        out.extend(ClaimedAsn(f.value, g, e.id, f.source, f.as_of, f.note) for f in e.asns)
    out.sort(key=lambda c: (groups.index(c.group), c.asn))
    return out
