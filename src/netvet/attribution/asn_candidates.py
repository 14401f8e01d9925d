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

:func:`related` finds candidates in the organisation datasets too, each with its *evidence kind*:

* ``peeringdb-org`` — the AS's PeeringDB organisation name matches a group's ``org`` patterns, or the AS is in
  the same PeeringDB organisation as an ASN the group claims;
* ``rir-opaque-id`` — the AS is registered to the same RIR registrant (the opaque id of the delegated-extended
  statistics) as an ASN the group claims; ranges are expanded, at most ``max_shared`` ASNs per registrant;
* ``as2org-org`` — the AS is in the same CAIDA AS-to-Organization organisation as an ASN the group claims.

(AS-name matches are evidence kind ``name``.) A shared organisation or registrant holding more than
``max_shared`` ASNs is not expanded (a national registry's or a reseller's account says nothing about
ownership): it is reported in the notes instead.
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

    def hits(self, rec: AsOrg) -> dict[str, list[tuple[str, str, str]]]:
        """Group -> (field, shown value, pattern reason) for every pattern that matches the record."""
        out: dict[str, list[tuple[str, str, str]]] = {}
        for c in self._compiled:
            value = rec.name if c.field == "name" else rec.org_name
            if not value or (c.countries and rec.country not in c.countries):
                continue
            if c.regex.match(value):
                shown = value if len(value) <= 80 else value[:77] + "..."
                out.setdefault(c.group, []).append((c.field, shown, c.reason))
        return out

    def matches(self, rec: AsOrg) -> dict[str, list[str]]:
        """Group -> reasons for every pattern that matches the record (empty when none does)."""
        return {g: [f"{f} {v!r}: {r}" for f, v, r in hs] for g, hs in self.hits(rec).items()}


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

    evidence: str = "name"

    def to_dict(self) -> dict:
        return {"asn": self.asn, "group": self.group, "status": self.status, "evidence": self.evidence,
                "name": self.name, "org": self.org, "country": self.country, "reasons": list(self.reasons),
                "entity": self.entity, "exclusion": self.exclusion, "also_matches": list(self.also_matches)}


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


# --------------------------------------------------------------------------- organisation datasets
NAME = "name"
PEERINGDB_ORG = "peeringdb-org"
RIR_OPAQUE_ID = "rir-opaque-id"
AS2ORG_ORG = "as2org-org"
EVIDENCE_KINDS = (NAME, PEERINGDB_ORG, RIR_OPAQUE_ID, AS2ORG_ORG)
MAX_SHARED = 1000  # ASNs of one shared organisation / registrant expanded into candidates, at most


@dataclass(frozen=True)
class Evidence:
    """An AS that an organisation dataset ties to a group, with the reasons and where they come from."""

    asn: int
    group: str
    status: str  # claimed | claimed-elsewhere | excluded | unclaimed
    evidence: str  # peeringdb-org | rir-opaque-id | as2org-org
    reasons: tuple[str, ...]
    name: str | None = None  # the network's / AS's name in the dataset
    org: str | None = None  # the organisation (name, or the registrant's opaque id)
    country: str | None = None
    key: str | None = None  # the shared organisation id or opaque id ("registry:opaque-id")
    via: tuple[int, ...] = ()  # claimed ASNs of the group that share it
    source: str | None = None  # file (and line) of the record
    entity: str | None = None
    exclusion: str | None = None

    def to_dict(self) -> dict:
        return {"asn": self.asn, "group": self.group, "status": self.status, "evidence": self.evidence,
                "name": self.name, "org": self.org, "country": self.country, "reasons": list(self.reasons),
                "entity": self.entity, "exclusion": self.exclusion, "key": self.key, "via": list(self.via),
                "source": self.source}


@dataclass
class OrgData:
    """The organisation datasets to search (any may be absent)."""

    peeringdb: object | None = None  # peeringdb.PeeringDb
    rir: object | None = None  # rir_delegated.RirDelegations
    as2org: AsNames | None = None


