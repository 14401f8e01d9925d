"""Fingerprints: what a device's own words say about its maker, as versioned data.

A fingerprint is a regular expression over one kind of text a device or scanner reports (its ``contexts``:
sysDescr, LLDP system description, CLI version banner, ENTITY-MIB names, nmap service, TLS subject, HTTP
Server header, model numbers) or an OID subtree over sysObjectIDs. Each names the maker entity, the product
family and device class it implies, its strength, its source, and real example strings. The files are
validated on load: unknown fields, unknown entities, contexts or sources, a pattern that does not compile,
an example its own fingerprint does not match, or an example another maker's fingerprint also matches, are
errors with file and line (the model is Rapid7 Recog's fingerprint database).

``generic.yaml`` lists what never names a maker: SNMP agent stacks' enterprise numbers (net-snmp, lwIP, ...),
generic registry names (the IEEE Registration Authority's parent blocks). Evidence of that kind alone leaves an
asset UNKNOWN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from ..model import Source, Strength, TextContext
from ..util.yamlfile import DataFileError, DataValidationError, read_yaml, validate

if TYPE_CHECKING:
    from .data_cache import CompiledCache

SCHEMA_VERSION = 1
MAX_TEXT = 4096  # characters of one text matched (longer text is cut: bounded time on any input)
_CONTEXTS = {c.value for c in TextContext}
_STRENGTH_RANK = {Strength.STRONG: 2, Strength.MODERATE: 1, Strength.WEAK: 0}


def _data_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "fingerprints"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FingerprintSpec(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")
    contexts: list[str] = Field(min_length=1)
    pattern: str | None = None
    oid_prefix: str | None = Field(default=None, pattern=r"^[0-2](\.[0-9]+)+$")
    ignore_case: bool = False
    entity: str
    product: str | None = None
    device_class: str | None = None
    strength: Strength = Strength.STRONG
    source: str
    as_of: date
    note: str | None = None
    examples: list[str] = Field(min_length=1)
    not_examples: list[str] = Field(default_factory=list)


class GenericPen(_Model):
    pen: int = Field(ge=0)
    name: str
    what: str
    source: str
    as_of: date


class GenericName(_Model):
    name: str
    what: str
    source: str
    as_of: date


class FingerprintFile(_Model):
    schema_: int = Field(alias="schema")
    version: str | None = None
    fingerprints: list[dict] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)


class GenericFile(_Model):
    schema_: int = Field(alias="schema")
    version: str | None = None
    agent_pens: list[GenericPen] = Field(default_factory=list)
    registry_names: list[GenericName] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)


class _LazyPattern:
    """A validated pattern compiled on its first search: what a compiled FingerprintDB holds after unpickling
    (compiling every pattern of every context would cost a command that matches one context most of its time)."""

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str, flags: int) -> None:
        self.pattern, self.flags, self._compiled = pattern, flags, None

    def search(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self.pattern, self.flags)
        return self._compiled.search(text)

    def __reduce__(self):
        return (_LazyPattern, (self.pattern, self.flags))


@dataclass(frozen=True, slots=True)
class Fingerprint:
    spec: FingerprintSpec
    file: str
    line: int | None
    regex: re.Pattern[str] | _LazyPattern | None

    def __reduce__(self):  # pickled with its pattern's text (data_cache): compiled again on first use
        rx = self.regex
        lazy = _LazyPattern(rx.pattern, rx.flags) if isinstance(rx, re.Pattern) else rx
        return (Fingerprint, (self.spec, self.file, self.line, lazy))

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def specificity(self) -> int:
        """How specific a match is: the subtree's length for an OID fingerprint (a deeper subtree first)."""
        return len(self.spec.oid_prefix) if self.spec.oid_prefix is not None else 0

    def match(self, text: str) -> str | None:
        """The matched part of ``text`` (the whole OID for a subtree fingerprint), or None."""
        if self.spec.oid_prefix is not None:
            oid = text.strip().removeprefix(".")
            prefix = self.spec.oid_prefix
            return oid if oid == prefix or oid.startswith(prefix + ".") else None
        m = self.regex.search(text[:MAX_TEXT]) if self.regex is not None else None
        return m.group(0) if m is not None else None


@dataclass(frozen=True, slots=True)
class FingerprintMatch:
    fingerprint: Fingerprint
    text: str  # the matched part of the input

    @property
    def entity(self) -> str:
        return self.fingerprint.spec.entity


