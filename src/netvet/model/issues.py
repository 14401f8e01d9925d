"""Problems found in the user's input, and per-file reading statistics."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    """What a reader did with one input: read, attributed, unattributed, malformed records."""

    file: str
    format: str
    read: int = 0
    attributed: int = 0
    unattributed: int = 0
    malformed: int = 0
    skipped: int = 0  # records deliberately not turned into observations (e.g. nmap hosts that are down)
    issues: list[InputIssue] = field(default_factory=list)

    def problem(self, reason: str, line: int | None = None, offset: int | None = None) -> None:
        """Record a malformed record."""
        self.malformed += 1
        self.issues.append(InputIssue(self.file, reason, line, offset, "error"))

    def warn(self, reason: str, line: int | None = None, offset: int | None = None) -> None:
        self.issues.append(InputIssue(self.file, reason, line, offset, "warning"))

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "format": self.format,
            "read": self.read,
            "attributed": self.attributed,
            "unattributed": self.unattributed,
            "malformed": self.malformed,
            "skipped": self.skipped,
            "issues": [i.to_dict() for i in self.issues],
        }


class InputError(Exception):
    """Input that cannot be read at all (missing file, unknown format, refused XML)."""

    def __init__(self, file: str, reason: str, line: int | None = None, offset: int | None = None):
        self.issue = InputIssue(file, reason, line, offset)
        super().__init__(str(self.issue))
