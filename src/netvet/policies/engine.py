"""Evaluate a policy pack on a fact set: every matching rule contributes; the most severe verdict wins."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..model import Citation, Verdict, worst
from .pack import Pack

_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\}")


@dataclass
class Evaluation:
    verdict: Verdict
    rule_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    severity: str | None = None


_SEVERITY_ORDER = ["info", "low", "medium", "high", "critical"]


def _fill(template: str, facts: dict[str, Any]) -> str:
    def repl(m: re.Match) -> str:
        cur: Any = facts
        for part in m.group(1).split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            else:
                return m.group(0)
        if isinstance(cur, list):
            return ", ".join(str(c) for c in cur)
        return str(cur)

    return _PLACEHOLDER.sub(repl, template)


_RELATION_TEXT = {
    "controlling-owner": "its controlling owner",
    "common-control": "an affiliate under common control",
}


def _designation_reason(d: dict[str, Any], entity_id: str) -> str:
    via = ""
    if d["via"] != entity_id:
        via = f" via {d['via']} ({_RELATION_TEXT.get(d['relation'], d['relation'])}; the listing covers affiliates)"
    return f"designated on {d['list']} entry {d['entry']} (added {d['date_added']}, scope {d['scope']}){via}"


def evaluate(pack: Pack, facts: dict[str, Any], registry=None) -> Evaluation:
    """Run every rule of ``pack`` on ``facts``; rule errors are raised as ValueError naming the rule."""
    matched = []
    for cr in pack.rules:
        try:
            hit = cr.program.execute(facts)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(f"{pack.file}:{cr.line}: rule {cr.rule.id} failed: {exc}") from None
        if hit is True:
            matched.append(cr.rule)
    entity = facts["entity"]
    if not matched:
        if entity["known"] or facts["attribution"]["status"] == "registry-only":
            who = entity["name"] or facts["attribution"]["org_name"] or "the attributed organisation"
            return Evaluation(pack.meta.default_verdict, [], [f"no rule of {pack.id} applies to {who}"], [])
        return Evaluation(pack.meta.unknown_verdict, [], ["no attribution: the maker could not be established"], [])
    verdict = worst(r.verdict for r in matched)
    deciding = [r for r in matched if r.verdict == verdict]
    reasons: list[str] = []
    citations: list[Citation] = []
    for r in deciding:
        reasons.append(_fill(r.reason, facts) if r.reason else r.title)
        if r.explain_risk:
            reasons.extend(facts["entity"].get("risk_explained", []))
        for c in r.citations:
            citations.append(Citation(c.label, c.url, c.source))
        for d in facts["designations"]:
            if d["list"] in r.lists:
                reasons.append(_designation_reason(d, entity["id"]))
                src = registry.sources.get(d["source"]) if registry is not None else None
                citations.append(Citation(f"{d['list']} entry {d['entry']}", src.url if src else None, d["source"]))
    severity = max((r.severity for r in deciding), key=_SEVERITY_ORDER.index)
    uniq_reasons = list(dict.fromkeys(reasons))
    uniq_cites = list(dict.fromkeys(citations))
    return Evaluation(verdict, [r.id for r in deciding], uniq_reasons, uniq_cites, severity)
