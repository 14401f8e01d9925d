"""An audit report: inputs read, observations, attributions, findings and their summary."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .attribution import Attribution
from .finding import Finding, Verdict
from .issues import ReadStats
from .observation import Observation

REPORT_SCHEMA = "netvet-report/1"


@dataclass
class PolicyInfo:
    id: str
    title: str
    version: str
    approach: str
    vendor_neutral: bool
    file: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Report:
    generated_at: str
    evaluated_on: str
    netvet_version: str
    registry_version: str
    policies: list[PolicyInfo] = field(default_factory=list)
    inputs: list[ReadStats] = field(default_factory=list)
    observations: list[Observation] = field(default_factory=list)
    attributions: dict[str, Attribution] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    datasets: list[dict] = field(default_factory=list)
    sample_data: bool = False
    notes: list[str] = field(default_factory=list)
    controls: list[dict] = field(default_factory=list)  # per framework control: status and counts
    waivers: dict | None = None  # applied / expired / unused waiver ids

    def summary(self) -> dict:
        """Counts per policy and verdict, per entity and per site."""
        per_policy: dict[str, Counter] = defaultdict(Counter)
        per_entity: dict[str, Counter] = defaultdict(Counter)
        per_group: dict[str, Counter] = defaultdict(Counter)
        per_site: dict[str, Counter] = defaultdict(Counter)
        names: dict[str, str] = {}
        group_names: dict[str, str] = {}
        for f in self.findings:
            per_policy[f.policy][str(f.verdict)] += 1
            ent = f.entity or {}
            key = ent.get("id") or "(unattributed)"
            names[key] = ent.get("name") or key
            per_entity[key][f"{f.policy}:{f.verdict}"] += 1
            group = ent.get("group") or key
            group_names[group] = ent.get("group_name") or names[key]
            per_group[group][f"{f.policy}:{f.verdict}"] += 1
            per_site[f.site or "(no site)"][f"{f.policy}:{f.verdict}"] += 1
        verdicts = [str(v) for v in Verdict]
        return {
            "observations": len(self.observations),
            "attributed": sum(1 for a in self.attributions.values() if a.status == "attributed"),
            "positive": sum(1 for a in self.attributions.values() if a.positive),
            "registry_only": sum(1 for a in self.attributions.values() if a.status == "registry-only"),
            "unknown": sum(1 for a in self.attributions.values() if a.status == "unknown"),
            "input_issues": sum(len(s.issues) for s in self.inputs),
            "malformed": sum(s.malformed for s in self.inputs),
            "per_policy": {p: {v: c.get(v, 0) for v in verdicts} for p, c in sorted(per_policy.items())},
            "per_entity": {k: {"name": names[k], **dict(sorted(c.items()))} for k, c in sorted(per_entity.items())},
            "per_group": {k: {"name": group_names[k], **dict(sorted(c.items()))}
                          for k, c in sorted(per_group.items())},
            "per_site": {k: dict(sorted(c.items())) for k, c in sorted(per_site.items())},
        }

    def to_dict(self) -> dict:
        return {
            "schema": REPORT_SCHEMA,
            "generated_at": self.generated_at,
            "evaluated_on": self.evaluated_on,
            "netvet_version": self.netvet_version,
            "registry_version": self.registry_version,
            "sample_data": self.sample_data,
            "notes": list(self.notes),
            "policies": [p.to_dict() for p in self.policies],
            "datasets": list(self.datasets),
            "inputs": [s.to_dict() for s in self.inputs],
            "summary": self.summary(),
            "controls": list(self.controls),
            "waivers": self.waivers,
            "findings": [f.to_dict() for f in self.findings],
            "observations": [
                {**o.to_dict(), "attribution": self.attributions[o.id].to_dict() if o.id in self.attributions else None}
                for o in self.observations
            ],
        }
