"""Share caps: a supplier's share of a population of assets ("at most 35 % of the access network"), computed per
operator, per site, per site group or over the whole network, with the figures and the assets that make it.

A pack declares its caps (``caps:`` in the pack file, see policies/pack.py ``CapSpec``); this analysis computes
every declared cap over the evidence and hands the policy engine two facts per asset: ``analysis.cap_share[cap]``
(the share its supplier holds in the asset's population group) and ``analysis.cap_exceeded[cap]`` (that share is
above the cap's limit). Assets outside a cap's population get 0.0 / false. Assets whose supplier is not
established count in the population as their own unknown supplier (one each): missing evidence never inflates a
share, and they are listed so that a person can check them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

MAX_LISTED = 50  # subjects listed per supplier in a finding (the cap analysis itself keeps them all)


@dataclass(frozen=True)
class CapItem:
    """One asset as the cap analysis sees it."""

    subject: str
    label: str
    site: str
    operator: str
    site_group: str
    domain: str
    function: str
    supplier: str | None
    supplier_name: str = ""


@dataclass
class SupplierShare:
    supplier: str
    name: str
    assets: int
    sites: int
    share: float  # by the cap's measure
    share_assets: float
    share_sites: float
    exceeded: bool
    subjects: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def to_dict(self, listed: int | None = None) -> dict:
        n = len(self.subjects) if listed is None else listed
        return {"supplier": self.supplier, "name": self.name, "assets": self.assets, "sites": self.sites,
                "share": self.share, "share_assets": self.share_assets, "share_sites": self.share_sites,
                "exceeded": self.exceeded, "subjects": self.subjects[:n], "labels": self.labels[:n],
                "more": max(0, len(self.subjects) - n)}


@dataclass
class CapGroup:
    """One population group of a cap (e.g. one operator's access network) and every supplier's share in it."""

    cap: str
    title: str
    group_by: str
    group: str
    measure: str
    limit: float
    assets: int
    sites: int
    unattributed: int
    suppliers: list[SupplierShare]

    def to_dict(self) -> dict:
        return {"cap": self.cap, "title": self.title, "group_by": self.group_by, "group": self.group,
                "measure": self.measure, "limit": self.limit, "assets": self.assets, "sites": self.sites,
                "unattributed": self.unattributed, "suppliers": [s.to_dict() for s in self.suppliers]}


@dataclass
class CapAnalysis:
    groups: list[CapGroup]
    facts: dict[str, dict]  # subject -> {"cap_share": {...}, "cap_exceeded": {...}}
    figures: dict[str, dict[str, dict]]  # subject -> cap id -> figure dict for its finding

    def to_dict(self) -> dict:
        return {"groups": [g.to_dict() for g in self.groups]}


def _group_key(item: CapItem, group_by: str) -> str:
    if group_by == "operator":
        return item.operator or "(no operator recorded)"
    if group_by == "site":
        return item.site or "(no site)"
    if group_by == "site-group":
        return item.site_group or item.site or "(no site)"
    return "(network)"


def in_population(cap, item: CapItem) -> bool:
    if item.domain not in cap.domains:
        return False
    return not cap.functions or item.function in cap.functions


def analyse_caps(caps, items: list[CapItem]) -> CapAnalysis:
    """Every cap over ``items``; ``caps`` are objects with id, title, domains, functions, group_by, measure, limit
    (``CapSpec``). Ids of caps must be unique (the pack loader and the pipeline see to it)."""
    facts: dict[str, dict] = {it.subject: {"cap_share": {}, "cap_exceeded": {}} for it in items}
    figures: dict[str, dict[str, dict]] = defaultdict(dict)
    groups_out: list[CapGroup] = []
    for cap in caps:
        for it in items:
            facts[it.subject]["cap_share"][cap.id] = 0.0
            facts[it.subject]["cap_exceeded"][cap.id] = False
        members: dict[str, list[CapItem]] = defaultdict(list)
        for it in items:
            if in_population(cap, it):
                members[_group_key(it, cap.group_by)].append(it)
        for group, its in sorted(members.items()):
            sites = {it.site or "(no site)" for it in its}
            by_supplier: dict[str, list[CapItem]] = defaultdict(list)
            unattributed = 0
            for it in its:
                if it.supplier:
                    by_supplier[it.supplier].append(it)
                else:
                    unattributed += 1
            shares = []
            for supplier, sits in sorted(by_supplier.items()):
                s_sites = {it.site or "(no site)" for it in sits}
                share_assets = round(len(sits) / len(its), 4)
                share_sites = round(len(s_sites) / len(sites), 4)
                share = share_sites if cap.measure == "sites" else share_assets
                shares.append(SupplierShare(
                    supplier, sits[0].supplier_name or supplier, len(sits), len(s_sites), share, share_assets,
                    share_sites, share > cap.limit, [it.subject for it in sits], [it.label for it in sits]))
            shares.sort(key=lambda s: (-s.share, s.supplier))
            g = CapGroup(cap.id, cap.title, cap.group_by, group, cap.measure, cap.limit, len(its), len(sites),
                         unattributed, shares)
            groups_out.append(g)
            for s in shares:
                fig = {"cap": cap.id, "title": cap.title, "group_by": cap.group_by, "group": group,
                       "measure": cap.measure, "limit": cap.limit, "population_assets": len(its),
                       "population_sites": len(sites), "unattributed": unattributed,
                       **s.to_dict(MAX_LISTED)}
                for subject in s.subjects:
                    facts[subject]["cap_share"][cap.id] = s.share
                    facts[subject]["cap_exceeded"][cap.id] = s.exceeded
                    figures[subject][cap.id] = fig
    return CapAnalysis(groups_out, facts, dict(figures))
