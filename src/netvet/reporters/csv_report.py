"""CSV report: one row per finding (policy x observation)."""

from __future__ import annotations

import csv
import io

from ..model import Report
from . import reporter

COLUMNS = [
    "policy", "verdict", "severity", "rule_ids", "subject", "label", "source_file", "source_line", "source_pointer",
    "entity_id", "entity_name", "entity_country", "identifier_kind", "identifier_value", "identifier_field",
    "attribution_status", "attribution_method", "confidence", "role", "site", "reasons", "citations",
    "group_id", "group_name", "positive",
]


@reporter("csv")
def render_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for f in report.findings:
        att = report.attributions.get(f.subject)
        ent = f.entity or {}
        ident = f.identifier or {}
        w.writerow([
            f.policy, str(f.verdict), f.severity or "", ";".join(f.rule_ids), f.subject, f.label, f.source.file,
            "" if f.source.line is None else f.source.line, f.source.pointer or "", ent.get("id") or "",
            ent.get("name") or "", ent.get("country") or "", ident.get("kind", ""), ident.get("value", ""),
            ident.get("field", ""), str(att.status) if att else "", (att.method or "") if att else "",
            f"{att.confidence:.3f}" if att else "", f.role or "", f.site or "", " | ".join(f.reasons),
            " | ".join(c.label + (f" <{c.url}>" if c.url else "") for c in f.citations),
            ent.get("group") or "", ent.get("group_name") or "", ("yes" if att.positive else "no") if att else "",
        ])
    return buf.getvalue()
