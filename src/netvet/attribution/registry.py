"""The curated entity registry: validated data files of entities, designations and sources.

Layout of a registry directory::

    registry.yaml              # {schema: 1, version: "...", title: "..."}
    sources/*.yaml             # {sources: [Source, ...]}   one file per curator or topic
    entities/*.yaml            # {entities: [Entity, ...]}   one file per entity or group
    designations/*.yaml        # {list: DesignationList, entries: [Designation minus 'list', ...]}

Two name indexes: ``registry_index`` (legal names and curated registry-name rules) attributes the
organisation names of public registries (IEEE, IANA); ``aliases`` (that plus aliases and brands) attributes
free text such as an inventory's vendor column. Short aliases ("Arista") therefore never claim an unrelated
registry organisation whose name normalises the same way ("Arista Corp").

Loading validates every file: unknown fields, bad values, duplicate ids, dangling references
(owners, manufacturers, designation entities, source ids) and overlapping identifier claims are
errors reported with file and line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ..model import Designation, Entity, EntityKind, Source
from ..util.yamlfile import DataFileError, DataValidationError, YamlDoc, read_yaml, validate
from .names import AliasIndex, normalise

if TYPE_CHECKING:
    from .data_cache import CompiledCache

SCHEMA_VERSION = 1


class RegistryMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    schema_: int = Field(alias="schema")
    version: str
    title: str
    description: str | None = None


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    sources: list[Source]


class EntitiesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    entities: list[dict]


class DesignationList(BaseModel):
    """A government list: the FCC Covered List, NDAA §889 covered entities, the Clean Network lines ..."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    id: str
    title: str
    authority: str
    jurisdiction: str
    source: str
    as_of: date
    description: str | None = None


class DesignationsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    list: DesignationList
    entries: list[dict]


@dataclass
class Located:
    """Where an item was defined, for error messages."""

    file: str
    line: int | None