@dataclass
class _Ctx:
    rules: CarrierAsnRules
    registry: object
    on: date | None
    seeds: dict[int, ClaimedAsn]  # claimed ASN -> its claim (group, entity)
    _groups: dict[str, str | None] = field(default_factory=dict)

    def status(self, asn: int, group: str) -> tuple[str, str | None, str | None]:
        """(status, claiming entity, exclusion reason) of ``asn`` for ``group``."""
        owner = self.registry.by_asn.get(asn)
        if owner is not None:
            if owner not in self._groups:
                self._groups[owner] = group_of(self.registry, owner, self.rules.group_ids, self.on)
            return (CLAIMED if self._groups[owner] == group else CLAIMED_ELSEWHERE), owner, None
        excl = self.rules.exclusions.get(asn)
        return (EXCLUDED, None, excl.reason) if excl is not None else (UNCLAIMED, None, None)

    def seeds_by_group(self, members) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for a in members:
            if a in self.seeds:
                out.setdefault(self.seeds[a].group, []).append(a)
        return out


def _shared_reason(what: str, via: list[int], seeds: dict[int, ClaimedAsn], label: str | None = None) -> str:
    """"same <what> as AS4134 (<label>), claimed by <entity>; also shared with claimed AS4809" """
    first = via[0]
    text = f"same {what} as AS{first}" + (f" ({label})" if label else "") + f", claimed by {seeds[first].entity}"
    if len(via) > 1:
        text += f"; also shared with claimed {', '.join(f'AS{a}' for a in via[1:4])}" + \
                (f" and {len(via) - 4} more" if len(via) > 4 else "")
    return text


def _shared(ctx: _Ctx, kind: str, members: list[int], what: str, notes: list[str], max_shared: int,
            describe) -> list[tuple[str, int, list[int], str]]:
    """(group, asn, claimed ASNs sharing it, reason) for every member of one shared organisation / registrant
    holding a claimed ASN; nothing (and a note) past ``max_shared`` members."""
    by_group = ctx.seeds_by_group(members)
    if not by_group:
        return []
    if len(members) > max_shared:
        notes.append(f"{kind}: {what} holds {len(members):,} ASNs (more than {max_shared:,}), including claimed "
                     f"{', '.join(f'AS{a}' for g in by_group for a in by_group[g][:3])}: not expanded (a registry's "
                     "or reseller's account says nothing about ownership)")
        return []
    out = []
    for group in ctx.rules.group_ids:
        if group not in by_group:
            continue
        for asn in members:
            via = [a for a in by_group[group] if a != asn]
            if via:
                out.append((group, asn, via, describe(via)))
    return out


def _peeringdb(ctx: _Ctx, pdb, notes: list[str], max_shared: int) -> list[Evidence]:
    found: dict[tuple[str, int], list[str]] = {}
    vias: dict[tuple[str, int], set[int]] = {}
    dataset = f"peeringdb-org:{Path(pdb.org_file).name}" if pdb.org_file else "peeringdb"
    order = ctx.rules.group_ids
    # the organisation's name matches a group's patterns
    for asn in sorted(pdb.nets):
        net = pdb.nets[asn]
        org = pdb.orgs.get(net.org_id)
        if org is None:
            continue
        hits = ctx.rules.hits(AsOrg(asn, None, str(org.id), org.name, org.country, dataset))
        if not hits:
            continue
        owner = ctx.registry.by_asn.get(asn)
        owner_group = group_of(ctx.registry, owner, order, ctx.on) if owner else None
        group = owner_group if owner_group in hits else next(g for g in order if g in hits)
        found.setdefault((group, asn), []).extend(f"PeeringDB organisation {org.id} {value!r}: {reason}"
                                                  for _, value, reason in hits[group])
    # the network is in the organisation of a claimed ASN
    for org_id, members in pdb.asns_by_org().items():
        org = pdb.orgs.get(org_id)
        label = f"PeeringDB organisation {org_id}" + (f" {org.name!r}" if org else "")
        for group, asn, via, reason in _shared(
                ctx, PEERINGDB_ORG, members, label, notes, max_shared,
                lambda v, label=label: _shared_reason(label, v, ctx.seeds)):
            found.setdefault((group, asn), []).append(reason)
            vias.setdefault((group, asn), set()).update(via)
    out = []
    for (group, asn), reasons in found.items():
        net = pdb.nets[asn]
        org = pdb.orgs.get(net.org_id)
        status, entity, excl = ctx.status(asn, group)
        out.append(Evidence(asn, group, status, PEERINGDB_ORG, tuple(reasons), net.name, org.name if org else None,
                            org.country if org else None, f"peeringdb-org:{net.org_id}",
                            tuple(sorted(vias.get((group, asn), ()))),
                            f"{pdb.net_file} data[{net.index}]", entity, excl))
    return out


