"""Drift between two runs: new, resolved and changed findings, matched by stable subject key (see ``keys``).

A finding *needs attention* when its verdict is FAIL, REVIEW or UNKNOWN.

- **new**: needs attention in run B, and in run A the subject was absent or PASS/WAIVED;
- **resolved**: needed attention in run A, and in run B the subject is absent or PASS/WAIVED;
- **changed**: needs attention in both runs, with a different verdict, rule ids or entity.

Each entry says what it was before and what it is after (``absent`` when the subject was not in that run).
Subjects that appear or disappear with PASS/WAIVED only are counted (``subjects_added``,
``subjects_removed``) but not listed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

ATTENTION = {"FAIL", "REVIEW", "UNKNOWN"}


@dataclass
class Change:
    key: str
    policy: str
    label: str
    before: str  # verdict in run A, or "absent"
    after: str  # verdict in run B, or "absent"
    rules_before: list[str]
    rules_after: list[str]
    entity_before: str | None
    entity_after: str | None
    site: str | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Drift:
    run_a: str
    run_b: str
    new: list[Change] = field(default_factory=list)
    resolved: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    subjects_added: int = 0
    subjects_removed: int = 0

    def to_dict(self) -> dict:
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "counts": {
                "new": len(self.new),
                "resolved": len(self.resolved),
                "changed": len(self.changed),
                "unchanged": self.unchanged,
                "subjects_added": self.subjects_added,
                "subjects_removed": self.subjects_removed,
            },
            "new": [c.to_dict() for c in self.new],
            "resolved": [c.to_dict() for c in self.resolved],
            "changed": [c.to_dict() for c in self.changed],
        }


def _entity(row: dict | None) -> str | None:
    if not row:
        return None
    return row.get("entity_id") or row.get("entity_name")


def diff_findings(run_a: str, rows_a: list[dict], run_b: str, rows_b: list[dict]) -> Drift:
    """Compare two runs' finding rows (``History.findings``: subject_key, policy, verdict, rule_ids ...)."""
    a = {r["subject_key"]: r for r in rows_a}
    b = {r["subject_key"]: r for r in rows_b}
    drift = Drift(run_a, run_b)
    for key in sorted(a.keys() | b.keys()):
        ra, rb = a.get(key), b.get(key)
        va = ra["verdict"] if ra else "absent"
        vb = rb["verdict"] if rb else "absent"
        ref = rb or ra
        change = Change(
            key=key,
            policy=ref["policy"],
            label=ref.get("label") or "",
            before=va,
            after=vb,
            rules_before=list(ra["rule_ids"]) if ra else [],
            rules_after=list(rb["rule_ids"]) if rb else [],
            entity_before=_entity(ra),
            entity_after=_entity(rb),
            site=ref.get("site"),
        )
        if va not in ATTENTION and vb in ATTENTION:
            drift.new.append(change)
        elif va in ATTENTION and vb not in ATTENTION:
            drift.resolved.append(change)
        elif (
            va in ATTENTION
            and vb in ATTENTION
            and (
                va != vb
                or change.rules_before != change.rules_after
                or change.entity_before != change.entity_after
            )
        ):
            drift.changed.append(change)
        elif ra is None:
            drift.subjects_added += 1
        elif rb is None:
            drift.subjects_removed += 1
        else:
            drift.unchanged += 1
    return drift


def diff_runs(history, ref_a: str, ref_b: str) -> Drift:
    """Drift from run ``ref_a`` to run ``ref_b`` of a History."""
    run_a, run_b = history.resolve(ref_a), history.resolve(ref_b)
    return diff_findings(run_a, history.findings(run_a), run_b, history.findings(run_b))
