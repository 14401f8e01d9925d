"""Evaluate a policy pack on a fact set: every matching rule contributes; the most severe verdict wins."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..model import Citation, Verdict, worst
from .pack import Pack

_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\}")
_KEYED_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\[([A-Za-z0-9_.\-]+)\]\}")  # {analysis.cap_share[uk.x]}


@dataclass
class Evaluation:
    verdict: Verdict
    rule_ids: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    severity: str | None = None
    # every matching rule with a date: {rule, title, kind: deadline|effective_from, date, status:
    # pending|passed|upcoming, days (to the date; negative once passed), verdict (from the day after)}
    deadlines: list[dict] = field(default_factory=list)


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

    def keyed(m: re.Match) -> str:
        cur: Any = facts
        for part in m.group(1).split(".") + [m.group(2)]:
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            else:
                return m.group(0)
        return f"{cur:.0%}" if isinstance(cur, float) else str(cur)

    return _PLACEHOLDER.sub(repl, _KEYED_PLACEHOLDER.sub(keyed, template))


_RELATION_TEXT = {
    "controlling-owner": "its controlling owner",
    "common-control": "an affiliate under common control",
}


def _designation_reason(d: dict[str, Any], entity_id: str) -> str:
    via = ""
    if d["via"] != entity_id:
        via = f" via {d['via']} ({_RELATION_TEXT.get(d['relation'], d['relation'])}; the listing covers affiliates)"
    return f"designated on {d['list']} entry {d['entry']} (added {d['date_added']}, scope {d['scope']}){via}"


def _today(facts: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(str(facts.get("now", ""))[:10])
    except ValueError:
        return date.today()


def _with_cap_defaults(pack: Pack, facts: dict[str, Any]) -> dict[str, Any]:
    """Facts whose ``analysis`` holds every cap of ``pack`` (0.0 / false where the caller computed none)."""
    caps = getattr(pack, "caps", ())
    if not caps:
        return facts
    analysis = facts.get("analysis") or {}
    share = analysis.get("cap_share")
    exceeded = analysis.get("cap_exceeded")
    if isinstance(share, dict) and isinstance(exceeded, dict) and all(c.id in share and c.id in exceeded
                                                                        for c in caps):
        return facts
    share = dict(share) if isinstance(share, dict) else {}
    exceeded = dict(exceeded) if isinstance(exceeded, dict) else {}
    for c in caps:
        share.setdefault(c.id, 0.0)
        exceeded.setdefault(c.id, False)
    return {**facts, "analysis": {**analysis, "cap_share": share, "cap_exceeded": exceeded}}


def _milestone(rule, kind: str, when: date, now: date, status: str) -> dict:
    return {"rule": rule.id, "title": rule.title, "kind": kind, "date": when.isoformat(), "status": status,
            "days": (when - now).days, "verdict": str(rule.verdict)}


def evaluate(pack: Pack, facts: dict[str, Any], registry=None) -> Evaluation:
    """Run every rule of ``pack`` on ``facts``; rule errors are raised as ValueError naming the rule.

    Time: a rule applies from ``effective_from`` to ``effective_until`` (inclusive) as of ``facts["now"]``; a
    matching rule not yet in force is recorded as an upcoming date. A rule with a ``deadline`` gives its
    ``before_deadline`` verdict (PASS: "compliant until ...") up to and including the deadline, its verdict after."""
    facts = _with_cap_defaults(pack, facts)
    now = _today(facts)
    matched: list[tuple[Any, Verdict, str | None]] = []  # (rule, verdict it contributes, reason prefix)
    deadlines: list[dict] = []
    for cr in pack.rules:
        r = cr.rule
        if r.effective_until is not None and now > r.effective_until:
            continue
        try:
            hit = cr.program.execute(facts)
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise ValueError(f"{pack.file}:{cr.line}: rule {r.id} failed: {exc}") from None
        if hit is not True:
            continue
        if r.effective_from is not None and now < r.effective_from:
            deadlines.append(_milestone(r, "effective_from", r.effective_from, now, "upcoming"))
            continue
        if r.deadline is None:
            matched.append((r, r.verdict, None))
        elif now <= r.deadline:
            m = _milestone(r, "deadline", r.deadline, now, "pending")
            deadlines.append(m)
            left = m["days"]
            matched.append((r, r.before_deadline,
                            f"compliant until {r.deadline.isoformat()} ({left} day{'s' if left != 1 else ''} left, "
                            f"then {r.verdict})"))
        else:
            m = _milestone(r, "deadline", r.deadline, now, "passed")
            deadlines.append(m)
            ago = -m["days"]
            matched.append((r, r.verdict,
                            f"deadline {r.deadline.isoformat()} passed {ago} day{'s' if ago != 1 else ''} ago"))
    deadlines.sort(key=lambda d: (d["date"], d["rule"]))
    entity = facts["entity"]
    att = facts["attribution"]
    if not matched:
        if entity["known"] or att["status"] == "registry-only":
            who = entity["name"] or att["org_name"] or "the attributed organisation"
            ev = Evaluation(pack.meta.default_verdict, [], [f"no rule of {pack.id} applies to {who}"], [],
                            deadlines=deadlines)
            return _no_pass_without_evidence(pack, ev, att)
        return Evaluation(pack.meta.unknown_verdict, [], ["no attribution: the maker could not be established"], [],
                          deadlines=deadlines)
    verdict = worst(v for _, v, _ in matched)
    deciding = [(r, prefix) for r, v, prefix in matched if v == verdict]
    deciding.sort(key=lambda rp: (rp[0].deadline or date.max) if rp[1] else date.min)  # the next date first
    reasons: list[str] = []
    citations: list[Citation] = []
    for r, prefix in deciding:
        text = _fill(r.reason, facts) if r.reason else r.title
        reasons.append(f"{prefix}: {text}" if prefix else text)
        if r.explain_risk:
            reasons.extend(facts["entity"].get("risk_explained", []))
        for c in r.citations:
            citations.append(Citation(c.label, c.url, c.source))
        for d in facts["designations"]:
            if d["list"] in r.lists:
                reasons.append(_designation_reason(d, entity["id"]))
                src = registry.sources.get(d["source"]) if registry is not None else None
                citations.append(Citation(f"{d['list']} entry {d['entry']}", src.url if src else None, d["source"]))
    severity = max((r.severity for r, _ in deciding), key=_SEVERITY_ORDER.index)
    uniq_reasons = list(dict.fromkeys(reasons))
    uniq_cites = list(dict.fromkeys(citations))
    return _no_pass_without_evidence(pack, Evaluation(verdict, [r.id for r, _ in deciding], uniq_reasons, uniq_cites,
                                                      severity, deadlines), att)


def _no_pass_without_evidence(pack: Pack, ev: Evaluation, att: dict[str, Any]) -> Evaluation:
    """PASS needs a positive attribution (a curated entity, evidence of sufficient strength): anything else that
    would pass is the pack's unknown verdict, with the reason. Weak or generic evidence never decides a PASS."""
    if ev.verdict != Verdict.PASS or att.get("positive", False):
        return ev
    why = att.get("weakness") or "the maker is not positively established"
    return Evaluation(pack.meta.unknown_verdict, ev.rule_ids,
                      [f"not assessed as PASS: {why}", *ev.reasons], ev.citations, ev.severity, ev.deadlines)
