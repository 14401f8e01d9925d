"""Place an asset's free-text role in the scope vocabulary designations use (``scope_roles``), as data.

``data/roles/roles.yaml`` lists roles (public-safety, critical-infrastructure, office, ...) with word-bounded
patterns, whether the conditional listings cover them (``in_scope``), a source and examples the loader checks.
A role text that places no role is *unplaced*: packs give REVIEW for it where scope decides, never PASS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..model import Source
from ..util.yamlfile import DataFileError, DataValidationError, read_yaml, validate

MAX_ROLE = 200  # characters of a role text matched


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleSpec(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9\-]*$")
    in_scope: bool
    patterns: list[str] = Field(min_length=1)
    source: str
    as_of: date
    note: str | None = None
    examples: list[str] = Field(min_length=1)


class RolesFile(_Model):
    schema_: int = Field(alias="schema")
    version: str
    sources: list[Source] = Field(default_factory=list)
    roles: list[RoleSpec]


@dataclass
class RoleVocabulary:
    roles: list[tuple[RoleSpec, list[re.Pattern[str]]]] = field(default_factory=list)
    version: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None) -> RoleVocabulary:
        path = Path(path) if path is not None else Path(__file__).resolve().parent.parent / "data" / "roles" / \
            "roles.yaml"
        doc = read_yaml(path)
        parsed = validate(doc, RolesFile)
        errors: list[DataFileError] = []
        sources = {s.id for s in parsed.sources}
        roles = []
        seen: set[str] = set()
        for i, spec in enumerate(parsed.roles):
            line = doc.line_of(["roles", i])
            if spec.id in seen:
                errors.append(DataFileError(doc.file, line, f"duplicate role {spec.id!r}"))
            seen.add(spec.id)
            if spec.source not in sources:
                errors.append(DataFileError(doc.file, line, f"role {spec.id}: unknown source {spec.source!r}"))
            compiled = []
            for p in spec.patterns:
                try:
                    compiled.append(re.compile(p, re.IGNORECASE))
                except re.error as exc:
                    errors.append(DataFileError(doc.file, line, f"role {spec.id}: pattern {p!r}: {exc}"))
            roles.append((spec, compiled))
        vocab = cls(roles, parsed.version)
        for i, (spec, _) in enumerate(roles):
            for ex in spec.examples:
                if spec.id not in vocab.place(ex):
                    errors.append(DataFileError(doc.file, doc.line_of(["roles", i]),
                                                f"role {spec.id}: example {ex!r} does not place it"))
        if errors:
            raise DataValidationError(errors)
        return vocab

    def place(self, role: str | None) -> list[str]:
        """The roles a role text places, in vocabulary order (empty: unplaced)."""
        text = " ".join((role or "").strip().lower().split())[:MAX_ROLE]
        if not text:
            return []
        return [spec.id for spec, pats in self.roles if any(p.search(text) for p in pats)]
