"""Policy packs: YAML files of rules whose conditions are CEL expressions over the fact model.

A pack is validated on load: unknown fields, duplicate rule ids, CEL syntax errors, references to unknown
facts, type errors (found by evaluating each expression on a typed probe fact set), unknown designation
lists or sources (dangling references), and — for packs declared ``vendor_neutral`` — any reference to
country of origin, headquarters, designations or a named entity are errors with file and line.
"""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import cel
from pydantic import BaseModel, ConfigDict, Field

from ..model import VERDICT_RANK, Verdict
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
    # time: the rule applies from / until these dates (inclusive); with a deadline, a matching asset is
    # `before_deadline` (default PASS: "compliant until <deadline>, N days left") up to and including the deadline
    # and gets `verdict` from the day after
    effective_from: date | None = None
    effective_until: date | None = None
    deadline: date | None = None
    before_deadline: Verdict = Verdict.PASS


DOMAIN_NAMES = ("core", "ran", "transport", "management", "access", "enterprise")


class CapSpec(BaseModel):
    """A share cap over a population of assets: e.g. a supplier holds at most 35 % of an operator's access
    network. Rules read ``analysis.cap_share["<id>"]`` and ``analysis.cap_exceeded["<id>"]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=_ID)
    title: str
    domains: list[Literal["core", "ran", "transport", "management", "access", "enterprise"]] = Field(min_length=1)
    functions: list[str] = Field(default_factory=list)  # optional: only these network functions
    group_by: Literal["operator", "site", "site-group", "network"] = "operator"
    measure: Literal["assets", "sites"] = "assets"
    limit: float = Field(ge=0.0, le=1.0)
    note: str | None = None


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
    caps: list[CapSpec] = Field(default_factory=list)
    rules: list[Rule]


class CompiledRule:
    __slots__ = ("rule", "program", "line")

    def __init__(self, rule: Rule, program: Any, line: int | None):
        self.rule = rule
        self.program = program
        self.line = line


class Pack:
    """A loaded, validated policy pack."""

    def __init__(self, meta: PackMeta, rules: list[CompiledRule], file: str, caps: list[CapSpec] | None = None):
        self.meta = meta
        self.rules = rules
        self.file = file
        self.caps = list(caps or [])

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


def _probes(expr: str, bound: dict[str, str], caps: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Fact sets to evaluate ``expr`` on: the typed probe, one that satisfies the expression's own
    equality and membership tests (so short-circuiting does not hide later operands), and that one
    with every boolean flipped. ``caps``: the share caps the pack declares (keys of the cap maps)."""

    def probe() -> dict[str, Any]:
        facts = probe_facts()
        facts["analysis"] = {**facts["analysis"], "cap_share": {c: 0.5 for c in caps},
                             "cap_exceeded": {c: True for c in caps}}
        return facts

    base = probe()
    sat = probe()
    for regex in (_EQ_LIT, _IN_LIT):
        for head, fld, lit in regex.findall(_STRING_RE.sub(lambda m: m.group(0), expr)):
            target = None
            if bound.get(head) == "designations":
                target = sat["designations"][0]
            elif head in sat and isinstance(sat[head], dict):
                target = sat[head]
            if target is not None and isinstance(target.get(fld), str):
                target[fld] = lit
    flipped = probe()
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


# asset attributes that name a maker or its origin: a vendor-neutral pack may not read them
MAKER_ATTRIBUTES = ("vendor", "brand", "manufacturer", "mac", "oui", "sys_object_id", "country_of_production",
                    "supplier", "maker")
_ATTR_KEY = re.compile(r"asset\.attributes(?:\.([A-Za-z_]\w*)|\s*\[\s*[\"']([^\"']*)[\"']\s*\])")
_LITERAL = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")
_TEMPLATE_FACT = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)?)")


