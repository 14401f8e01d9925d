"""A recorded run of any size: the mini report's observations and findings repeated with distinct ids."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from netvet.history.store import History
from tests.fixtures.reports.reportkit import INVENTORY_V1, mini_report


def big_report(findings: int) -> dict:
    """A report dictionary with exactly ``findings`` findings (and one observation per finding subject)."""
    base = mini_report().to_dict()
    obs_by_id = {o["id"]: o for o in base["observations"]}
    out_findings, out_obs = [], []
    i = 0
    while len(out_findings) < findings:
        for f in base["findings"]:
            if len(out_findings) == findings:
                break
            subject = f"big.csv:{i + 2}"
            g = copy.deepcopy(f)
            g["subject"] = subject
            g["label"] = f"{f['label']}-{i}"
            g["source"] = {**(f.get("source") or {}), "file": "big.csv", "line": i + 2}
            out_findings.append(g)
            o = copy.deepcopy(obs_by_id[f["subject"]])
            o["id"] = subject
            o["source"] = {**(o.get("source") or {}), "file": "big.csv", "line": i + 2}
            for ident in o.get("identifiers") or []:
                if ident.get("kind") == "hostname":
                    ident["value"] = f"{ident['value']}-{i}"
            out_obs.append(o)
            i += 1
    base["findings"], base["observations"] = out_findings, out_obs
    return base


def record_big_run(history: History, findings: int, when: datetime | None = None) -> str:
    """Record a ``findings``-finding run with the history store's own API; returns its run id."""
    return history.record(big_report(findings), [INVENTORY_V1], now=when or datetime(2024, 7, 1, 9, tzinfo=UTC))
