"""Compare policies on the same evidence: what each excludes, what only one excludes, and why."""

from __future__ import annotations

from collections import defaultdict

from ..model import Report

EXCLUDING = {"FAIL"}
FLAGGING = {"FAIL", "REVIEW"}


def compare(report: Report, weight_key: str | None = None) -> dict:
    """Side-by-side view of every policy in ``report``.

    An asset is *excluded* by a policy when its verdict is FAIL and *flagged* when FAIL or REVIEW. For each
    policy: excluded and flagged assets, sites, vendors (ultimate entities) and — when observations carry a
    numeric ``weight_key`` attribute (address space, bytes) — its sum. Differences list, per asset, the
    verdict under every policy and the rules and reasons that decided.
    """
    policies = [p.id for p in report.policies]
    approach = {p.id: p.approach for p in report.policies}
    neutral = {p.id for p in report.policies if p.vendor_neutral}
    obs = {o.id: o for o in report.observations}
    by_subject: dict[str, dict[str, object]] = defaultdict(dict)
    for f in report.findings:
        by_subject[f.subject][f.policy] = f

    def weight(subject: str) -> float:
        if weight_key is None or subject not in obs:
            return 0.0
        try:
            return float(obs[subject].attributes.get(weight_key, 0) or 0)
        except ValueError:
            return 0.0

    per_policy = {}
    for pol in policies:
        excl = [s for s, fs in by_subject.items() if pol in fs and str(fs[pol].verdict) in EXCLUDING]
        flag = [s for s, fs in by_subject.items() if pol in fs and str(fs[pol].verdict) in FLAGGING]
        vendors = sorted({(by_subject[s][pol].entity or {}).get("name") or "(unattributed)" for s in excl})
        per_policy[pol] = {
            "approach": approach[pol],
            "vendor_neutral": pol in neutral,
            "excluded_assets": len(excl),
            "flagged_assets": len(flag),
            "excluded_sites": len({by_subject[s][pol].site or "(no site)" for s in excl}),
            "excluded_vendors": vendors,
            "excluded_weight": sum(weight(s) for s in excl) if weight_key else None,
            "verdicts": {v: sum(1 for fs in by_subject.values() if pol in fs and str(fs[pol].verdict) == v)
                         for v in ("FAIL", "REVIEW", "UNKNOWN", "WAIVED", "PASS")},
        }

    differences = []
    for subject, fs in sorted(by_subject.items()):
        verdicts = {pol: str(fs[pol].verdict) for pol in policies if pol in fs}
        if len({v in EXCLUDING for v in verdicts.values()}) == 1 and len(set(verdicts.values())) == 1:
            continue
        any_f = next(iter(fs.values()))
        differences.append({
            "subject": subject,
            "label": any_f.label,
            "site": any_f.site,
            "entity": any_f.entity,
            "verdicts": verdicts,
            "why": {pol: {"rules": fs[pol].rule_ids, "reasons": fs[pol].reasons} for pol in verdicts},
        })

    only = {}
    for pol in policies:
        others = [p for p in policies if p != pol]
        only[pol] = sorted(s for s, fs in by_subject.items()
                           if pol in fs and str(fs[pol].verdict) in EXCLUDING
                           and all(str(fs[o].verdict) not in EXCLUDING for o in others if o in fs))
    excluded_by_all = sorted(s for s, fs in by_subject.items()
                             if all(p in fs and str(fs[p].verdict) in EXCLUDING for p in policies))

    # what vendor-neutral packs flag that nation-of-origin / named-entity packs pass
    neutral_only = {}
    for vn in neutral:
        for other in policies:
            if other in neutral:
                continue
            subjects = sorted(s for s, fs in by_subject.items() if vn in fs and other in fs
                              and str(fs[vn].verdict) in FLAGGING and str(fs[other].verdict) == "PASS")
            neutral_only[f"{vn} vs {other}"] = {
                "assets": len(subjects),
                "vendors": sorted({(by_subject[s][vn].entity or {}).get("name") or "(unattributed)"
                                   for s in subjects}),
                "rules": sorted({r for s in subjects for r in by_subject[s][vn].rule_ids}),
                "subjects": subjects,
            }
    return {
        "policies": policies,
        "assets": len(by_subject),
        "per_policy": per_policy,
        "excluded_by_all": excluded_by_all,
        "excluded_only_by": only,
        "vendor_neutral_flags_missed_by": neutral_only,
        "differences": differences,
    }


def headline(cmp: dict) -> list[str]:
    """Plain-language sentences answering: how much does each policy remove, and where do they differ."""
    lines = []
    for pol, p in cmp["per_policy"].items():
        w = f", weight {p['excluded_weight']:g}" if p["excluded_weight"] else ""
        lines.append(f"{pol} ({p['approach']}) excludes {p['excluded_assets']} of {cmp['assets']} assets at "
                     f"{p['excluded_sites']} sites from {len(p['excluded_vendors'])} vendors{w}; "
                     f"{p['flagged_assets']} flagged including reviews.")
    for pol, subjects in cmp["excluded_only_by"].items():
        if subjects:
            lines.append(f"only {pol} excludes {len(subjects)} assets.")
    for pair, info in cmp["vendor_neutral_flags_missed_by"].items():
        vn, other = pair.split(" vs ")
        lines.append(f"{vn} flags {info['assets']} assets that {other} passes"
                     + (f" (vendors: {', '.join(info['vendors'][:6])})" if info["vendors"] else "") + ".")
    return lines