def neutrality_problems(expr: str, registry=None) -> list[str]:
    """Why ``expr`` is not vendor neutral (empty when it is): facts of origin or name, asset attributes that name
    a maker, and string literals that name a curated entity or a country of the registry."""
    problems = []
    bad = sorted(p for p in referenced_paths(expr) if p in NATION_OR_NAME_FACTS)
    if bad:
        problems.append("vendor-neutral pack may not reference country of origin, headquarters, designations or "
                        f"named entities: {', '.join(bad)}")
    keys = sorted({(a or b).lower() for a, b in _ATTR_KEY.findall(expr)} & set(MAKER_ATTRIBUTES))
    if keys:
        problems.append(f"vendor-neutral pack may not read asset attributes that name a maker: {', '.join(keys)}")
    if registry is not None:
        countries = {c for e in registry.entities.values() for c in (e.hq_country, e.registration_country) if c}
        named = []
        for a, b in _LITERAL.findall(expr):
            lit = a or b
            if not lit:
                continue
            if lit.upper() == lit and lit in countries:
                named.append(f"{lit!r} (a country)")
            elif registry.lookup(lit) is not None:
                named.append(f"{lit!r} (entity {registry.lookup(lit).id})")
        if named:
            problems.append(f"vendor-neutral pack may not name an entity or a country: {', '.join(named)}")
    return problems


def _check_expression(expr: str, vendor_neutral: bool, caps: tuple[str, ...] = (), registry=None) -> str | None:
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
        problems = neutrality_problems(expr, registry)
        if problems:
            return problems[0]
    for facts in _probes(expr, bound, caps):
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
    cap_ids: list[str] = []
    for i, cap in enumerate(parsed.caps):
        if cap.id in cap_ids:
            errors.append(DataFileError(doc.file, doc.line_of(["caps", i, "id"]), f"duplicate cap id {cap.id!r}"))
        cap_ids.append(cap.id)
    caps = tuple(cap_ids)
    for i, rule in enumerate(parsed.rules):
        line = doc.line_of(["rules", i])
        if rule.id in seen:
            errors.append(DataFileError(doc.file, doc.line_of(["rules", i, "id"]),
                                        f"duplicate rule id {rule.id!r} (first on line {seen[rule.id]})"))
            continue
        seen[rule.id] = line
        msg = _check_expression(rule.when, parsed.pack.vendor_neutral, caps, registry)
        for m in _time_problems(rule):
            errors.append(DataFileError(doc.file, line, f"rule {rule.id}: {m}"))
        if parsed.pack.vendor_neutral and rule.reason and not msg:
            bad = sorted({f for f in _TEMPLATE_FACT.findall(rule.reason) if f in NATION_OR_NAME_FACTS})
            if bad:
                errors.append(DataFileError(doc.file, doc.line_of(["rules", i, "reason"]),
                                            f"rule {rule.id}: vendor-neutral pack may not name the supplier or its "
                                            f"origin in a reason: {', '.join(bad)}"))
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
    return Pack(parsed.pack, compiled, doc.file, list(parsed.caps))


def _time_problems(rule: Rule) -> list[str]:
    out = []
    if rule.effective_from and rule.effective_until and rule.effective_from > rule.effective_until:
        out.append(f"effective_from {rule.effective_from} is after effective_until {rule.effective_until}")
    if rule.deadline is not None:
        if rule.effective_until and rule.deadline > rule.effective_until:
            out.append(f"deadline {rule.deadline} is after effective_until {rule.effective_until}")
        if rule.effective_from and rule.deadline < rule.effective_from:
            out.append(f"deadline {rule.deadline} is before effective_from {rule.effective_from}")
        if VERDICT_RANK[rule.before_deadline] >= VERDICT_RANK[rule.verdict]:
            out.append(f"before_deadline {rule.before_deadline} must be milder than verdict {rule.verdict}")
    elif rule.before_deadline != Verdict.PASS:
        out.append("before_deadline needs a deadline")
    return out


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