def _rir(ctx: _Ctx, rir, notes: list[str], max_shared: int) -> list[Evidence]:
    registrants = rir.by_registrant()
    holders = rir.holders(ctx.seeds)
    keys = sorted({r.key for ranges in holders.values() for r in ranges})
    out = []
    for key in keys:
        ranges = sorted(registrants[key], key=lambda r: r.start)
        size = sum(r.count for r in ranges)
        registry, opaque = key
        label = f"{registry} opaque id {opaque}"
        if size > max_shared:  # counted, not expanded
            by_group = ctx.seeds_by_group(a for a in ctx.seeds if any(r.start <= a <= r.end for r in ranges))
            notes.append(f"{RIR_OPAQUE_ID}: RIR registrant {label} holds {size:,} ASNs (more than {max_shared:,}), "
                         f"including claimed {', '.join(f'AS{a}' for g in by_group for a in by_group[g][:3])}: "
                         "not expanded (a registry's or reseller's account says nothing about ownership)")
            continue
        record_of = {a: r for r in ranges for a in range(r.start, r.end + 1)}
        members = sorted(record_of)
        for group, asn, via, reason in _shared(
                ctx, RIR_OPAQUE_ID, members, f"RIR registrant {label}", notes, max_shared,
                lambda v, label=label: _shared_reason("RIR registrant", v, ctx.seeds, label)):
            r = record_of[asn]
            if r.count > 1:
                reason += f"; registered as the range {r.shown()} ({r.count} ASNs)"
            status, entity, excl = ctx.status(asn, group)
            out.append(Evidence(asn, group, status, RIR_OPAQUE_ID, (reason,), None, opaque, r.country,
                                f"{registry}:{opaque}", tuple(via), f"{r.file}:{r.line}", entity, excl))
    return out


def _as2org(ctx: _Ctx, names: AsNames, notes: list[str], max_shared: int) -> list[Evidence]:
    by_org: dict[str, list[int]] = {}
    for asn in sorted(names.records):
        org_id = names.records[asn].org_id
        if org_id:
            by_org.setdefault(org_id, []).append(asn)
    keys = sorted({names.records[a].org_id for a in ctx.seeds if a in names.records and names.records[a].org_id})
    files = sorted({s.file for s in names.stats})
    source = ", ".join(files) if files else None
    out = []
    for org_id in keys:
        rec0 = names.records[by_org[org_id][0]]
        label = f"CAIDA organisation {org_id}" + (f" {rec0.org_name!r}" if rec0.org_name else "")
        for group, asn, via, reason in _shared(
                ctx, AS2ORG_ORG, by_org[org_id], label, notes, max_shared,
                lambda v, label=label: _shared_reason(label, v, ctx.seeds)):
            rec = names.records[asn]
            status, entity, excl = ctx.status(asn, group)
            out.append(Evidence(asn, group, status, AS2ORG_ORG, (reason,), rec.name, rec.org_name, rec.country,
                                org_id, tuple(via), source, entity, excl))
    return out


