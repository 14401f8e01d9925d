"""Waivers: an approved, time-limited exception that turns matching findings into WAIVED.

File format (YAML)::

    waivers:
      - id: W-2026-001
        rule: fcc.covered.conditional.role-unknown   # a rule id of a loaded pack ("*" for every rule of `policy`)
        policy: fcc-covered-list                     # optional: limit to one pack
        selector: {entity: hikvision}                # any of: entity, asset (observation id), hostname, site, file
        justification: Cameras in the car park, isolated VLAN, replacement ordered (PO 4711).
        approver: J. Doe, CISO
        expires: 2027-03-31

Validation: unknown fields, unknown rule ids and unknown entities are errors with file and line. A waiver whose
``expires`` date has passed no longer applies and is reported as expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..model import Finding, Verdict
from ..util.yamlfile import DataFileError, DataValidationError, read_yaml, validate


class Selector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    entity: str | None = None
    asset: str | None = None
    hostname: str | None = None
    site: str | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Selector:
        if not any((self.entity, self.asset, self.hostname, self.site, self.file)):
            raise ValueError("a selector needs at least one of entity, asset, hostname, site, file")
        return self


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    rule: str
    policy: str | None = None
    selector: Selector
    justification: str = Field(min_length=10)
    approver: str = Field(min_length=2)
    expires: date


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    waivers: list[Waiver]


@dataclass
class WaiverSet:
    file: str
    waivers: list[Waiver]

    def active(self, on: date) -> list[Waiver]:
        return [w for w in self.waivers if w.expires >= on]

    def expired(self, on: date) -> list[Waiver]:
        return [w for w in self.waivers if w.expires < on]


def load_waivers(path: str | Path, packs, registry=None) -> WaiverSet:
    """Load and validate a waiver file against the loaded packs (rule ids) and the registry (entities)."""
    doc = read_yaml(path)
    parsed = validate(doc, WaiverFile)
    rules = {(p.id, r.rule.id) for p in packs for r in p.rules}
    rule_ids = {r for _, r in rules}
    pack_ids = {p.id for p in packs}
    errors: list[DataFileError] = []
    seen: set[str] = set()
    for i, w in enumerate(parsed.waivers):
        if w.id in seen:
            errors.append(DataFileError(doc.file, doc.line_of(["waivers", i, "id"]), f"duplicate waiver id {w.id!r}"))
        seen.add(w.id)
        if w.policy is not None and w.policy not in pack_ids:
            errors.append(DataFileError(doc.file, doc.line_of(["waivers", i, "policy"]),
                                        f"waiver {w.id}: policy {w.policy!r} is not among the loaded packs "
                                        f"({', '.join(sorted(pack_ids))})"))
        if w.rule == "*":
            if w.policy is None:
                errors.append(DataFileError(doc.file, doc.line_of(["waivers", i, "rule"]),
                                            f"waiver {w.id}: rule '*' needs a policy"))
        elif (w.policy is not None and (w.policy, w.rule) not in rules) or w.rule not in rule_ids:
            errors.append(DataFileError(doc.file, doc.line_of(["waivers", i, "rule"]),
                                        f"waiver {w.id}: unknown rule id {w.rule!r}"))
        if registry is not None and w.selector.entity and w.selector.entity not in registry.entities:
            errors.append(DataFileError(doc.file, doc.line_of(["waivers", i, "selector", "entity"]),
                                        f"waiver {w.id}: unknown entity {w.selector.entity!r}"))
    if errors:
        raise DataValidationError(errors)
    return WaiverSet(doc.file, parsed.waivers)


def _matches(w: Waiver, f: Finding, hostname: str | None) -> bool:
    if w.policy is not None and w.policy != f.policy:
        return False
    if w.rule != "*" and w.rule not in f.rule_ids:
        return False
    s = w.selector
    ent = (f.entity or {}).get("id")
    return all((
        s.entity is None or s.entity == ent,
        s.asset is None or s.asset == f.subject,
        s.hostname is None or s.hostname == hostname,
        s.site is None or s.site == f.site,
        s.file is None or Path(f.source.file).name == s.file or f.source.file == s.file,
    ))


def apply_waivers(findings: list[Finding], waivers: WaiverSet, on: date,
                  hostnames: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Turn matching FAIL/REVIEW/UNKNOWN findings into WAIVED. Returns {"applied": [...], "expired": [...],
    "unused": [...]} waiver ids for the report."""
    hostnames = hostnames or {}
    active = waivers.active(on)
    used: set[str] = set()
    for f in findings:
        if f.verdict in (Verdict.PASS, Verdict.WAIVED):
            continue
        for w in active:
            if _matches(w, f, hostnames.get(f.subject)):
                f.reasons.insert(0, f"waived by {w.id} (approved by {w.approver}, until {w.expires}): "
                                    f"{w.justification} [was {f.verdict}]")
                f.verdict = Verdict.WAIVED
                used.add(w.id)
                break
    return {
        "applied": sorted(used),
        "expired": sorted(w.id for w in waivers.expired(on)),
        "unused": sorted(w.id for w in active if w.id not in used),
    }
