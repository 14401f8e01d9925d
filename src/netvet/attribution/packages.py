"""Android package-name rules: which organisation stands behind an app, from its package name.

The bundled rules live in ``data/apps/package-prefixes.yaml``::

    schema: 1
    version: "..."
    sources: [{id, title, url, publisher?, published?, retrieved?, licence?}]
    rules:
      - {prefix, entity, relation: developer|oem-preinstalled, source, as_of, examples: [...], note?}

A prefix ending in ``.`` matches every package that starts with it (``com.tencent.`` matches
``com.tencent.mm``, never ``com.tencentx`` nor the bare package ``com.tencent``); a prefix without the final
dot names one exact package. Names are compared whole, segment by segment and case-sensitively, never by
substring; the longest matching rule wins (an exact package before any prefix).

Loading validates the file: unknown fields, bad prefixes, duplicate prefixes, unknown entities and sources, and
examples that their own rule does not match or that a longer rule of another entity claims are errors reported
with file and line. This module imports nothing from the CLI, the pipeline or the readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..model import Source
from ..util.yamlfile import DataFileError, DataValidationError
from .curated_file import FileHead, read_curated, with_bundled

SCHEMA_VERSION = 1
RELATIONS = ("developer", "oem-preinstalled")

# A Java-style package name: segments of letters, digits and '_' (not starting with a digit), joined by dots.
_SEGMENT = r"[A-Za-z_][A-Za-z0-9_]*"
PACKAGE_RE = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*")
_PREFIX_RE = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT})*\.?")
MAX_PACKAGE_CHARS = 255  # Android refuses longer package names


def is_package(name: str) -> bool:
    """Whether ``name`` is a syntactically valid package name."""
    return len(name) <= MAX_PACKAGE_CHARS and PACKAGE_RE.fullmatch(name) is not None


class RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: str
    entity: str
    relation: Literal["developer", "oem-preinstalled"]
    source: str
    as_of: date
    examples: list[str] = Field(default_factory=list)
    note: str | None = None


class RulesFile(FileHead):
    rules: list[dict]


@dataclass(frozen=True)
class PackageRule:
    """One curated rule; ``exact`` when the prefix names a single package (no final dot)."""

    prefix: str
    entity: str
    relation: str
    source: str
    as_of: date
    examples: tuple[str, ...] = ()
    note: str | None = None
    file: str = ""
    line: int | None = None

    @property
    def exact(self) -> bool:
        return not self.prefix.endswith(".")

    def matches(self, package: str) -> bool:
        return package == self.prefix if self.exact else package.startswith(self.prefix)

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class PackageRules:
    """The loaded rules, indexed for longest-prefix matching on segment boundaries."""

    version: str
    rules: list[PackageRule]
    sources: dict[str, Source]  # the file's own sources plus the registry's (``known_sources``)
    file: str = ""

    def __post_init__(self) -> None:
        self._exact: dict[str, PackageRule] = {}
        self._prefix: dict[str, PackageRule] = {}
        for r in self.rules:
            (self._exact if r.exact else self._prefix).setdefault(r.prefix, r)

    # ----------------------------------------------------------------- loading
    @classmethod
    def load(cls, known_entities: set[str], known_sources: dict, path: str | Path | None = None) -> PackageRules:
        """Load and validate a rules file (default: the one bundled with netvet).

        ``known_entities`` are the registry's entity ids; ``known_sources`` its sources (id -> Source), which rules
        may cite besides the file's own. Every problem raises :class:`DataValidationError` with file and line.
        """
        return with_bundled(path, "package-prefixes.yaml", lambda p: _load(p, known_entities, known_sources))

    # ----------------------------------------------------------------- queries
    def match(self, package: str) -> PackageRule | None:
        """The longest rule matching ``package`` (an exact rule first, then prefixes from the longest), or None."""
        if not is_package(package):
            return None
        rule = self._exact.get(package)
        if rule is not None:
            return rule
        parts = package.split(".")
        for n in range(len(parts) - 1, 0, -1):
            rule = self._prefix.get(".".join(parts[:n]) + ".")
            if rule is not None:
                return rule
        return None

    def source(self, source_id: str) -> Source | None:
        return self.sources.get(source_id)

    def __len__(self) -> int:
        return len(self.rules)


def _load(path: Path, known_entities: set[str], known_sources: dict) -> PackageRules:
    parsed, cur = read_curated(path, RulesFile, SCHEMA_VERSION, "package-rules", known_sources)
    doc, errors, sources = cur.doc, cur.errors, cur.sources

    rules: list[PackageRule] = []
    first: dict[str, PackageRule] = {}
    for i, raw in enumerate(parsed.rules):
        m = cur.item(RuleModel, raw, ("rules", i))
        if m is None:
            continue
        base = ["rules", i]
        rule = PackageRule(m.prefix, m.entity, m.relation, m.source, m.as_of, tuple(m.examples), m.note,
                           doc.file, doc.line_of(base))
        ok = True
        if len(m.prefix) > MAX_PACKAGE_CHARS or not _PREFIX_RE.fullmatch(m.prefix):
            errors.append(DataFileError(doc.file, doc.line_of(base + ["prefix"]),
                                        f"bad prefix {m.prefix!r}: package-name segments (letters, digits, '_') "
                                        "joined by dots, optionally ending in '.'"))
            ok = False
        elif m.prefix in first:
            errors.append(DataFileError(doc.file, doc.line_of(base + ["prefix"]),
                                        f"duplicate prefix {m.prefix!r} (first at line {first[m.prefix].line})"))
            ok = False
        if m.entity not in known_entities:
            cur.unknown_entity(base, m.entity)
            ok = False
        cur.check_source(base, m.source)
        if not m.examples:
            errors.append(DataFileError(doc.file, doc.line_of(base), f"rule {m.prefix!r} has no examples"))
        if ok:
            first[m.prefix] = rule
            rules.append(rule)

    out = PackageRules(parsed.version, rules, sources, doc.file)
    # examples: each must be a package its own rule matches, and no longer rule of another entity may claim it
    for i, raw in enumerate(parsed.rules):
        rule = first.get(raw.get("prefix")) if isinstance(raw, dict) and isinstance(raw.get("prefix"), str) else None
        if rule is None or rule.line != doc.line_of(["rules", i]):
            continue
        for j, ex in enumerate(rule.examples):
            where = doc.line_of(["rules", i, "examples", j])
            if not is_package(ex):
                errors.append(DataFileError(doc.file, where, f"example {ex!r} is not a valid package name"))
            elif not rule.matches(ex):
                errors.append(DataFileError(doc.file, where,
                                            f"example {ex!r} is not matched by its rule {rule.prefix!r}"))
            else:
                winner = out.match(ex)
                if winner is not None and winner is not rule and winner.entity != rule.entity:
                    errors.append(DataFileError(
                        doc.file, where,
                        f"example {ex!r} of {rule.prefix!r} ({rule.entity}) is claimed by the longer rule "
                        f"{winner.prefix!r} ({winner.entity}, line {winner.line})"))
    if errors:
        raise DataValidationError(errors)
    return out
