"""Frameworks: controls mapped to policy rules, so that netvet reports per control.

File format (YAML)::

    framework: {schema: 1, id: ndaa-889, title: ..., version: ..., source: URL}
    controls:
      - id: "889(a)(1)(A)"
        title: Part A - procurement of covered equipment
        pack: ndaa-889
        rules: [ndaa889.part-a.covered, ndaa889.conditional.in-scope]
        applies_when: 'asset.kind in ["device", "component"]'   # optional CEL over the facts

A control is ``not-satisfied`` when a finding of one of its rules is FAIL, ``needs-review`` when REVIEW or
UNKNOWN, ``satisfied`` otherwise. Unknown packs or rule ids are errors with file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import cel
from pydantic import BaseModel, ConfigDict, Field

from ..model import control_state
from ..util.yamlfile import DataFileError, DataValidationError, read_yaml, validate
from .pack import _check_expression


class FrameworkMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_: int = Field(alias="schema")
    id: str
    title: str
    version: str
    source: str
    description: str | None = None


class Control(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    title: str
    pack: str
    rules: list[str] = Field(min_length=1)
    applies_when: str | None = None
    description: str | None = None


class FrameworkFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    framework: FrameworkMeta
    controls: list[Control]


@dataclass
class Framework:
    meta: FrameworkMeta
    controls: list[Control]
    file: str
    _programs: dict[str, object] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.meta.id

    def controls_for(self, policy: str, rule_ids: list[str], facts: dict) -> list[str]:
        """Controls a finding bears on: same pack, ``applies_when`` holds, and one of the control's rules
        decided it (or no rule fired and the finding is a PASS under the pack's default)."""
        out = []
        for c in self.controls:
            if c.pack != policy or (rule_ids and not set(rule_ids) & set(c.rules)):
                continue
            prog = self._programs.get(c.id)
            if prog is not None and prog.execute(facts) is not True:
                continue
            out.append(c.id)
        return out


def load_framework(path: str | Path, packs_by_id: dict) -> Framework:
    doc = read_yaml(path)
    parsed = validate(doc, FrameworkFile)
    errors: list[DataFileError] = []
    programs = {}
    seen = set()
    for i, c in enumerate(parsed.controls):
        if c.id in seen:
            errors.append(DataFileError(doc.file, doc.line_of(["controls", i, "id"]), f"duplicate control {c.id!r}"))
        seen.add(c.id)
        pack = packs_by_id.get(c.pack)
        if pack is None:
            errors.append(DataFileError(doc.file, doc.line_of(["controls", i, "pack"]),
                                        f"control {c.id}: unknown pack {c.pack!r}"))
            continue
        known = {r.rule.id for r in pack.rules}
        for j, rid in enumerate(c.rules):
            if rid not in known:
                errors.append(DataFileError(doc.file, doc.line_of(["controls", i, "rules", j]),
                                            f"control {c.id}: unknown rule id {rid!r} in pack {c.pack}"))
        if c.applies_when:
            msg = _check_expression(c.applies_when, False)
            if msg:
                errors.append(DataFileError(doc.file, doc.line_of(["controls", i, "applies_when"]),
                                            f"control {c.id}: {msg}"))
            else:
                programs[c.id] = cel.compile(c.applies_when)
    if errors:
        raise DataValidationError(errors)
    return Framework(parsed.framework, parsed.controls, doc.file, programs)


def bundled_framework_paths() -> dict[str, Path]:
    root = resources.files("netvet") / "data" / "frameworks"
    return {e.name[:-5]: Path(str(e)) for e in sorted(root.iterdir(), key=lambda e: e.name)
            if e.name.endswith(".yaml")}


def framework_packs(path: str | Path) -> list[str]:
    """The pack ids a framework file refers to (so callers can load them first)."""
    doc = read_yaml(path)
    parsed = validate(doc, FrameworkFile)
    return sorted({c.pack for c in parsed.controls})


def resolve_framework_path(name_or_path: str) -> Path:
    bundled = bundled_framework_paths()
    if name_or_path in bundled:
        return bundled[name_or_path]
    p = Path(name_or_path)
    if p.exists():
        return p
    raise DataValidationError([DataFileError(name_or_path, None, f"unknown framework {name_or_path!r} "
                                             f"(bundled: {', '.join(bundled)}; or give a .yaml path)")])


def control_status(framework: Framework, findings) -> list[dict]:
    """Per control: counts of findings by verdict and a status satisfied / needs-review / not-satisfied, or
    not-assessed when no finding bears on it (no evidence is never "satisfied")."""
    out = []
    for c in framework.controls:
        counts = {"FAIL": 0, "REVIEW": 0, "UNKNOWN": 0, "WAIVED": 0, "PASS": 0}
        for f in findings:
            if f"{framework.id}:{c.id}" in f.controls:
                counts[str(f.verdict)] += 1
        status = control_state(counts)
        out.append({"framework": framework.id, "control": c.id, "title": c.title, "pack": c.pack,
                    "status": status, "counts": counts})
    return out
