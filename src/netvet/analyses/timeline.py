"""A compliance timeline: per pack, what must change by which date, for how many assets and at which sites.

Built from a report's findings (each finding lists the dated rules that matched its asset: ``Finding.deadlines``)
and the packs' dated rules (``deadline`` / ``effective_from``), so a rule no asset matches still shows its date.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date


@dataclass
class Milestone:
    pack: str
    rule: str
    title: str
    kind: str  # deadline | effective_from
    date: str
    status: str  # passed | upcoming
    days: int  # from the evaluation date to the milestone (negative once passed)
    verdict: str  # the verdict the rule gives after its deadline / once in force
    assets: int = 0
    sites: dict[str, int] = field(default_factory=dict)
    subjects: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class PackTimeline:
    pack: str
    title: str
    milestones: list[Milestone]
    caps: list[dict] = field(default_factory=list)  # the share figures of the pack's caps, per group and supplier
    verdicts: dict[str, int] = field(default_factory=dict)  # as of the evaluation date

    @property
    def passed(self) -> list[Milestone]:
        return [m for m in self.milestones if m.status == "passed"]

    def to_dict(self) -> dict:
        return {"pack": self.pack, "title": self.title, "verdicts": dict(self.verdicts),
                "milestones": [m.to_dict() for m in self.milestones], "caps": list(self.caps)}


@dataclass
class Timeline:
    evaluated_on: str
    packs: list[PackTimeline]
    sample_data: bool = False

    def to_dict(self) -> dict:
        return {"schema": "netvet-timeline/1", "evaluated_on": self.evaluated_on, "sample_data": self.sample_data,
                "packs": [p.to_dict() for p in self.packs]}


def build_timeline(report, packs) -> Timeline:
    on = date.fromisoformat(report.evaluated_on[:10])
    out = []
    for pack in packs:
        findings = [f for f in report.findings if f.policy == pack.id]
        milestones: dict[str, Milestone] = {}
        for cr in pack.rules:
            r = cr.rule
            for kind, when in (("deadline", r.deadline), ("effective_from", r.effective_from)):
                if when is None or (kind == "effective_from" and r.deadline is not None):
                    continue
                passed = on > when if kind == "deadline" else on >= when
                milestones[r.id] = Milestone(pack.id, r.id, r.title, kind, when.isoformat(),
                                             "passed" if passed else "upcoming", (when - on).days, str(r.verdict))
        sites: dict[str, Counter] = {k: Counter() for k in milestones}
        for f in findings:
            for d in f.deadlines:
                m = milestones.get(d["rule"])
                if m is None:
                    continue
                m.assets += 1
                m.subjects.append(f.subject)
                m.labels.append(f.label)
                sites[d["rule"]][f.site or "(no site)"] += 1
        for rid, m in milestones.items():
            m.sites = dict(sorted(sites[rid].items()))
        caps: dict[tuple, dict] = {}
        for f in findings:
            for c in f.caps:
                caps.setdefault((c["cap"], c["group"], c["supplier"]), c)
        verdicts = Counter(str(f.verdict) for f in findings)
        out.append(PackTimeline(pack.id, pack.meta.title,
                                sorted(milestones.values(), key=lambda m: (m.date, m.rule)),
                                [caps[k] for k in sorted(caps)],
                                {v: verdicts.get(v, 0) for v in ("FAIL", "REVIEW", "UNKNOWN", "WAIVED", "PASS")}))
    return Timeline(report.evaluated_on[:10], out, report.sample_data)
