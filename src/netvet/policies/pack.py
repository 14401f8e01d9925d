"""Policy packs: YAML files of rules whose conditions are CEL expressions over the fact model.

A pack is validated on load: unknown fields, duplicate rule ids, CEL syntax errors, references to unknown
facts, type errors (found by evaluating each expression on a typed probe fact set), unknown designation
lists or sources (dangling references), and — for packs declared ``vendor_neutral`` — any reference to
country of origin, headquarters, designations or a named entity are errors with file and line.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import cel
from pydantic import BaseModel, ConfigDict, Field

from ..model import Verdict
from ..util.yamlfile import DataFileError, DataValidationError, read_yaml, validate
from .facts import DESIGNATION_FIELDS, NATION_OR_NAME_FACTS, TOP_LEVEL, probe_facts

PACK_SCHEMA = 1
_ID = r"^[a-z0-9][a-z0-9.\-]*$"


class CitationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    url: str | None = None
    source: str | None = None


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=_ID)
    title: str
    when: str
    verdict: Verdict
    severity: Literal["critical", "high", "medium", "low", "info"] = "medium"
    rationale: str
    reason: str | None = None  # template; {entity.name}-style placeholders are filled from the facts
    lists: list[str] = Field(default_factory=list)  # designation lists this rule relies on (cited in findings)
    explain_risk: bool = False  # append the supplier's risk factors, one by one with evidence, to the reasons
    citations: list[CitationSpec] = Field(default_factory=list)


class PackMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_: int = Field(alias="schema")
    id: str = Field(pattern=_ID)
    title: str
    version: str
    description: str
    approach: Literal["named-entity", "nation-of-origin", "risk-based"]
    vendor_neutral: bool = False
    default_verdict: Verdict = Verdict.PASS
    unknown_verdict: Verdict = Verdict.UNKNOWN
    citations: list[CitationSpec] = Field(default_factory=list)


class PackFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pack: PackMeta
    rules: list[Rule]


class CompiledRule:
    __slots__ = ("rule", "program", "line")

    def __init__(self, rule: Rule, program: Any, line: int | None):
        self.rule = rule
        self.program = program
        self.line = line


class Pack:
    """A loaded, validated policy pack."""

    def __init__(self, meta: PackMeta, rules: list[CompiledRule], file: str):
        self.meta = meta
        self.rules = rules
        self.file = file

    @property
    def id(self) -> str:
        return self.meta.id

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.rule.id == rule_id:
                return r.rule
        raise KeyError(rule_id)


_PATH_RE = re.compile(r"(?<![\w.\"'])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)")
_STRING_RE = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def referenced_paths(expr: str) -> set[str]:
    """Dotted fact paths an expression mentions (``entity.hq_country``, ``designations`` ...)."""
    text = _STRING_RE.sub('""', expr)
    paths = set()
    for m in _PATH_RE.finditer(text):
        head = m.group(1)
        if head in TOP_LEVEL:
            rest = m.group(2).split(".")[1:]
            nested = isinstance(TOP_LEVEL[head], dict) and head != "designations"
            paths.add(head + ("." + rest[0] if rest and nested else ""))
    return paths


_MACRO_VAR = re.compile(r"([A-Za-z_][\w.]*)\.(?:exists|all|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,")
_EQ_LIT = re.compile(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s*==\s*\"([^\"]*)\"")
_IN_LIT = re.compile(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)\s+in\s+\[\s*\"([^\"]*)\"")
_FIELD_OF_VAR = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\.([A-Za-z_]\w*)")


def _probes(expr: str, bound: dict[str, str]) -> list[dict[str, Any]]:
    """Fact sets to evaluate ``expr`` on: the typed probe, one that satisfies the expression's own
    equality and membership tests (so short-circuiting does not hide later operands), and that one
    with every boolean flipped."""
    base = probe_facts()
    sat = probe_facts()
    for regex in (_EQ_LIT, _IN_LIT):
        for head, fld, lit in regex.findall(_STRING_RE.sub(lambda m: m.group(0), expr)):
            target = None
            if bound.get(head) == "designations":
                target = sat["designations"][0]
            elif head in sat and isinstance(sat[head], dict):
                target = sat[head]
            if target is not None and isinstance(target.get(fld), str):
                target[fld] = lit
    flipped = probe_facts()
    for key, value in sat.items():
        flipped[key] = value
    flipped = _flip_bools(flipped)
    return [base, sat, flipped]


def _flip_bools(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, dict):
        return {k: _flip_bools(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_flip_bools(v) for v in value]
    return value


def _check_expression(expr: str, vendor_neutral: bool) -> str | None:
    """Return an error message for ``expr`` or None when it is valid.

    Checks: CEL syntax; every variable is a known fact (or a comprehension variable); every field of a
    fact or of a designation comprehension variable exists; vendor-neutral restrictions; and types, by
    evaluating on probe fact sets (see ``_probes``) — CEL's own runtime reports type errors there.
    """
    try:
        program = cel.compile(expr)
    except (ValueError, RuntimeError) as exc:
        first = str(exc).splitlines()
        return f"CEL syntax error: {first[0] if first else exc}"
    bound = {var: target for target, var in _MACRO_VAR.findall(expr)}
    for var in program.variables():
        if var not in TOP_LEVEL and var not in bound:
            return f"unknown fact {var!r} (facts: {', '.join(sorted(TOP_LEVEL))})"
    for path in sorted(referenced_paths(expr)):
        head, _, fld = path.partition(".")
        spec = TOP_LEVEL[head]
        if fld and isinstance(spec, dict) and fld not in spec:
            return f"unknown fact {path!r}"
    text = _STRING_RE.sub('""', expr)
    for head, fld in _FIELD_OF_VAR.findall(text):
        if bound.get(head) == "designations" and fld not in DESIGNATION_FIELDS:
            return f"unknown designation field {head}.{fld!r} (fields: {', '.join(DESIGNATION_FIELDS)})"
    if vendor_neutral:
        bad = sorted(p for p in referenced_paths(expr) if p in NATION_OR_NAME_FACTS)
        if bad:
            return (f"vendor-neutral pack may not reference country of origin, headquarters, designations or "
                    f"named entities: {', '.join(bad)}")
    for facts in _probes(expr, bound):
        try:
            result = program.execute(facts)
        except KeyError as exc:
            return f"unknown fact field {exc.args[0]!r}"
        except (TypeError, ValueError, RuntimeError) as exc:
            return f"type error: {str(exc).splitlines()[0].split('. ')[0]}"
        if not isinstance(result, bool):
            return f"condition must be a bool, got {type(result).__name__}"
    return None


def load_pack(path: str | Path, registry=None, text: str | None = None) -> Pack:
    """Load and validate a pack file. ``registry`` (optional) resolves list and source references."""
    doc = read_yaml(path, text)
    parsed = validate(doc, PackFile)
    errors: list[DataFileError] = []
    if parsed.pack.schema_ != PACK_SCHEMA:
        errors.append(DataFileError(doc.file, doc.line_of(["pack", "schema"]),
                                    f"unsupported pack schema {parsed.pack.schema_} (this netvet reads {PACK_SCHEMA})"))
    seen: dict[str, int | None] = {}
    compiled: list[CompiledRule] = []
    for i, rule in enumerate(parsed.rules):
        line = doc.line_of(["rules", i])
        if rule.id in seen:
            errors.append(DataFileError(doc.file, doc.line_of(["rules", i, "id"]),
                                        f"duplicate rule id {rule.id!r} (first on line {seen[rule.id]})"))
            continue
        seen[rule.id] = line
        msg = _check_expression(rule.when, parsed.pack.vendor_neutral)
        if msg:
            errors.append(DataFileError(doc.file, doc.line_of(["rules", i, "when"]), f"rule {rule.id}: {msg}"))
            continue
        if registry is not None:
            for j, lst in enumerate(rule.lists):
                if lst not in registry.lists:
                    errors.append(DataFileError(doc.file, doc.line_of(["rules", i, "lists", j]),
                                                f"rule {rule.id}: unknown designation list {lst!r}"))
            for j, c in enumerate(rule.citations):
                if c.source and c.source not in registry.sources:
                    errors.append(DataFileError(doc.file, doc.line_of(["rules", i, "citations", j, "source"]),
                                                f"rule {rule.id}: unknown source {c.source!r}"))
        if parsed.pack.vendor_neutral and rule.lists:
            errors.append(DataFileError(doc.file, doc.line_of(["rules", i, "lists"]),
                                        f"rule {rule.id}: vendor-neutral pack may not rely on designation lists"))
        compiled.append(CompiledRule(rule, cel.compile(rule.when), line))
    if errors:
        raise DataValidationError(errors)
    return Pack(parsed.pack, compiled, doc.file)


def bundled_pack_paths() -> dict[str, Path]:
    root = resources.files("netvet") / "data" / "policies"
    out = {}
    for entry in root.iterdir():
        if entry.name.endswith(".yaml"):
            out[entry.name[: -len(".yaml")]] = Path(str(entry))
    return dict(sorted(out.items()))


def resolve_pack(name_or_path: str, registry=None) -> Pack:
    """A bundled pack by id, or a user pack by file path."""
    bundled = bundled_pack_paths()
    if name_or_path in bundled:
        return load_pack(bundled[name_or_path], registry)
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise DataValidationError([DataFileError(name_or_path, None, "policy file not found")])
        return load_pack(p, registry)
    raise DataValidationError([DataFileError(
        name_or_path, None, f"unknown policy {name_or_path!r} (bundled: {', '.join(bundled)}; or give a .yaml path)")])