@dataclass
class FingerprintDB:
    """All fingerprints by context, plus the generic (never a maker) PENs and registry names."""

    fingerprints: list[Fingerprint] = field(default_factory=list)
    agent_pens: dict[int, GenericPen] = field(default_factory=dict)
    generic_names: dict[str, GenericName] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    version: str = ""
    _by_context: dict[str, list[Fingerprint]] = field(default_factory=dict, repr=False)
    _cache: dict[tuple[str, str], tuple[FingerprintMatch, ...]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index()

    def __getstate__(self) -> dict:  # pickled (data_cache) without the match results of this process
        return {**self.__dict__, "_cache": {}}

    def _index(self) -> None:
        self._by_context = {}
        for fp in self.fingerprints:
            for c in fp.spec.contexts:
                self._by_context.setdefault(c, []).append(fp)
        self._cache.clear()

    @classmethod
    def load(cls, known_entities: set[str] | None = None, known_sources: dict[str, Source] | None = None,
             path: str | Path | None = None, extra: list[str | Path] = (), cache: CompiledCache | None = None,
             registry_files: list[Path] = ()) -> FingerprintDB:
        """Load the bundled fingerprint folder (or ``path``) and any ``extra`` files; validate everything.

        ``known_entities``/``known_sources`` are the registry's: a fingerprint naming anything else is an error.
        With ``cache``, the compiled form when neither the fingerprint files nor ``registry_files`` (the files of
        the registry ``known_*`` come from) changed since they were validated together."""
        root = Path(path) if path is not None else _data_dir()
        files = sorted(root.glob("*.yaml")) if root.is_dir() else [root]
        files += [Path(p) for p in extra]
        if cache is None:
            return load_files(files, known_entities, known_sources)
        return cache.load("fingerprints", [*files, *registry_files],
                          lambda: load_files(files, known_entities, known_sources))

    # ------------------------------------------------------------------ matching
    def matches(self, context: str, text: str) -> tuple[FingerprintMatch, ...]:
        """Every fingerprint of ``context`` matching ``text``, most specific first (strength, matched length)."""
        key = (context, text)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        found = []
        for fp in self._by_context.get(context, ()):
            m = fp.match(text)
            if m is not None:
                found.append(FingerprintMatch(fp, m))
        found.sort(key=lambda fm: (-_STRENGTH_RANK[fm.fingerprint.spec.strength], -fm.fingerprint.specificity,
                                   -len(fm.text), fm.fingerprint.id))
        result = tuple(found)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[key] = result
        return result

    def agent_pen(self, pen: int) -> GenericPen | None:
        return self.agent_pens.get(pen)

    def generic_name(self, name: str) -> GenericName | None:
        return self.generic_names.get(_norm(name))

    def check_examples(self) -> list[DataFileError]:
        """Every example matches its fingerprint and no fingerprint of another maker; no not-example matches."""
        errors = []
        for fp in self.fingerprints:
            for ex in fp.spec.examples:
                if fp.match(ex) is None:
                    errors.append(DataFileError(fp.file, fp.line, f"fingerprint {fp.id}: example {ex!r} does not "
                                                                  "match its own pattern"))
                    continue
                for c in fp.spec.contexts:
                    for other in self.matches(c, ex):
                        if other.entity != fp.spec.entity:
                            errors.append(DataFileError(
                                fp.file, fp.line, f"fingerprint {fp.id}: example {ex!r} is also claimed by "
                                                  f"{other.fingerprint.id} ({other.entity}, {other.fingerprint.file}:"
                                                  f"{other.fingerprint.line})"))
            for ex in fp.spec.not_examples:
                if fp.match(ex) is not None:
                    errors.append(DataFileError(fp.file, fp.line, f"fingerprint {fp.id}: not-example {ex!r} "
                                                                  "matches its pattern"))
        return list(dict.fromkeys(errors))


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def load_files(files: list[Path], known_entities: set[str] | None = None,
               known_sources: dict[str, Source] | None = None) -> FingerprintDB:
    errors: list[DataFileError] = []
    fingerprints: list[Fingerprint] = []
    agent_pens: dict[int, GenericPen] = {}
    generic_names: dict[str, GenericName] = {}
    sources: dict[str, Source] = dict(known_sources or {})
    versions: list[str] = []
    pending_sources: list[tuple[str, int | None, str]] = []  # (file, line, source id) checked at the end
    seen: dict[str, str] = {}
    source_where: dict[str, str] = {}  # fingerprint-file source id -> file:line of its first definition

    def guarded(fn):
        try:
            return fn()
        except DataValidationError as exc:
            errors.extend(exc.errors)
            return None

    for path in files:
        doc = guarded(lambda p=path: read_yaml(p))
        if doc is None:
            continue
        is_generic = isinstance(doc.data, dict) and ("agent_pens" in doc.data or "registry_names" in doc.data)
        parsed = guarded(lambda d=doc, g=is_generic: validate(d, GenericFile if g else FingerprintFile))
        if parsed is None:
            continue
        if parsed.schema_ != SCHEMA_VERSION:
            errors.append(DataFileError(doc.file, doc.line_of(["schema"]),
                                        f"unsupported fingerprint schema {parsed.schema_} (this netvet reads "
                                        f"{SCHEMA_VERSION})"))
            continue
        if parsed.version:
            versions.append(parsed.version)
        for i, s in enumerate(parsed.sources):
            if known_sources is not None and s.id in known_sources:
                errors.append(DataFileError(doc.file, doc.line_of(["sources", i, "id"]),
                                            f"source id {s.id!r} is already a registry source"))
            elif s.id in source_where:
                errors.append(DataFileError(doc.file, doc.line_of(["sources", i, "id"]),
                                            f"duplicate source id {s.id!r} (first in {source_where[s.id]})"))
            source_where.setdefault(s.id, f"{doc.file}:{doc.line_of(['sources', i, 'id'])}")
            sources[s.id] = s
        if is_generic:
            for i, g in enumerate(parsed.agent_pens):
                if g.pen in agent_pens:
                    errors.append(DataFileError(doc.file, doc.line_of(["agent_pens", i]),
                                                f"duplicate agent PEN {g.pen}"))
                agent_pens[g.pen] = g
                pending_sources.append((doc.file, doc.line_of(["agent_pens", i, "source"]), g.source))
            for i, g in enumerate(parsed.registry_names):
                if _norm(g.name) in generic_names:
                    errors.append(DataFileError(doc.file, doc.line_of(["registry_names", i]),
                                                f"duplicate generic registry name {g.name!r}"))
                generic_names[_norm(g.name)] = g
                pending_sources.append((doc.file, doc.line_of(["registry_names", i, "source"]), g.source))
            continue
        for i, raw in enumerate(parsed.fingerprints):
            spec = guarded(lambda r=raw, i=i, d=doc: validate(d, FingerprintSpec, r, ("fingerprints", i)))
            if spec is None:
                continue
            line = doc.line_of(["fingerprints", i])
            err = _check_spec(spec, known_entities)
            if err:
                errors.extend(DataFileError(doc.file, line, f"fingerprint {spec.id}: {e}") for e in err)
                continue
            if spec.id in seen:
                errors.append(DataFileError(doc.file, line, f"duplicate fingerprint id {spec.id!r} (first in "
                                                            f"{seen[spec.id]})"))
                continue
            seen[spec.id] = f"{doc.file}:{line}"
            regex = None
            if spec.pattern is not None:
                try:
                    regex = re.compile(spec.pattern, re.IGNORECASE if spec.ignore_case else 0)
                except re.error as exc:
                    errors.append(DataFileError(doc.file, line, f"fingerprint {spec.id}: pattern does not compile: "
                                                                f"{exc}"))
                    continue
                if regex.search("") is not None:
                    errors.append(DataFileError(doc.file, line, f"fingerprint {spec.id}: pattern matches the empty "
                                                                "string (it would claim every text)"))
                    continue
            fingerprints.append(Fingerprint(spec, doc.file, line, regex))
            pending_sources.append((doc.file, doc.line_of(["fingerprints", i, "source"]), spec.source))
    for file, line, sid in pending_sources:
        if sid not in sources:
            errors.append(DataFileError(file, line, f"unknown source {sid!r}"))
    db = FingerprintDB(fingerprints, agent_pens, generic_names, sources, "+".join(dict.fromkeys(versions)))
    if not errors:
        errors.extend(db.check_examples())
    if errors:
        raise DataValidationError(errors)
    return db


def _check_spec(spec: FingerprintSpec, known_entities: set[str] | None) -> list[str]:
    errs = []
    bad = [c for c in spec.contexts if c not in _CONTEXTS]
    if bad:
        errs.append(f"unknown context(s) {', '.join(bad)} (known: {', '.join(sorted(_CONTEXTS))})")
    if (spec.pattern is None) == (spec.oid_prefix is None):
        errs.append("give exactly one of 'pattern' (text) and 'oid_prefix' (sysObjectID subtree)")
    if spec.oid_prefix is not None and spec.contexts != [TextContext.SYS_OBJECT_ID.value]:
        errs.append("an oid_prefix fingerprint applies to the sys-object-id context only")
    if spec.pattern is not None and TextContext.SYS_OBJECT_ID.value in spec.contexts:
        errs.append("sysObjectIDs are matched by oid_prefix, not by pattern")
    if any(not ex.strip() for ex in spec.examples + spec.not_examples):
        errs.append("an example or not-example is empty")
    if known_entities is not None and spec.entity not in known_entities:
        errs.append(f"unknown entity {spec.entity!r}")
    return errs

