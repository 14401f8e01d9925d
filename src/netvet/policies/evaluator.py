"""One evaluator: the facts of an observation, and each pack evaluated once per distinct fact set.

Every command that runs packs over observations goes through :class:`Evaluator` (``pipeline.evaluate_observations``
for audits, ``enforce.classify`` for ASes, ``flows.audit.PolicyClassifier`` for flow parties). A verdict is a
function of the facts, so the evaluator keys its cache by the facts that can decide it: everything but the asset's
identity (its id and free attributes), except what the packs' CEL and reason texts read (:func:`asset_reads`).
Tens of thousands of unattributed ASes or flow parties with identical facts are evaluated once per pack, and the
verdicts are exactly those of evaluating every one.

``ctx`` is anything with ``registry``, ``on``, ``risk``, ``roles``, ``packs`` and ``frameworks`` (a
``pipeline.Context``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ..analyses.scope import scope_facts
from ..model import Attribution, AttributionStatus, Observation
from .engine import Evaluation, evaluate
from .facts import designation_facts, entity_facts
from .pack import Pack
from .roles import RoleVocabulary

UNKNOWN_ROLES = {"", "unknown", "none", "n/a", "na", "-", "?"}
NO_ANALYSIS = {"position": "", "share": 0.0, "exposure": 0.0, "concentration": 0.0, "supplier_share": 0.0,
               "group_size": 0, "cap_share": {}, "cap_exceeded": {}}


class PlacedRoles:
    """``RoleVocabulary.place`` remembered per role text, for one evaluator (a run has few distinct roles and
    a million rows): the same answers, each computed once."""

    MAX = 10_000  # distinct role texts remembered

    def __init__(self, roles: RoleVocabulary) -> None:
        self.roles = roles
        self._seen: dict[str | None, list[str]] = {}

    def place(self, role: str | None) -> list[str]:
        hit = self._seen.get(role)
        if hit is None:
            if len(self._seen) >= self.MAX:
                self._seen.clear()
            hit = self._seen[role] = self.roles.place(role)
        return list(hit)


def asset_facts(obs: Observation, roles: RoleVocabulary | PlacedRoles | None = None) -> dict:
    role = (obs.role or "").strip().lower()
    placed = roles.place(role) if roles is not None else []
    function = (obs.attributes.get("function") or obs.attributes.get("kind") or obs.kind or "").lower()
    return {
        "id": obs.id,
        "kind": obs.kind,
        "role": role,
        "role_known": role not in UNKNOWN_ROLES,
        "roles": placed,
        "role_placed": bool(placed),
        "site": obs.site or "",
        "function": function,
        **scope_facts(obs.attributes, function),
        "attributes": {k: str(v) for k, v in obs.attributes.items()},
    }


def attribution_facts(ctx, att: Attribution) -> dict:
    """The facts an attribution decides: ``entity``, ``designations`` and ``attribution``."""
    reg = ctx.registry
    best = att.decided_by
    registry_country = best.country if best is not None and att.status == AttributionStatus.REGISTRY_ONLY else None
    other_ids = sorted({e.entity_id for e in att.evidence
                        if e.entity_id and e.status == AttributionStatus.ATTRIBUTED and e.entity_id != att.entity_id
                        and reg.ultimate_parent(e.entity_id, ctx.on) != reg.ultimate_parent(att.entity_id, ctx.on)}
                       ) if att.entity_id else []
    other_countries: list[str] = []
    for oid in other_ids:
        for c in entity_facts(reg, oid, ctx.on)["chain_countries"]:
            if c not in other_countries:
                other_countries.append(c)
    return {
        "entity": entity_facts(reg, att.entity_id, ctx.on, registry_country, ctx.risk),
        "designations": designation_facts(reg, att.entity_id, ctx.on),
        "attribution": {
            "status": str(att.status),
            "positive": att.positive,
            "weakness": att.weakness or "",
            "method": att.method or "",
            "confidence": round(att.confidence, 3),
            "conflict": att.conflict,
            "org_name": (best.org_name or "") if best else "",
            "relation": best.relation if best else "",
            "manufacturer_status": att.manufacturer_status or "",
            "evidence_entities": other_ids,
            "evidence_countries": other_countries,
        },
    }


def facts_for(ctx, obs: Observation, att: Attribution, analysis: dict | None = None) -> dict:
    """The policy facts of one observation (``policies/facts.py``, docs/policies.md)."""
    return _compose(attribution_facts(ctx, att), asset_facts(obs, ctx.roles), analysis, ctx)


def _compose(decided: dict, asset: dict, analysis: dict | None, ctx) -> dict:
    return {"entity": decided["entity"], "designations": decided["designations"], "asset": asset,
            "attribution": decided["attribution"], "analysis": analysis or dict(NO_ANALYSIS),
            "now": ctx.on.isoformat()}


def finding_entity(ctx, att: Attribution) -> dict | None:
    """The entity a finding names: the attributed entity (with its group), else the registry's organisation."""
    if att.entity_id:
        reg = ctx.registry
        e = reg.entities[att.entity_id]
        group = reg.group(e.id, ctx.on)
        return {"id": e.id, "name": e.legal_name, "country": e.hq_country or e.registration_country,
                "group": group, "group_name": reg.entities[group].legal_name}
    if att.decided_by is not None and att.decided_by.org_name:
        return {"id": None, "name": att.decided_by.org_name, "country": att.decided_by.country}
    return None