@dataclass
class Registry:
    """Entities, designations and sources, with indexes for attribution."""

    version: str
    title: str
    entities: dict[str, Entity]
    sources: dict[str, Source]
    lists: dict[str, DesignationList]
    designations: list[Designation]
    where: dict[str, Located] = field(default_factory=dict)
    aliases: AliasIndex = field(default_factory=AliasIndex)  # every name: legal, aliases, brands, registry names
    registry_index: AliasIndex = field(default_factory=AliasIndex)  # legal names + registry_names rules only
    by_pen: dict[int, str] = field(default_factory=dict)
    by_asn: dict[int, str] = field(default_factory=dict)
    by_domain: dict[str, str] = field(default_factory=dict)
    by_cpe_vendor: dict[str, str] = field(default_factory=dict)
    _designations_by_entity: dict[str, list[Designation]] = field(default_factory=dict)
    _children: dict[date, dict[str, list[str]]] = field(default_factory=dict)

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, path: str | Path | None = None, cache: CompiledCache | None = None) -> Registry:
        """Load and validate a registry directory (default: the one bundled with netvet); with ``cache``, its
        compiled form when none of the directory's YAML files (nor netvet's code) changed since it was validated."""
        if path is None:
            root = resources.files("netvet") / "data" / "registry"
            with resources.as_file(root) as real:
                return cls._load_root(Path(real), cache)
        return cls._load_root(Path(path), cache)

    @classmethod
    def _load_root(cls, root: Path, cache: CompiledCache | None) -> Registry:
        if cache is None or not (root / "registry.yaml").is_file():
            return _load_dir(root)
        return cache.load("registry", cls.files(root), lambda: _load_dir(root))

    @staticmethod
    def files(root: str | Path | None = None) -> list[Path]:
        """The YAML files of a registry directory (default: the bundled one), in a stable order."""
        if root is None:
            root = Path(str(resources.files("netvet") / "data" / "registry"))
        return sorted(Path(root).rglob("*.yaml"))

    # ----------------------------------------------------------------- queries
    def get(self, entity_id: str) -> Entity:
        return self.entities[entity_id]

    def name(self, entity_id: str | None) -> str | None:
        return self.entities[entity_id].legal_name if entity_id in self.entities else None

    def lookup(self, text: str) -> Entity | None:
        """Find an entity by id, legal name, alias or brand (exact normalised match only)."""
        if text in self.entities:
            return self.entities[text]
        matches = self.aliases.match(text)
        return self.entities[matches[0].entity_id] if len(matches) == 1 else None

    def owners(self, entity_id: str, on: date | None = None) -> list:
        on = on or date.today()
        return self.entities[entity_id].owners_on(on)

    def parent(self, entity_id: str, on: date | None = None) -> str | None:
        """The controlling owner on ``on`` (majority share or declared control), if any."""
        for o in self.owners(entity_id, on):
            if o.controlling() and o.owner in self.entities:
                return o.owner
        return None

    def ancestors(self, entity_id: str, on: date | None = None) -> list[str]:
        """Controlling owners up the chain: [parent, grandparent, ...]."""
        chain: list[str] = []
        cur = entity_id
        while (p := self.parent(cur, on)) is not None and p not in chain and p != entity_id:
            chain.append(p)
            cur = p
        return chain

    def ultimate_parent(self, entity_id: str, on: date | None = None) -> str:
        chain = self.ancestors(entity_id, on)
        return chain[-1] if chain else entity_id

    def group(self, entity_id: str, on: date | None = None) -> str:
        """The corporate group an entity rolls up to: its highest controlling owner that is not a state body
        (China Mobile International and China Mobile Ltd are both China Mobile, not SASAC)."""
        top = entity_id
        for anc in self.ancestors(entity_id, on):
            if self.entities[anc].kind == EntityKind.STATE:
                break
            top = anc
        return top

    def subsidiaries(self, entity_id: str, on: date | None = None) -> list[tuple[str, object]]:
        """Entities ``entity_id`` owns a share of on ``on`` (any share), with the ownership fact."""
        on = on or date.today()
        out = []
        for e in self.entities.values():
            for o in e.owners_on(on):
                if o.owner == entity_id:
                    out.append((e.id, o))
        return sorted(out, key=lambda t: t[0])

    def designations_of(self, entity_id: str) -> list[Designation]:
        return list(self._designations_by_entity.get(entity_id, ()))

    def controlled_children(self, on: date | None = None) -> dict[str, list[str]]:
        """Controller -> entities it controls on ``on`` (cached per date)."""
        on = on or date.today()
        cached = self._children.get(on)
        if cached is None:
            cached = defaultdict(list)
            for eid in self.entities:
                p = self.parent(eid, on)
                if p is not None:
                    cached[p].append(eid)
            self._children[on] = cached
        return cached

    def affiliated_designations(self, entity_id: str, on: date | None = None) -> list[tuple[Designation, str]]:
        """Designations that apply to ``entity_id`` on ``on``, with the entity that carries each (``via``).

        Its own; and, when a listing covers subsidiaries and affiliates, those of its controlling owners
        up the chain and of entities under common control with it (siblings below a shared controller). The
        walk stops below a controller of kind ``state``: common ownership by a state does not make every
        state-owned enterprise an affiliate of every other.
        """
        on = on or date.today()
        out = [(d, entity_id) for d in self.designations_of(entity_id)]
        seen = {entity_id}
        chain = self.ancestors(entity_id, on)
        for anc in chain:
            seen.add(anc)
            out.extend((d, anc) for d in self.designations_of(anc) if d.includes_affiliates)
        children = self.controlled_children(on)
        for anc in chain:
            if self.entities[anc].kind == "state":
                break
            stack = list(children.get(anc, ()))
            while stack:
                cur = stack.pop()
                if cur in seen:
                    continue
                seen.add(cur)
                out.extend((d, cur) for d in self.designations_of(cur) if d.includes_affiliates)
                stack.extend(children.get(cur, ()))
        return out

    def relation(self, entity_id: str, other: str, on: date | None = None) -> str:
        """How ``other`` relates to ``entity_id``: self, controlling-owner, or common-control."""
        if other == entity_id:
            return "self"
        return "controlling-owner" if other in self.ancestors(entity_id, on) else "common-control"

    def jurisdictions(self, entity_id: str, on: date | None = None) -> dict[str, str | None]:
        """Registration, headquarters and the ultimate parent's country as of ``on`` (dated facts honoured)."""
        on = on or date.today()
        e = self.entities[entity_id]
        up = self.ultimate_parent(entity_id, on)
        upe = self.entities[up]
        return {
            "registration": e.registration_country_on(on),
            "headquarters": e.hq_country_on(on),
            "ultimate_parent": upe.hq_country_on(on) or upe.registration_country_on(on),
            "ultimate_parent_id": up,
        }

    def listings(self, entity_id: str, on: date | None = None) -> list:
        """Exchange listings of the entity valid on ``on``."""
        return self.entities[entity_id].listings_on(on or date.today())

    def shareholding(self, entity_id: str, on: date | None = None) -> list:
        """Shareholding summaries of the entity valid on ``on``."""
        return self.entities[entity_id].shareholding_on(on or date.today())


