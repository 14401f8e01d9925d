"""Embedded SDK signatures: which third-party SDK a class namespace inside an app belongs to.

The bundled signatures live in ``data/apps/sdk-signatures.yaml``::

    schema: 1
    version: "..."
    sources: [{id, title, url, publisher?, published?, retrieved?, licence?}]
    sdks:
      - {id, name, category, prefixes: [...], entity? | (org, country), source, as_of, examples: [...], note?}

A prefix is a Java package (``com.tencent.bugly``); it matches a class whose fully qualified name starts with the
prefix followed by a dot, compared segment by segment (never ``com.tencent.buglyx.Foo``); the longest matching
prefix wins. An SDK names either a registry ``entity`` or, when the registry has no entity for its publisher, an
``org`` with its ``country``: such an SDK is attributed as registry-only evidence (REGISTRY_ONLY), never positive.

Two users:

- the APK reader (``readers/apk.py``) matches the classes of an app's dex files (:meth:`SdkSignatures.scan`) to emit
  one ``sdk`` observation per embedded SDK, with the identifier ``Identifier(PACKAGE, <prefix>, "apk:sdk")``;
  it loads the file with :meth:`SdkSignatures.load_unchecked` (syntax only: readers do not load the registry);
- the attributor attributes those identifiers through :func:`sdk_attribution` once :func:`install` has been called
  on it (the pipeline does so with the signatures checked against the registry, :meth:`SdkSignatures.load`).

Loading validates the file: unknown fields, bad prefixes, a prefix claimed twice, an SDK with both or neither of
entity and org, unknown entities and sources, examples that their own SDK does not match or that a longer prefix
of another SDK claims; every error names the file and line. This module imports nothing from the CLI, the pipeline
or the readers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..model import AttributionStatus, EvidenceStep, Identifier, IdentifierAttribution, Source
from ..util.yamlfile import DataFileError, DataValidationError
from .curated_file import FileHead, read_curated, with_bundled

SCHEMA_VERSION = 1
SDK_FIELD = "apk:sdk"  # the identifier field of an embedded SDK (its matched class prefix)
CATEGORIES = ("analytics", "advertising", "push", "crash-reporting", "location", "maps", "login", "payment",
              "browser-engine", "mobile-services")
CONFIDENCE = 0.8  # an SDK namespace names its publisher as a developer's package namespace does
REGISTRY_ONLY_CONFIDENCE = 0.4
_SEGMENT = r"[A-Za-z_$][A-Za-z0-9_$]*"
PREFIX_RE = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})+")  # at least two segments: "com" alone is no SDK
CLASS_RE = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")
MAX_PREFIX_CHARS = 255
_BUNDLED = "sdk-signatures.yaml"


class SdkModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    category: Literal["analytics", "advertising", "push", "crash-reporting", "location", "maps", "login", "payment",
                      "browser-engine", "mobile-services"]
    prefixes: list[str] = Field(min_length=1)
    entity: str | None = None
    org: str | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    source: str
    as_of: date
    examples: list[str] = Field(default_factory=list)
    note: str | None = None


class SignaturesFile(FileHead):
    sdks: list[dict]


@dataclass(frozen=True)
class Sdk:
    """One embedded SDK: its class prefixes and who publishes it (a registry entity, or an org and country)."""

    id: str
    name: str
    category: str
    prefixes: tuple[str, ...]
    entity: str | None
    org: str | None
    country: str | None
    source: str
    as_of: date
    examples: tuple[str, ...] = ()
    note: str | None = None
    file: str = ""
    line: int | None = None


@dataclass
class SdkHit:
    """An SDK found among the classes of an app: the prefix that matched first and how many classes matched."""

    sdk: Sdk
    prefix: str
    classes: int = 0
    example: str = ""  # the first class that matched
    prefixes: list[str] = field(default_factory=list)  # every prefix of the SDK that matched, in order


@dataclass
class SdkSignatures:
    """The loaded signatures, indexed by prefix for longest-prefix matching on segment boundaries."""

    version: str
    sdks: list[Sdk]
    sources: dict[str, Source]
    file: str = ""

    def __post_init__(self) -> None:
        self._prefix: dict[str, Sdk] = {}
        self._by_id: dict[str, Sdk] = {}
        for s in self.sdks:
            self._by_id.setdefault(s.id, s)
            for p in s.prefixes:
                self._prefix.setdefault(p, s)
        self._max_segments = max((p.count(".") + 1 for p in self._prefix), default=0)

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, known_entities: set[str], known_sources: dict, path: str | Path | None = None) -> SdkSignatures:
        """Load and validate a signatures file (default: the bundled one) against the registry's entities and
        sources. Every problem raises :class:`DataValidationError` with file and line."""
        return with_bundled(path, _BUNDLED, lambda p: _load(p, known_entities, known_sources))

    @classmethod
    def load_unchecked(cls, path: str | Path | None = None) -> SdkSignatures:
        """Load a signatures file with every check but those that need the registry (entities, registry sources):
        what a reader needs to recognise SDKs."""
        return with_bundled(path, _BUNDLED, lambda p: _load(p, None, {}))

    # ----------------------------------------------------------------- queries
    def get(self, sdk_id: str) -> Sdk | None:
        return self._by_id.get(sdk_id)

    def by_prefix(self, prefix: str) -> Sdk | None:
        return self._prefix.get(prefix)

    def match(self, class_name: str) -> tuple[Sdk, str] | None:
        """(SDK, prefix) of the longest prefix matching a fully qualified class name (dots), or None."""
        parts = class_name.split(".")
        for n in range(min(len(parts) - 1, self._max_segments), 1, -1):
            prefix = ".".join(parts[:n])
            sdk = self._prefix.get(prefix)
            if sdk is not None:
                return sdk, prefix
        return None

    def scan(self, class_names: Iterable[str]) -> list[SdkHit]:
        """The SDKs whose classes are among ``class_names`` (dotted names), in the order first seen."""
        hits: dict[str, SdkHit] = {}
        for name in class_names:
            m = self.match(name)
            if m is None:
                continue
            sdk, prefix = m
            hit = hits.get(sdk.id)
            if hit is None:
                hit = hits[sdk.id] = SdkHit(sdk, prefix, 0, name)
            hit.classes += 1
            if prefix not in hit.prefixes:
                hit.prefixes.append(prefix)
        return list(hits.values())

    def source(self, source_id: str) -> Source | None:
        return self.sources.get(source_id)

    def __len__(self) -> int:
        return len(self.sdks)


def _load(path: Path, known_entities: set[str] | None, known_sources: dict) -> SdkSignatures:
    parsed, cur = read_curated(path, SignaturesFile, SCHEMA_VERSION, "SDK-signatures", known_sources)
    doc, errors, sources = cur.doc, cur.errors, cur.sources

    sdks: list[Sdk] = []
    ids: dict[str, int | None] = {}
    owner: dict[str, Sdk] = {}
    for i, raw in enumerate(parsed.sdks):
        m = cur.item(SdkModel, raw, ("sdks", i))
        if m is None:
            continue
        base = ["sdks", i]
        line = doc.line_of(base)
        sdk = Sdk(m.id, m.name, m.category, tuple(m.prefixes), m.entity, m.org, m.country, m.source, m.as_of,
                  tuple(m.examples), m.note, doc.file, line)
        if m.id in ids:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["id"]),
                                        f"duplicate SDK id {m.id!r} (first at line {ids[m.id]})"))
            continue
        ids[m.id] = line
        if (m.entity is None) == (m.org is None):
            errors.append(DataFileError(doc.file, line, f"SDK {m.id!r}: name either a registry entity or an org "
                                                        "(with its country), not both or neither"))
        if m.org is not None and m.country is None:
            errors.append(DataFileError(doc.file, line, f"SDK {m.id!r}: an org needs its country"))
        if m.entity is not None and m.country is not None:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["country"]),
                                        f"SDK {m.id!r}: the country of a registry entity comes from the registry"))
        if m.entity is not None and known_entities is not None and m.entity not in known_entities:
            cur.unknown_entity(base, m.entity)
        cur.check_source(base, m.source)
        if not m.examples:
            errors.append(DataFileError(doc.file, line, f"SDK {m.id!r} has no examples"))
        for j, p in enumerate(m.prefixes):
            where = doc.line_of(base + ["prefixes", j])
            if len(p) > MAX_PREFIX_CHARS or not PREFIX_RE.fullmatch(p):
                errors.append(DataFileError(doc.file, where, f"bad prefix {p!r}: a Java package of at least two "
                                                             "segments (letters, digits, '_', '$') joined by dots"))
            elif p in owner:
                errors.append(DataFileError(doc.file, where, f"prefix {p!r} is already claimed by SDK "
                                                             f"{owner[p].id!r} (line {owner[p].line})"))
            else:
                owner[p] = sdk
        sdks.append(sdk)

    out = SdkSignatures(parsed.version, sdks, sources, doc.file)
    for i, raw in enumerate(parsed.sdks):
        sdk_id = raw.get("id") if isinstance(raw, dict) else None
        sdk = out.get(sdk_id) if isinstance(sdk_id, str) else None
        if sdk is None or sdk.line != doc.line_of(["sdks", i]):
            continue
        for j, ex in enumerate(sdk.examples):
            where = doc.line_of(["sdks", i, "examples", j])
            hit = out.match(ex) if CLASS_RE.fullmatch(ex) else None
            if not CLASS_RE.fullmatch(ex):
                errors.append(DataFileError(doc.file, where, f"example {ex!r} is not a class name"))
            elif not any(ex.startswith(p + ".") for p in sdk.prefixes):
                errors.append(DataFileError(doc.file, where, f"example {ex!r} is not matched by the prefixes of "
                                                             f"SDK {sdk.id!r}"))
            elif hit is not None and hit[0].id != sdk.id:
                errors.append(DataFileError(doc.file, where, f"example {ex!r} of SDK {sdk.id!r} is claimed by the "
                                                             f"longer prefix {hit[1]!r} of SDK {hit[0].id!r}"))
    if errors:
        raise DataValidationError(errors)
    return out


# --------------------------------------------------------------------------------------------- attribution
def sdk_attribution(attributor, sigs: SdkSignatures, ident: Identifier) -> IdentifierAttribution:
    """What an embedded SDK's identifier (``field == SDK_FIELD``, value: the matched class prefix) says: its
    publisher (relation ``sdk-vendor``), with the evidence chain; a publisher the registry does not hold is
    registry-only evidence with its org and country."""
    sdk = sigs.by_prefix(ident.value)
    steps = [EvidenceStep("identifier", f"classes under {ident.value} embedded in the app ({ident.field})")]
    if sdk is None:
        return IdentifierAttribution(ident, AttributionStatus.UNKNOWN, "sdk-signature", 0.0,
                                     reason=f"class prefix {ident.value} matches no SDK signature", chain=steps)
    src = sigs.source(sdk.source)
    publisher = sdk.entity or sdk.org
    steps.append(EvidenceStep("sdk-signature", f"SDK {sdk.name} ({sdk.category}): classes under {ident.value} -> "
                              f"{publisher}" + (f": {sdk.note}" if sdk.note else ""), "netvet-sdk-signatures",
                              sdk.source + (f" <{src.url}>" if src else ""), sdk.as_of.isoformat()))
    if sdk.entity is None or sdk.entity not in attributor.registry.entities:
        return IdentifierAttribution(ident, AttributionStatus.REGISTRY_ONLY, "sdk-signature",
                                     REGISTRY_ONLY_CONFIDENCE, org_name=sdk.org or sdk.entity, country=sdk.country,
                                     relation="sdk-vendor", chain=steps,
                                     reason="the SDK's publisher is not in the curated registry (registry-only "
                                            "evidence)")
    ia = IdentifierAttribution(ident, AttributionStatus.ATTRIBUTED, "sdk-signature", CONFIDENCE, sdk.entity,
                               org_name=sdk.name, relation="sdk-vendor", chain=steps, product=sdk.name)
    ia.chain.extend(attributor._entity_steps(sdk.entity))
    return ia
