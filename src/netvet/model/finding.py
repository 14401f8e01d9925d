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
        }
