"""Recording bad flow records in ``ReadStats`` without letting billions of them exhaust memory.

Every malformed record is counted (``ReadStats.malformed``); the first :data:`MAX_ITEMISED` of each
severity, in line order, are itemised with file, line and reason. :func:`finish` sorts and trims the
list and adds one warning saying how many more were counted than listed. The selection does not
depend on how a file was cut into chunks or partitions, so every engine itemises the same records.
"""

from __future__ import annotations

import numpy as np

from ...model import InputIssue, ReadStats

MAX_ITEMISED = 1000


def _key(issue: InputIssue) -> tuple[int, int]:
    return (issue.line if issue.line is not None else -1, issue.offset if issue.offset is not None else -1)


def _trim(stats: ReadStats) -> None:
    errors = sorted((i for i in stats.issues if i.severity == "error"), key=_key)[:MAX_ITEMISED]
    warnings = sorted((i for i in stats.issues if i.severity != "error"), key=_key)[:MAX_ITEMISED]
    stats.issues = sorted(errors + warnings, key=_key)


def shown(value) -> str:
    """A bad value as a report quotes it: at most 60 characters (or bytes) of it."""
    if not isinstance(value, str | bytes) or len(value) <= 60:
        return repr(value)
    head = repr(value[:60])
    unit = "characters" if isinstance(value, str) else "bytes"
    return f"{head[:-1]}...{head[-1]} ({len(value)} {unit})"


def add(stats: ReadStats, lines: np.ndarray | list[int], reason: str, severity: str = "error") -> None:
    """Record records at ``lines`` (sorted) as malformed (``error``) or odd but read (``warning``)."""
    lines = np.asarray(lines, dtype=np.int64)
    if severity == "error":
        stats.malformed += len(lines)
    for line in lines[:MAX_ITEMISED].tolist():
        stats.issues.append(InputIssue(stats.file, reason, line=int(line), severity=severity))
    if len(stats.issues) > 4 * MAX_ITEMISED:
        _trim(stats)


def add_each(stats: ReadStats, lines: np.ndarray, reasons: list[str], severity: str = "error") -> None:
    """Like :func:`add` with one reason per line (``reasons`` may stop after the first MAX_ITEMISED)."""
    if severity == "error":
        stats.malformed += len(lines)
    for line, reason in zip(np.asarray(lines)[:MAX_ITEMISED].tolist(), reasons[:MAX_ITEMISED], strict=False):
        stats.issues.append(InputIssue(stats.file, reason, line=int(line), severity=severity))
    if len(stats.issues) > 4 * MAX_ITEMISED:
        _trim(stats)


def merge(parts: list[ReadStats]) -> ReadStats:
    """One ReadStats for a file read in several partitions (counts summed, issues merged)."""
    out = ReadStats(parts[0].file, parts[0].format)
    for p in parts:
        out.read += p.read
        out.attributed += p.attributed
        out.unattributed += p.unattributed
        out.malformed += p.malformed
        out.skipped += p.skipped
        out.issues.extend(p.issues)
        if len(out.issues) > 4 * MAX_ITEMISED:
            _trim(out)
    return out


def finish(stats: ReadStats) -> ReadStats:
    """Sort and trim the itemised issues; say how many malformed records are counted but not listed."""
    _trim(stats)
    listed = sum(1 for i in stats.issues if i.severity == "error")
    if stats.malformed > listed:
        stats.issues.append(InputIssue(
            stats.file, f"{stats.malformed - listed} more malformed record(s) counted but not listed "
            f"(the first {listed} are)", severity="warning"))
    return stats
