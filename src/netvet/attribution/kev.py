"""CISA Known Exploited Vulnerabilities catalogue (JSON or CSV) -> counts per curated entity."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..model import InputError, ReadStats


@dataclass
class KevCounts:
    per_entity: dict[str, int]
    unmatched: dict[str, int]  # vendorProject -> count, for vendors no entity claims
    dataset: str
    stats: ReadStats = field(repr=False, default=None)


def load_kev(path: str | Path, registry) -> KevCounts:
    """Read a KEV file (``known_exploited_vulnerabilities.json`` or ``.csv``) and count CVEs per entity.

    ``vendorProject`` is matched through the registry's curated alias rules (exact normalised names), never
    by substring. Rows without a CVE id or vendor are reported as malformed.
    """
    p = Path(path)
    stats = ReadStats(str(p), "cisa-kev")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(p), f"cannot read KEV catalogue: {exc}") from None
    rows: list[tuple[int | None, dict]] = []
    version = "unknown"
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(str(p), f"invalid JSON: {exc.msg}", line=exc.lineno) from None
        except (ValueError, RecursionError) as exc:  # a number of more than 4,300 digits; nesting too deep
            why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise InputError(str(p), f"invalid JSON: {why}"[:300]) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("vulnerabilities"), list):
            raise InputError(str(p), "not a KEV catalogue: no 'vulnerabilities' list")
        version = str(doc.get("catalogVersion", "unknown"))
        rows = [(None, v) for v in doc["vulnerabilities"]]
    else:
        reader = csv.DictReader(io.StringIO(text))
        try:
            fields = reader.fieldnames
        except csv.Error as exc:
            raise InputError(str(p), f"not a KEV catalogue: CSV syntax error in the header: {exc}", line=1) from None
        if not fields or "vendorProject" not in fields:
            raise InputError(str(p), "not a KEV catalogue: CSV has no 'vendorProject' column", line=1)
        try:
            for r in reader:
                rows.append((reader.line_num, r))
        except csv.Error as exc:  # an over-long field, a NUL: the rest of the file cannot be read
            stats.read += 1
            stats.problem(f"CSV syntax error: {exc}; rest of file not read", line=reader.line_num)
    per_entity: Counter[str] = Counter()
    unmatched: Counter[str] = Counter()
    for i, (line, row) in enumerate(rows):
        stats.read += 1
        vendor = (row.get("vendorProject") or "").strip() if isinstance(row, dict) else ""
        cve = (row.get("cveID") or "").strip() if isinstance(row, dict) else ""
        if not vendor or not cve.startswith("CVE-"):
            stats.problem("KEV entry without cveID or vendorProject", line=line,
                          offset=None if line else i)
            continue
        matches = registry.aliases.match(vendor)
        if len(matches) == 1:
            per_entity[matches[0].entity_id] += 1
            stats.attributed += 1
        else:
            unmatched[vendor] += 1
            stats.unattributed += 1
    return KevCounts(dict(per_entity), dict(unmatched), f"cisa-kev {version} ({p.name})", stats)
