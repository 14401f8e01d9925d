"""Classify ASes through the policy engine, once each: the bridge between route evidence and packs.

Every distinct AS becomes an :class:`Observation` of kind ``as`` with an ``IdKind.ASN`` identifier; the
core attributor decides its entity (with the evidence chain) and each chosen pack is evaluated with the
fact ``analysis.position`` set to each position the AS was seen in. The result per AS is an
``analyses.carrier.AsVerdict``: the level (excluded = FAIL, review = REVIEW, else clean) per position,
with entity, rule ids, reasons and citations.

Tens of thousands of ASes appear in a full table, and almost all are unattributed with identical facts.
Evaluations go through ``policies.evaluator.Evaluator``, which evaluates each distinct fact set once (the AS's
identity is left out of the key unless a pack reads it): the verdicts are exactly those of evaluating every AS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ..analyses.carrier import CLEAN, EXCLUDED, POSITION_BITS, REVIEW, AsVerdict, position_names
from ..model import (
    VERDICT_RANK,
    Attribution,
    AttributionStatus,
    Finding,
    Identifier,
    IdKind,
    Observation,
    ReadStats,
    Report,
    SourceRef,
    Strength,
    Verdict,
)
from ..pipeline import Context
from ..policies.evaluator import Evaluator, attribution_note, finding_entity, finding_reasons
from ..policies.facts import ANALYSIS_FIELDS

_LEVEL = {Verdict.FAIL: EXCLUDED, Verdict.REVIEW: REVIEW}
_ZERO = {"string": "", "double": 0.0, "int": 0}


def no_analysis() -> dict:
    return {k: _ZERO.get(t, 0) for k, (t, _) in ANALYSIS_FIELDS.items()}


def as_observation(asn: int, bits: int, file: str) -> Observation:
    return Observation(
        id=f"AS{asn}", kind="as", source=SourceRef(file, pointer=f"AS{asn}"),
        identifiers=[Identifier(IdKind.ASN, f"AS{asn}", "route:as-path", Strength.STRONG)],
        attributes={"asn": str(asn), "positions": ",".join(position_names(bits))},
    )


@dataclass
class Classification:
    """Per AS: the verdict summary, and (when kept) the core observations, attributions and findings."""

    verdicts: dict[int, AsVerdict]
    observations: list[Observation] = field(default_factory=list)
    attributions: dict[str, Attribution] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    evaluations: int = 0  # distinct engine evaluations run

    @property
    def excluded(self) -> list[AsVerdict]:
        return sorted((v for v in self.verdicts.values() if v.level == EXCLUDED), key=lambda v: v.asn)

    @property
    def review(self) -> list[AsVerdict]:
        return sorted((v for v in self.verdicts.values() if v.level == REVIEW), key=lambda v: v.asn)


def classify_asns(ctx: Context, seen: dict[int, int], file: str = "routes", keep_report: bool = False
                  ) -> Classification:
    """Run ``ctx.packs`` on every AS of ``seen`` (AS -> position bits), once per distinct fact set."""
    evaluator = Evaluator(ctx)
    out = Classification({})
    for asn in sorted(seen):
        bits = seen[asn] or POSITION_BITS["transit"]
        obs = as_observation(asn, bits, file)
        att = ctx.attributor.observation(obs)
        levels = {"origin": CLEAN, "transit": CLEAN, "peer": CLEAN}
        worst_ev = None
        per_pack_worst: dict[str, tuple] = {}
        for name in position_names(bits):
            facts = evaluator.facts(obs, att, {**no_analysis(), "position": name})
            for pack, ev in evaluator.evaluate_all(facts):
                levels[name] = max(levels[name], _LEVEL.get(ev.verdict, CLEAN))
                cur = per_pack_worst.get(pack.id)
                if cur is None or VERDICT_RANK[ev.verdict] > VERDICT_RANK[cur[0].verdict]:
                    per_pack_worst[pack.id] = (ev, pack)
                if worst_ev is None or VERDICT_RANK[ev.verdict] > VERDICT_RANK[worst_ev.verdict]:
                    worst_ev = ev
        ent = finding_entity(ctx, att)
        note = attribution_note(att)
        reasons = tuple(worst_ev.reasons) if worst_ev else ()
        if note:
            reasons += (note,)
        out.verdicts[asn] = AsVerdict(
            asn=asn, entity=att.entity_id or f"AS{asn}", entity_info=ent, origin=levels["origin"],
            transit=levels["transit"], peer=levels["peer"], verdict=str(worst_ev.verdict) if worst_ev else "PASS",
            rule_ids=tuple(worst_ev.rule_ids) if worst_ev else (), reasons=reasons,
            citations=tuple(c.to_dict() for c in worst_ev.citations) if worst_ev else (),
            severity=worst_ev.severity if worst_ev else None,
        )
        if keep_report:
            out.observations.append(obs)
            out.attributions[obs.id] = att
            ident = att.decided_by.identifier.to_dict() if att.decided_by else None
            for ev, pack in per_pack_worst.values():
                out.findings.append(Finding(
                    subject=obs.id, label=obs.label, source=obs.source, policy=pack.id, verdict=ev.verdict,
                    rule_ids=list(ev.rule_ids), reasons=finding_reasons(ev, att), citations=list(ev.citations),
                    entity=ent, identifier=ident, severity=ev.severity,
                ))
    out.evaluations = evaluator.evaluations
    return out


def classify_registry(ctx: Context, extra: Iterable[int] = ()) -> Classification:
    """Classify every AS number the registry attributes (plus ``extra``) at every position."""
    every = POSITION_BITS["origin"] | POSITION_BITS["transit"] | POSITION_BITS["peer"]
    seen = {a: every for a in ctx.registry.by_asn}
    seen.update({a: every for a in extra})
    return classify_asns(ctx, seen, "registry")


def as_report(ctx: Context, cls: Classification, stats: list[ReadStats], notes: Iterable[str] = ()) -> Report:
    """A core :class:`Report` of the AS observations (for the generic reporters: html, json ...)."""
    from datetime import UTC, datetime

    from .. import __version__
    from ..model import PolicyInfo

    for obs in cls.observations:
        for s in stats:
            if s.file == obs.source.file or obs.source.file not in {x.file for x in stats}:
                if cls.attributions[obs.id].status == AttributionStatus.UNKNOWN:
                    s.unattributed += 1
                else:
                    s.attributed += 1
                break
    return Report(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), evaluated_on=ctx.on.isoformat(),
        netvet_version=__version__, registry_version=ctx.registry.version,
        policies=[PolicyInfo(p.id, p.meta.title, p.meta.version, p.meta.approach, p.meta.vendor_neutral, p.file)
                  for p in ctx.packs],
        inputs=stats, observations=cls.observations, attributions=cls.attributions, findings=cls.findings,
        notes=list(notes),
    )
