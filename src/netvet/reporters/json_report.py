"""JSON report (schema ``netvet-report/1``, documented in docs/json-schema.md)."""

from __future__ import annotations

import json

from ..model import Report
from . import reporter


@reporter("json")
def render_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str) + "\n"