def related(rules: CarrierAsnRules, registry, data: OrgData, on: date | None = None,
            max_shared: int = MAX_SHARED) -> tuple[list[Evidence], list[str]]:
    """Candidates from the organisation datasets of ``data`` (see the module's docstring) and notes about
    shared organisations / registrants too large to expand. Sorted by group (file order), ASN and evidence kind."""
    seeds = {c.asn: c for c in claimed_asns(registry, rules.group_ids, on)}
    ctx = _Ctx(rules, registry, on, seeds)
    notes: list[str] = []
    out: list[Evidence] = []
    if data.peeringdb is not None:
        out += _peeringdb(ctx, data.peeringdb, notes, max_shared)
    if data.rir is not None:
        out += _rir(ctx, data.rir, notes, max_shared)
    if data.as2org is not None:
        out += _as2org(ctx, data.as2org, notes, max_shared)
    order = rules.group_ids
    out.sort(key=lambda e: (order.index(e.group), e.asn, EVIDENCE_KINDS.index(e.evidence)))
    return out, notes


def evidence_summary(rows, groups: list[str]) -> dict[str, dict[str, dict[str, int]]]:
    """Per group and evidence kind: how many candidates are in each status, and in all (``found``)."""
    out = {g: {} for g in groups}
    for r in rows:
        kind = getattr(r, "evidence", NAME)
        counts = out[r.group].setdefault(kind, {s: 0 for s in STATUSES} | {"found": 0})
        counts[r.status] += 1
        counts["found"] += 1
    return out


RIR_DATASETS = ("rir-afrinic", "rir-apnic", "rir-arin", "rir-lacnic", "rir-ripencc")
PEERINGDB_DATASETS = ("peeringdb-net", "peeringdb-org")


def _need_file(path, option: str) -> None:
    from ..model import InputError

    if not Path(path).is_file():
        raise InputError(str(path), f"{option}: file not found")


def load_org_data(peeringdb_net=None, peeringdb_org=None, rir=(), as2org=None, *, as2org_explicit: bool = True,
                  loaded: dict[str, AsNames] | None = None) -> OrgData:
    """Read the organisation datasets (each optional) with netvet's readers; a file that cannot be read raises
    ``InputError``. ``loaded`` holds AS-names files already read (path -> records) so that the as2org file is not
    read twice; an ``as2org`` file that is not in CAIDA's format is an error when ``as2org_explicit``, and
    ignored otherwise."""
    from ..model import InputError
    from .asnames import FORMAT_AS2ORG, FORMAT_AS2ORG_JSONL, load_asnames
    from .peeringdb import load_peeringdb
    from .rir_delegated import load_delegated

    data = OrgData()
    if peeringdb_org is not None and peeringdb_net is None:
        raise InputError(str(peeringdb_org), "--peeringdb-org needs --peeringdb-net (the networks tie ASNs to "
                                             "the organisations)")
    if peeringdb_net is not None:
        _need_file(peeringdb_net, "--peeringdb-net")
        if peeringdb_org is not None:
            _need_file(peeringdb_org, "--peeringdb-org")
        data.peeringdb = load_peeringdb(peeringdb_net, peeringdb_org)
    rir = list(rir or ())
    if rir:
        for p in rir:
            _need_file(p, "--rir")
        data.rir = load_delegated(rir)
    if as2org is not None:
        names = (loaded or {}).get(str(as2org))
        if names is None:
            _need_file(as2org, "--as2org")
            names = load_asnames(as2org)
        if all(s.format in (FORMAT_AS2ORG, FORMAT_AS2ORG_JSONL) for s in names.stats):
            data.as2org = names
        elif as2org_explicit:
            raise InputError(str(as2org), "--as2org: not a CAIDA AS-to-Organization file (a pyasn asnames file "
                                          "has no organisation ids)")
    return data
