"""Per-AS facts (through netvet's one evaluator) and per-path rule checks.

:class:`AsBook` classifies each AS the first time it is seen, with :func:`netvet.enforce.classify.classify_asns`
(the policy packs of :class:`netvet.pipeline.Context`, evaluated at every position), and keeps what events need:
the level per position, the entity (and its owners, for entity sets), the jurisdictions of its ownership chain and
the evidence chain of its attribution. :class:`RuleSet` turns a path into a bitmask of the rules it violates and,
per rule, the ASes that make it violate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..analyses.carrier import EXCLUDED, REVIEW
from ..enforce.classify import as_observation, classify_asns
from ..policies.facts import entity_facts
from .config import Rule, WatchConfig

ALL_POSITIONS = 7  # origin | transit | peer (analyses.carrier.POSITION_BITS)
LEVEL_NAMES = {0: "clean", REVIEW: "review", EXCLUDED: "excluded"}


@dataclass(slots=True)
class AsInfo:
    asn: int
    entity: dict | None  # {id, name, country, group, group_name} or None (unattributed)
    verdict: str
    origin: int
    transit: int
    peer: int
    rule_ids: tuple[str, ...]
    reasons: tuple[str, ...]
    citations: tuple[dict, ...]
    jurisdictions: tuple[str, ...]  # countries of the entity's ownership chain
    owners: frozenset[str]  # the entity and every owner up the chain
    evidence: tuple[dict, ...]  # the attribution's evidence chain (registry, source, as_of per step)
    attribution: str  # status

    def to_dict(self) -> dict:
        return {
            "asn": self.asn, "entity": self.entity, "verdict": self.verdict,
            "levels": {"origin": LEVEL_NAMES[self.origin], "transit": LEVEL_NAMES[self.transit],
                       "peer": LEVEL_NAMES[self.peer]},
            "jurisdictions": list(self.jurisdictions), "attribution": self.attribution,
            "rule_ids": list(self.rule_ids), "reasons": list(self.reasons), "citations": list(self.citations),
            "evidence": list(self.evidence),
        }


# What an AS observation's facts hold that differs from one AS to the next: ``asset.id`` (``AS<n>``) and the
# attribute ``asn``. A pack whose rules and reasons read neither judges two ASes with the same attribution alike.
_ASSET_REF = re.compile(r"(?<![\w.])asset\b")
_ATTR_KEY = re.compile(r"""\.attributes(?:\[\s*["']([^"']*)["']\s*\]|\.([A-Za-z_]\w*)\b(?!\s*\())""")
_IN_LITERAL = re.compile(r"""["'][^"']*["']\s+in\s+$""")
_PER_AS_KEYS = {"asn"}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")  # the fact paths a reason template interpolates


def _as_independent_text(text: str) -> bool:
    """True when ``text`` (a CEL expression or a reason template) reads no fact that differs between two AS
    observations: every ``asset`` reference is a field other than ``id``, or ``attributes`` indexed by a literal
    key other than ``asn``, or the right side of a literal-key ``in`` test. Anything else counts as dependent."""
    for m in _ASSET_REF.finditer(text):
        rest = text[m.end():]
        if not rest.startswith("."):
            return False  # the whole asset map
        if rest.startswith(".attributes"):
            k = _ATTR_KEY.match(rest)
            if k is not None:
                if (k.group(1) or k.group(2)) in _PER_AS_KEYS:
                    return False
                continue
            if _IN_LITERAL.search(text[:m.start()]) and not re.match(r"\.attributes\s*[\[.(]", rest):
                continue
            return False
        field_ = re.match(r"\.([A-Za-z_]\w*)", rest)
        if field_ is None or field_.group(1) == "id":
            return False
    return True


def packs_as_independent(packs) -> bool:
    """Whether every rule of every pack judges an AS only on facts two AS observations can share."""
    for pack in packs:
        for cr in pack.rules:
            if not _as_independent_text(cr.rule.when):
                return False
            if not all(_as_independent_text(m) for m in _PLACEHOLDER.findall(cr.rule.reason or "")):
                return False
    return True


def _att_key(att, ent) -> tuple:
    """Everything of an attribution that the facts, the finding's entity and the verdict can depend on."""
    best = att.decided_by
    return (str(att.status), att.entity_id, att.positive, att.weakness, att.method, round(att.confidence, 3),
            att.conflict, best.org_name if best else None, best.country if best else None,
            best.relation if best else None, att.manufacturer_status,
            tuple(sorted((e.entity_id, str(e.status)) for e in att.evidence if e.entity_id)),
            repr(sorted(ent.items())) if ent else None, bool(att.note))


class AsBook:
    """AS number -> :class:`AsInfo`, classified through the policy engine.

    ASes are classified in batches (:meth:`ensure`). When the packs read no fact that tells one AS from another
    (:func:`packs_as_independent`), ASes with the same attribution facts get the same verdict, so each batch is
    attributed AS by AS (cheap) and only one AS per distinct attribution that the book has not judged yet goes
    through :func:`classify_asns`; the others take its verdict with their own AS number, entity key and note.
    Thousands of unattributed ASes then cost one evaluation instead of one per AS and position."""

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.info: dict[int, AsInfo] = {}
        self.flagged: set[int] = set()  # ASes at REVIEW or EXCLUDED at some position
        self.grouped = packs_as_independent(ctx.packs)
        self._by_key: dict[tuple, tuple] = {}  # attribution key -> (AsVerdict, its attribution) of a judged AS
        self.evaluated = 0  # ASes that went through classify_asns

    def ensure(self, asns: Iterable[int]) -> None:
        new = sorted({a for a in asns if a not in self.info})
        if not new:
            return
        if not self.grouped:
            self._classify(new)
            return
        from ..pipeline import finding_entity

        attributor = self.ctx.attributor
        atts = {}
        keys = {}
        reps: dict[tuple, int] = {}
        for asn in new:
            att = attributor.observation(as_observation(asn, ALL_POSITIONS, "watch"))
            key = _att_key(att, finding_entity(self.ctx, att))
            atts[asn], keys[asn] = att, key
            if key not in self._by_key:
                reps.setdefault(key, asn)
        if reps:
            for rep, (v, att) in self._classify(sorted(reps.values())).items():
                self._by_key[keys[rep]] = (v, att)
        for asn in new:
            if asn in self.info:
                continue
            v, rep_att = self._by_key[keys[asn]]
            att = atts[asn]
            reasons = v.reasons
            if rep_att.note and str(rep_att.status) != "attributed":
                if not reasons or reasons[-1] != rep_att.note:  # not the shape expected: judge it on its own
                    self._classify([asn])
                    continue
                reasons = (*reasons[:-1], att.note)
            self._store(asn, v.entity_info, v.verdict, v.origin, v.transit, v.peer, v.rule_ids, reasons,
                        v.citations, att)

    def _classify(self, asns: list[int]) -> dict[int, tuple]:
        """Classify ``asns`` through the policy engine, one each; returns AS -> (AsVerdict, attribution)."""
        cls = classify_asns(self.ctx, {a: ALL_POSITIONS for a in asns}, "watch", keep_report=True)
        self.evaluated += len(asns)
        out = {}
        for asn, v in cls.verdicts.items():
            att = cls.attributions.get(f"AS{asn}")
            self._store(asn, v.entity_info, v.verdict, v.origin, v.transit, v.peer, v.rule_ids, v.reasons,
                        v.citations, att)
            out[asn] = (v, att)
        return out

    def _store(self, asn, entity_info, verdict, origin, transit, peer, rule_ids, reasons, citations, att) -> None:
        reg, on = self.ctx.registry, self.ctx.on
        eid = att.entity_id if att is not None else None
        juris: tuple[str, ...] = ()
        owners: frozenset[str] = frozenset()
        if eid:
            juris = tuple(entity_facts(reg, eid, on)["chain_countries"])
            owners = frozenset([eid, *reg.ancestors(eid, on)])
        chain: tuple[dict, ...] = ()
        if att is not None and att.decided_by is not None:
            chain = tuple(s.to_dict() if hasattr(s, "to_dict") else dict(s) for s in att.decided_by.chain)
        self.info[asn] = AsInfo(
            asn, entity_info, verdict, origin, transit, peer, rule_ids, reasons, citations,
            juris, owners, chain, str(att.status) if att is not None else "unknown",
        )
        if max(origin, transit, peer) >= REVIEW:
            self.flagged.add(asn)

    def __getitem__(self, asn: int) -> AsInfo:
        got = self.info.get(asn)
        if got is None:
            self.ensure([asn])
            got = self.info[asn]
        return got


def path_asns(path: tuple) -> set[int]:
    out: set[int] = set()
    for e in path:
        if isinstance(e, int):
            out.add(e)
        else:
            out.update(e)
    return out


def positions(path: tuple) -> list[tuple[int, str]]:
    """(asn, position) for every AS of a flattened path: peer (first), origin (last, or a final AS_SET), transit."""
    n = len(path)
    out = []
    for i, e in enumerate(path):
        pos = "origin" if i == n - 1 else ("peer" if i == 0 else "transit")
        if isinstance(e, int):
            out.append((e, pos))
        else:
            out.extend((a, pos) for a in sorted(e))
    # prepends of the origin are the origin too
    if n > 1 and isinstance(path[-1], int):
        o = path[-1]
        out = [(a, "origin" if a == o else p) for a, p in out]
    return out


def origins_of(path: tuple) -> tuple[int, ...]:
    if not path:
        return ()
    last = path[-1]
    return (last,) if isinstance(last, int) else tuple(sorted(last))


def upstream_of(path: tuple) -> int | None:
    """The AS that hands the route to its origin (origin prepends skipped); None when there is none."""
    if not path or not isinstance(path[-1], int):
        return None
    o = path[-1]
    for e in reversed(path[:-1]):
        if e != o:
            return e if isinstance(e, int) else None
    return None


class RuleSet:
    """The configured rules, compiled: membership sets resolved, one bit per rule."""

    def __init__(self, cfg: WatchConfig, book: AsBook) -> None:
        self.rules: list[Rule] = cfg.effective_rules()
        self.book = book
        self.bit = {r.id: 1 << i for i, r in enumerate(self.rules)}
        self._asns: list[frozenset[int]] = []
        self._entities: list[frozenset[str]] = []
        for r in self.rules:
            asns = set(r.asns)
            ents = set(r.entities)
            for s in r.sets:
                es = cfg.entity_sets[s]
                asns.update(es.asns)
                ents.update(es.entities)
            self._asns.append(frozenset(asns))
            self._entities.append(frozenset(ents))
        self.path_rules = [i for i, r in enumerate(self.rules) if r.kind != "withdrawn"]
        self.withdrawn_bit = sum(self.bit[r.id] for r in self.rules if r.kind == "withdrawn")
        self.always_bits = sum(self.bit[r.id] for r in self.rules if r.paths != "any" and r.kind != "withdrawn")

    def check_entities(self, registry) -> list[str]:
        bad = []
        for r, ents in zip(self.rules, self._entities, strict=True):
            bad += [f"rule {r.id}: unknown entity {e!r} (see `netvet registry show`)" for e in sorted(ents)
                    if e not in registry.entities]
        return bad

    def _in_set(self, i: int, asn: int) -> bool:
        if asn in self._asns[i]:
            return True
        ents = self._entities[i]
        return bool(ents) and not ents.isdisjoint(self.book[asn].owners)

    def violation(self, i: int, path: tuple) -> tuple[int, ...] | None:
        """The ASes that make ``path`` violate rule ``i`` (possibly empty), or None when it complies."""
        r = self.rules[i]
        kind = r.kind
        book = self.book
        if not path:
            return None
        if kind in ("excluded_carrier", "excluded_origin"):
            flat = path if all(isinstance(e, int) for e in path) else path_asns(path)
            if book.flagged.isdisjoint(flat):
                return None
        if kind == "excluded_carrier":
            floor = REVIEW if r.include_review else EXCLUDED
            bad = sorted({a for a, pos in positions(path) if getattr(book[a], pos) >= floor})
            return tuple(bad) or None
        if kind == "excluded_origin":
            floor = REVIEW if r.include_review else EXCLUDED
            bad = tuple(a for a in origins_of(path) if book[a].origin >= floor)
            return bad or None
        if kind == "no_jurisdiction":
            js = set(r.jurisdictions)
            bad = sorted({a for a in path_asns(path) if js.intersection(book[a].jurisdictions)})
            return tuple(bad) or None
        if kind == "never_transit":
            orig = set(origins_of(path))
            bad = sorted({a for a in path_asns(path) if a not in orig and self._in_set(i, a)})
            return tuple(bad) or None
        if kind == "must_transit":
            return None if any(self._in_set(i, a) for a in path_asns(path)) else ()
        if kind == "required_upstream":
            up = upstream_of(path)
            if up is None or self._in_set(i, up):
                return None
            return (up,)
        return None

    def mask(self, path: tuple) -> int:
        m = 0
        for i in self.path_rules:
            if self.violation(i, path) is not None:
                m |= 1 << i
        return m