def _load_dir(root: Path) -> Registry:
    errors: list[DataFileError] = []
    if not (root / "registry.yaml").is_file():
        raise DataValidationError([DataFileError(str(root), None, "not a registry directory (no registry.yaml)")])

    def guarded(fn):
        try:
            return fn()
        except DataValidationError as exc:
            errors.extend(exc.errors)
            return None

    meta_doc = guarded(lambda: read_yaml(root / "registry.yaml"))
    meta = guarded(lambda: validate(meta_doc, RegistryMeta)) if meta_doc else None
    if meta and meta.schema_ != SCHEMA_VERSION:
        errors.append(DataFileError(meta_doc.file, meta_doc.line_of(["schema"]),
                                    f"unsupported registry schema {meta.schema_} (this netvet reads {SCHEMA_VERSION})"))

    sources: dict[str, Source] = {}
    for path in sorted((root / "sources").glob("*.yaml")):
        src_doc = guarded(lambda p=path: read_yaml(p))
        src_file = guarded(lambda d=src_doc: validate(d, SourcesFile)) if src_doc else None
        for i, s in enumerate(src_file.sources if src_file else []):
            if s.id in sources:
                errors.append(DataFileError(src_doc.file, src_doc.line_of(["sources", i, "id"]),
                                            f"duplicate source id {s.id!r}"))
            sources[s.id] = s

    entities: dict[str, Entity] = {}
    where: dict[str, Located] = {}
    entity_docs: list[tuple[YamlDoc, list[tuple[int, Entity]]]] = []
    invalid_ids: set[str] = set()  # entities that failed validation: references to them are not re-reported
    for path in sorted((root / "entities").glob("*.yaml")):
        doc = guarded(lambda p=path: read_yaml(p))
        parsed = guarded(lambda d=doc: validate(d, EntitiesFile)) if doc else None
        if not parsed:
            continue
        valid: list[tuple[int, Entity]] = []
        for i, raw in enumerate(parsed.entities):
            e = guarded(lambda r=raw, i=i, d=doc: validate(d, Entity, r, ("entities", i)))
            if e is None:
                if isinstance(raw.get("id"), str):
                    invalid_ids.add(raw["id"])
                continue
            valid.append((i, e))
        entity_docs.append((doc, valid))
        for i, e in valid:
            line = doc.line_of(["entities", i])
            if e.id in entities:
                first = where[e.id]
                errors.append(DataFileError(doc.file, line,
                                            f"duplicate entity id {e.id!r} (first in {first.file}:{first.line})"))
                continue
            entities[e.id] = e
            where[e.id] = Located(doc.file, line)

    lists: dict[str, DesignationList] = {}
    designations: list[Designation] = []
    des_docs = []
    for path in sorted((root / "designations").glob("*.yaml")):
        doc = guarded(lambda p=path: read_yaml(p))
        parsed = guarded(lambda d=doc: validate(d, DesignationsFile)) if doc else None
        if not parsed:
            continue
        lst = parsed.list
        if lst.id in lists:
            errors.append(DataFileError(doc.file, doc.line_of(["list", "id"]), f"duplicate list id {lst.id!r}"))
        lists[lst.id] = lst
        for i, raw in enumerate(parsed.entries):
            if "list" in raw:
                errors.append(DataFileError(doc.file, doc.line_of(["entries", i, "list"]),
                                            "entries take their list from the file's 'list' header; remove 'list'"))
                continue
            d = guarded(lambda r=raw, i=i, d=doc, lid=lst.id: validate(d, Designation, {**r, "list": lid},
                                                                       ("entries", i)))
            if d:
                designations.append(d)
                des_docs.append((doc, i, d))

    # ------------------------------------------------------- cross references
    def check_source(doc: YamlDoc, path: list, sid: str) -> None:
        if sid not in sources:
            errors.append(DataFileError(doc.file, doc.line_of(path), f"unknown source {sid!r} (not in sources/*.yaml)"))

    def check_period(doc: YamlDoc, path: list, eid: str, f) -> None:
        if f.valid_from and f.valid_to and f.valid_to <= f.valid_from:
            errors.append(DataFileError(doc.file, doc.line_of(path), f"{eid}: fact is valid_to before valid_from"))

    reg = Registry(
        version=meta.version if meta else "invalid",
        title=meta.title if meta else "",
        entities=entities,
        sources=sources,
        lists=lists,
        designations=designations,
        where=where,
    )
    for doc, valid in entity_docs:
        for i, e in valid:
            base = ["entities", i]
            for dim in ("registration", "headquarters"):
                f = getattr(e.jurisdiction, dim)
                if f:
                    check_source(doc, base + ["jurisdiction", dim, "source"], f.source)
                    check_period(doc, base + ["jurisdiction", dim], e.id, f)
            for j, f in enumerate(e.jurisdiction.history):
                check_source(doc, base + ["jurisdiction", "history", j, "source"], f.source)
                check_period(doc, base + ["jurisdiction", "history", j], e.id, f)
            for key in ("listings", "shareholding"):
                for j, f in enumerate(getattr(e, key)):
                    check_source(doc, base + [key, j, "source"], f.source)
                    check_period(doc, base + [key, j], e.id, f)
            for j, f in enumerate(e.state_ownership):
                check_period(doc, base + ["state_ownership", j], e.id, f)
            for j, o in enumerate(e.owners):
                check_source(doc, base + ["owners", j, "source"], o.source)
                if o.owner not in entities and o.owner not in invalid_ids:
                    errors.append(DataFileError(doc.file, doc.line_of(base + ["owners", j, "owner"]),
                                                f"{e.id}: unknown owner entity {o.owner!r}"))
                if o.since and o.until and o.until <= o.since:
                    errors.append(DataFileError(doc.file, doc.line_of(base + ["owners", j]),
                                                f"{e.id}: ownership by {o.owner} ends before it starts"))
            for key in ("state_ownership", "production", "pens", "asns", "domains"):
                for j, f in enumerate(getattr(e, key)):
                    check_source(doc, base + [key, j, "source"], f.source)
            if e.registry_names:
                check_source(doc, base + ["registry_names", "source"], e.registry_names.source)
                for j, pat in enumerate(e.registry_names.patterns):
                    try:
                        re.compile(pat)
                    except re.error as exc:
                        errors.append(DataFileError(doc.file, doc.line_of(base + ["registry_names", "patterns", j]),
                                                    f"{e.id}: bad pattern {pat!r}: {exc}"))
                for j, name in enumerate(e.registry_names.exact):
                    if normalise(name) != name:
                        errors.append(DataFileError(
                            doc.file, doc.line_of(base + ["registry_names", "exact", j]),
                            f"{e.id}: registry name {name!r} is not in normalised form (would be {normalise(name)!r})"))
            if e.manufacturer:
                check_source(doc, base + ["manufacturer", "source"], e.manufacturer.source)
                m = e.manufacturer.entity
                if m is not None and m not in entities and m not in invalid_ids:
                    errors.append(DataFileError(doc.file, doc.line_of(base + ["manufacturer", "entity"]),
                                                f"{e.id}: unknown manufacturer entity {m!r}"))
                if e.manufacturer.status == "established" and m is None:
                    errors.append(DataFileError(doc.file, doc.line_of(base + ["manufacturer"]),
                                                f"{e.id}: an established manufacturer needs an entity"))
            # indexes
            for kind, index, facts in (("PEN", reg.by_pen, e.pens), ("ASN", reg.by_asn, e.asns)):
                for j, f in enumerate(facts):
                    if f.value in index and index[f.value] != e.id:
                        errors.append(DataFileError(doc.file, doc.line_of(base + [kind.lower() + "s", j]),
                                                    f"{kind} {f.value} claimed by both {index[f.value]} and {e.id}"))
                    index[f.value] = e.id
            for f in e.domains:
                reg.by_domain[f.value.lower().rstrip(".")] = e.id
            for v in e.cpe_vendors:
                if v in reg.by_cpe_vendor and reg.by_cpe_vendor[v] != e.id:
                    errors.append(DataFileError(doc.file, doc.line_of(base + ["cpe_vendors"]),
                                                f"CPE vendor {v!r} claimed by both {reg.by_cpe_vendor[v]} and {e.id}"))
                reg.by_cpe_vendor[v] = e.id
            reg.aliases.add_exact(e.legal_name, e.id)
            reg.registry_index.add_exact(e.legal_name, e.id)
            for a in e.aliases:
                reg.aliases.add_exact(a, e.id)
            for b in e.brands:
                reg.aliases.add_exact(b, e.id, "brand")
            if e.registry_names:
                for name in e.registry_names.exact:
                    reg.aliases.add_exact(name, e.id)
                    reg.registry_index.add_exact(name, e.id)
                for pat in e.registry_names.patterns:
                    try:
                        reg.aliases.add_pattern(pat, e.id)
                        reg.registry_index.add_pattern(pat, e.id)
                    except re.error:
                        pass
    # an exact name claimed by two entities is ambiguous: refuse it
    for key, matches in reg.aliases.exact_keys().items():
        ids = sorted({m.entity_id for m in matches})
        if len(ids) > 1:
            locs = ", ".join(f"{i} ({where[i].file}:{where[i].line})" for i in ids)
            errors.append(DataFileError(where[ids[0]].file, where[ids[0]].line,
                                        f"name {key!r} is claimed by several entities: {locs}"))
    # ownership cycles
    for eid in entities:
        seen = [eid]
        cur = eid
        while (p := reg.parent(cur)) is not None:
            if p in seen:
                errors.append(DataFileError(where[eid].file, where[eid].line,
                                            f"ownership cycle: {' -> '.join(seen + [p])}"))
                break
            seen.append(p)
            cur = p

    by_entity: dict[str, list[Designation]] = defaultdict(list)
    for doc, i, d in des_docs:
        check_source(doc, ["entries", i, "source"], d.source)
        if d.entity is not None and d.entity not in entities and d.entity not in invalid_ids:
            errors.append(DataFileError(doc.file, doc.line_of(["entries", i, "entity"]),
                                        f"unknown entity {d.entity!r}"))
        if d.entity is None and d.scope != "category":
            errors.append(DataFileError(doc.file, doc.line_of(["entries", i]),
                                        "an entry without an entity must have scope 'category'"))
        if d.scope == "conditional-use" and not d.scope_roles:
            errors.append(DataFileError(doc.file, doc.line_of(["entries", i, "scope"]),
                                        "a conditional-use entry must list the roles it applies to (scope_roles)"))
        if d.entity:
            by_entity[d.entity].append(d)
    for lid, lst in lists.items():
        if lst.source not in sources:
            errors.append(DataFileError(str(root / "designations"), None, f"list {lid}: unknown source {lst.source!r}"))
    reg._designations_by_entity = dict(by_entity)
    if errors:
        raise DataValidationError(errors)
    return reg
