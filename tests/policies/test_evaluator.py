"""One evaluator for audits, AS classification and flow parties (issue 13)."""

from __future__ import annotations

import dataclasses

from netvet.attribution.oui import MacRegistry
from netvet.enforce.classify import classify_asns
from netvet.model import Attribution, AttributionStatus, Identifier, IdKind, Observation, SourceRef, Strength
from netvet.pipeline import Context, evaluate_observations
from netvet.policies.evaluator import Evaluator, asset_reads, facts_for, finding_reasons


def _ctx():
    return Context.build(["clean-network"], macs=MacRegistry())


def _as(asn: int) -> Observation:
    return Observation(id=f"AS{asn}", kind="as", source=SourceRef("t", pointer=f"AS{asn}"),
                       identifiers=[Identifier(IdKind.ASN, f"AS{asn}", "test", Strength.STRONG)],
                       attributes={"asn": str(asn)})


def test_same_facts_but_the_identity_are_evaluated_once():
    ctx = _ctx()
    ev = Evaluator(ctx)
    assert not asset_reads(ctx.packs).asset_id
    for asn in (64500, 64501, 64502):  # unattributed private ASes: identical facts but the id
        obs = _as(asn)
        facts = ev.facts(obs, ctx.attributor.observation(obs))
        assert facts == facts_for(ctx, obs, ctx.attributor.observation(obs))
        ev.evaluate_all(facts)
    assert ev.evaluations == len(ctx.packs)


def test_a_conflicting_attribution_note_reaches_every_evaluator(monkeypatch):
    ctx = _ctx()
    real = ctx.attributor.observation

    def conflicting(obs):
        att = real(obs)
        return dataclasses.replace(att, status=AttributionStatus.ATTRIBUTED, conflict=True,
                                   note="evidence disagrees: AS4134 vs AS4837")

    monkeypatch.setattr(ctx.attributor, "observation", conflicting)
    cls = classify_asns(ctx, {4134: 1}, keep_report=True)
    assert "evidence disagrees: AS4134 vs AS4837" in cls.verdicts[4134].reasons
    assert all("evidence disagrees: AS4134 vs AS4837" in f.reasons for f in cls.findings)
    _, findings = evaluate_observations(ctx, [_as(4134)])
    assert all("evidence disagrees: AS4134 vs AS4837" in f.reasons for f in findings)


def test_a_clean_attribution_carries_no_note():
    att = Attribution(AttributionStatus.ATTRIBUTED, "x", 0.9, None, note="fine")
    ev = type("E", (), {"reasons": ["r"]})()
    assert finding_reasons(ev, att) == ["r"]
    assert finding_reasons(ev, dataclasses.replace(att, conflict=True)) == ["r", "fine"]