_ATTRIBUTE_REF = re.compile(r"""asset\.attributes(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["']([^"']+)["']\s*\])?""")
_ASSET_ID = re.compile(r"\basset\s*\.\s*id\b")
_ASSET_INDEXED = re.compile(r"\basset\s*\[")
_IN_ATTRIBUTES = re.compile(r"""["']([^"']+)["']\s+in\s+asset\.attributes\b""")


@dataclass(frozen=True)
class AssetReads:
    """What of an asset's identity the packs read, from their CEL and reason texts: its id, and which free
    attributes (``all_attributes`` when a text reads the attribute map as a whole)."""

    asset_id: bool = False
    attributes: frozenset[str] = frozenset()
    all_attributes: bool = False


def asset_reads(packs: list[Pack]) -> AssetReads:
    """What of the asset's identity ``packs`` read (the part of it that belongs in the cache key)."""
    texts = [t for p in packs for r in p.rules for t in (r.rule.when, r.rule.reason or "", r.rule.title or "")]
    names: set[str] = set()
    whole = any(_ASSET_INDEXED.search(t) for t in texts)  # asset["..."]: read as a map, keep it all
    for text in texts:
        keyed = {m.group(1) for m in _IN_ATTRIBUTES.finditer(text)}
        names |= keyed
        for m in _ATTRIBUTE_REF.finditer(text):
            name = m.group(1) or m.group(2)
            if name:
                names.add(name)
            elif not keyed:  # the map as a whole, other than a key test
                whole = True
    return AssetReads(whole or any(_ASSET_ID.search(t) for t in texts), frozenset(names), whole)


def facts_key(facts: dict, reads: AssetReads) -> str:
    """Facts that decide a verdict, as a key: everything but the asset's id and free attributes, except those a
    pack reads (same facts, same evaluation: each distinct key is evaluated once per pack)."""
    asset = {k: v for k, v in facts["asset"].items() if k not in ("id", "attributes")}
    if reads.asset_id:
        asset["id"] = facts["asset"]["id"]
    attrs = facts["asset"]["attributes"]
    asset["attributes"] = attrs if reads.all_attributes else {k: attrs[k] for k in reads.attributes if k in attrs}
    return json.dumps({**facts, "asset": asset}, sort_keys=True, default=str)


_DECIDED = ("entity", "designations", "attribution")  # the facts an attribution decides (attribution_facts)


