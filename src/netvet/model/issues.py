"""Problems found in the user's input, and per-file reading statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

MAX_STORED_ISSUES = 1000  # per input: problems and warnings kept itemised; the rest are only counted


@dataclass(frozen=True, slots=True)
class InputIssue:
    file: str
    reason: str
    line: int | None = None
    offset: int | None = None
    severity: str = "error"  # error: a record was malformed; warning: read, but something was odd

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.offset is not None:
            where += f", byte offset {self.offset}"
        return f"{where}: {self.reason}"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "offset": self.offset,
            "severity": self.severity,
            "reason": self.reason,
        }


@dataclass(slots=True)
class ReadStats:
    """What a reader did with one input: read, attributed, unattributed, malformed records.

    ``malformed`` counts every malformed record exactly; ``issues`` itemises at most
    :data:`MAX_STORED_ISSUES` problems and warnings (the first ones, in reading order) and
    ``problems_not_shown`` counts those recorded past that cap, so that an input with millions of bad
    records cannot exhaust memory. Reports show them as one line "... and N more problems of this input".
    """

    file: str
    format: str
    read: int = 0
    attributed: int = 0
    unattributed: int = 0
    malformed: int = 0
    skipped: int = 0  # records deliberately not turned into observations (e.g. nmap hosts that are down)
    unit: str = "record"  # what one count is (device, host, row, component, route, result, ...)
    damaged: int = 0  # errors inside records that were still read (a bad line of a device's SNMP walk)
    failed: str | None = None  # why the whole input could not be read (the rest of a batch still runs)
    # an aggregating input (routes -> one observation per AS): the counts of the records it was read from
    source_counts: dict | None = None
    issues: list[InputIssue] = field(default_factory=list)
    problems_not_shown: int = 0  # problems and warnings recorded past MAX_STORED_ISSUES (not itemised)
    max_issues: ClassVar[int] = MAX_STORED_ISSUES

    def _keep(self, issue: InputIssue) -> None:
        if len(self.issues) < self.max_issues:
            self.issues.append(issue)
        else:
            self.problems_not_shown += 1

    def problem(self, reason: str, line: int | None = None, offset: int | None = None) -> None:
        """Record a malformed record."""
        self.malformed += 1
        if len(self.issues) < self.max_issues:
            self.issues.append(InputIssue(self.file, reason, line, offset, "error"))
        else:  # past the cap: counted only (no object built: millions of bad records stay cheap)
            self.problems_not_shown += 1

    def damage(self, reason: str, line: int | None = None, offset: int | None = None) -> None:
        """Record an error inside a record that is still read (counted in ``damaged``, not ``malformed``)."""
        self.damaged += 1
        self._keep(InputIssue(self.file, reason, line, offset, "error"))

    @property
    def errors(self) -> int:
        """Malformed records plus errors inside records that were read: what ``--strict`` refuses."""
        return self.malformed + self.damaged

    def per_observation(self, observations: int, unit: str) -> ReadStats:
        """These counts restated in the unit of the observations an aggregating reader made of the records
        (one per AS of a RIB): ``read`` is that many, records that could not be read become ``damaged`` (they may
        hide units, so they stay errors), and the record counts are kept in ``source_counts``."""
        out = ReadStats(self.file, self.format, read=observations, unit=unit, damaged=self.malformed + self.damaged,
                        failed=self.failed, issues=self.issues, problems_not_shown=self.problems_not_shown,
                        source_counts={"unit": self.unit, "read": self.read, "malformed": self.malformed,
                                       "skipped": self.skipped, "damaged": self.damaged})
        return out

    def balanced(self) -> bool:
        """The count definition: read = attributed + unattributed + malformed + skipped."""
        return self.read == self.attributed + self.unattributed + self.malformed + self.skipped

    def warn(self, reason: str, line: int | None = None, offset: int | None = None) -> None:
        self._keep(InputIssue(self.file, reason, line, offset, "warning"))

    def not_shown_line(self) -> str | None:
        """The line reports print for the problems past the cap, or None when every one is itemised."""
        if not self.problems_not_shown:
            return None
        return f"\u2026 and {self.problems_not_shown} more problems of this input"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "format": self.format,
            "read": self.read,
            "attributed": self.attributed,
            "unattributed": self.unattributed,
            "malformed": self.malformed,
            "skipped": self.skipped,
            "unit": self.unit,
            "damaged": self.damaged,
            "failed": self.failed,
            **({"source_counts": dict(self.source_counts)} if self.source_counts else {}),
            "issues": [i.to_dict() for i in self.issues],
            "problems_not_shown": self.problems_not_shown,
        }


class InputError(Exception):
    """Input that cannot be read at all (missing file, unknown format, refused XML)."""

    def __init__(self, file: str, reason: str, line: int | None = None, offset: int | None = None):
        self.issue = InputIssue(file, reason, line, offset)
        super().__init__(str(self.issue))
