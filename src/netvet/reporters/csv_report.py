"""CSV report: one row per finding (policy x observation)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TextIO

from ..model import Attribution, Finding, Report
from . import reporter, writer

COLUMNS = [
    "policy", "verdict", "severity", "rule_ids", "subject", "label", "source_file", "source_line", "source_pointer",
    "entity_id", "entity_name", "entity_country", "identifier_kind", "identifier_value", "identifier_field",
    "attribution_status", "attribution_method", "confidence", "role", "site", "reasons", "citations",
    "group_id", "group_name", "positive",
]


def finding_row(f: Finding, att: Attribution | None) -> list:
    """The CSV row of finding ``f`` (``att``: its subject's attribution, if any)."""
    ent = f.entity or {}
    ident = f.identifier or {}
    return [
        f.policy, str(f.verdict), f.severity or "", ";".join(f.rule_ids), f.subject, f.label, f.source.file,
        "" if f.source.line is None else f.source.line, f.source.pointer or "", ent.get("id") or "",
        ent.get("name") or "", ent.get("country") or "", ident.get("kind", ""), ident.get("value", ""),
        ident.get("field", ""), str(att.status) if att else "", (att.method or "") if att else "",
        f"{att.confidence:.3f}" if att else "", f.role or "", f.site or "", " | ".join(f.reasons),
        " | ".join(c.label + (f" <{c.url}>" if c.url else "") for c in f.citations),
        ent.get("group") or "", ent.get("group_name") or "", ("yes" if att.positive else "no") if att else "",
    ]


def write_csv(rows: Iterable[list], out: TextIO) -> None:
    """The header and ``rows`` (each a :func:`finding_row`), written as they come."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows)


@reporter("csv")
def render_csv(report: Report) -> str:
    buf = io.StringIO()
    write_csv((finding_row(f, report.attributions.get(f.subject)) for f in report.findings), buf)
    return buf.getvalue()


@writer("csv")
def write_run_csv(run, out: TextIO) -> None:
    """The CSV report of a streamed audit (``pipeline.AuditRun``), written finding by finding."""
    write_csv((finding_row(f, att) for batch in run.batches() for _, att, fs in batch for f in fs), out)