def signature(att: Attribution) -> tuple:
    """Everything of an attribution that :func:`attribution_facts` is made from (with the registry and date)."""
    best = att.decided_by
    registry_country = best.country if best is not None and att.status == AttributionStatus.REGISTRY_ONLY else None
    others = tuple(sorted({e.entity_id for e in att.evidence
                           if e.entity_id and e.status == AttributionStatus.ATTRIBUTED}))
    return (str(att.status), att.entity_id, att.method, round(att.confidence, 3), att.conflict, att.positive,
            att.weakness, att.manufacturer_status, best.org_name if best else None,
            best.relation if best else None, registry_country, others)


def attribution_note(att: Attribution) -> str | None:
    """The attribution's note when a finding must carry it: the attribution is not a clean one (not attributed,
    or attributed with conflicting evidence)."""
    if att.note and (att.status != AttributionStatus.ATTRIBUTED or att.conflict):
        return att.note
    return None


def finding_reasons(ev: Evaluation, att: Attribution) -> list[str]:
    """A finding's reasons: the rules', then :func:`attribution_note`."""
    note = attribution_note(att)
    return list(ev.reasons) + ([note] if note else [])


class Evaluator:
    """Evaluates ``ctx.packs`` on observations, each pack once per distinct fact set (see the module text)."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.reads = asset_reads(ctx.packs)
        self.roles = PlacedRoles(ctx.roles) if ctx.roles is not None else None
        self.evaluations = 0  # engine evaluations run (cache misses)
        self._cache: dict[tuple[str, str], Evaluation] = {}
        self._decided: dict[tuple, dict] = {}
        self._tokens: dict[int, tuple[int, dict]] = {}  # id of a decided part's entity facts -> (token, part)

    def facts(self, obs: Observation, att: Attribution, analysis: dict | None = None,
              asset: dict | None = None) -> dict:
        """``facts_for(ctx, obs, att, analysis)``; the attribution's part is built once per distinct attribution
        (``asset``: ``asset_facts(obs, ...)`` when the caller has it already)."""
        sig = signature(att)
        decided = self._decided.get(sig)
        if decided is None:
            decided = self._decided[sig] = attribution_facts(self.ctx, att)
            self._tokens[id(decided["entity"])] = (len(self._tokens), decided)
        return _compose(decided, asset if asset is not None else asset_facts(obs, self.roles), analysis, self.ctx)

    def key(self, facts: dict) -> str:
        """:func:`facts_key` of ``facts``, with the attribution's part (when this evaluator built it) named by a
        number rather than written out: the same equalities, without serialising the entity facts per row."""
        hit = self._tokens.get(id(facts["entity"]))
        if hit is None or any(facts[k] is not hit[1][k] for k in _DECIDED):
            return facts_key(facts, self.reads)
        rest = {k: v for k, v in facts.items() if k not in _DECIDED}
        return f"{hit[0]}|{facts_key(rest, self.reads)}"

    def evaluate(self, pack: Pack, facts: dict, key: str | None = None) -> Evaluation:
        """``pack`` on ``facts`` (``key``: ``self.key(facts)``, when the caller has it already)."""
        ck = (pack.id, self.key(facts) if key is None else key)
        ev = self._cache.get(ck)
        if ev is None:
            ev = self._cache[ck] = evaluate(pack, facts, self.ctx.registry)
            self.evaluations += 1
        return ev

    def evaluate_all(self, facts: dict) -> list[tuple[Pack, Evaluation]]:
        """Every pack of the context on ``facts``: (pack, evaluation) in pack order."""
        key = self.key(facts)
        return [(pack, self.evaluate(pack, facts, key)) for pack in self.ctx.packs]

    def controls(self, pack: Pack, ev: Evaluation, facts: dict) -> list[str]:
        """The framework controls (``framework:control``) the evaluation's rules map to."""
        return [f"{fw.id}:{c}" for fw in self.ctx.frameworks for c in fw.controls_for(pack.id, ev.rule_ids, facts)]
