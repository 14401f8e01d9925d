"""Verdicts of a policy on an observation."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .source import SourceRef


class Verdict(StrEnum):
    PASS = "PASS"
    REVIEW = "REVIEW"
    FAIL = "FAIL"
    UNKNOWN = "UNKNOWN"
    WAIVED = "WAIVED"


# Order of precedence when several rules match: the most severe wins.
VERDICT_RANK = {Verdict.PASS: 0, Verdict.WAIVED: 1, Verdict.UNKNOWN: 2, Verdict.REVIEW: 3, Verdict.FAIL: 4}


def worst(verdicts) -> Verdict:
    best = Verdict.PASS
    for v in verdicts:
        if VERDICT_RANK[v] > VERDICT_RANK[best]:
            best = v
    return best


def control_state(counts: dict[str, int]) -> str:
    """A framework control's status from its findings' verdict counts: not-satisfied (a FAIL), needs-review (a
    REVIEW or UNKNOWN), satisfied (only PASS / WAIVED), not-assessed (no evidence bears on it at all)."""
    if counts.get("FAIL"):
        return "not-satisfied"
    if counts.get("REVIEW") or counts.get("UNKNOWN"):
        return "needs-review"
    return "satisfied" if counts.get("PASS") or counts.get("WAIVED") else "not-assessed"


@dataclass(frozen=True, slots=True)
class Citation:
    label: str
    url: str | None = None
    source: str | None = None

    def to_dict(self) -> dict:
        return {"label": self.label, "url": self.url, "source": self.source}


@dataclass(slots=True)
class Finding:
    subject: str  # observation id
    label: str
    source: SourceRef
    policy: str
    verdict: Verdict
    rule_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    entity: dict | None = None  # {id, name, country}
    identifier: dict | None = None  # the identifier that decided the attribution
    severity: str | None = None
    role: str | None = None
    site: str | None = None
    controls: list[str] = field(default_factory=list)
    # dated rules that matched: {rule, title, kind, date, status: pending|passed|upcoming, days, verdict}
    deadlines: list[dict] = field(default_factory=list)
    # share caps the asset counts in: {cap, group, share, limit, exceeded, population_assets, subjects ...}
    caps: list[dict] = field(default_factory=list)

    @property
    def compliant_until(self) -> str | None:
        """The next pending deadline: the asset is compliant until then."""
        pending = [d["date"] for d in self.deadlines if d.get("status") == "pending"]
        return min(pending) if pending else None

    def to_dict(self) -> dict:
        return {
            "subject": self.subject,
            "label": self.label,
            "source": self.source.to_dict(),
            "policy": self.policy,
            "verdict": str(self.verdict),
            "rule_ids": list(self.rule_ids),
            "severity": self.severity,
            "reasons": list(self.reasons),
            "citations": [c.to_dict() for c in self.citations],
            "entity": self.entity,
            "identifier": self.identifier,
            "role": self.role,
            "site": self.site,
            "controls": list(self.controls),
            "compliant_until": self.compliant_until,
            "deadlines": [dict(d) for d in self.deadlines],
            "caps": [dict(c) for c in self.caps],
        }
