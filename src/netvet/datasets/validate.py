"""Size and format validation of a dataset file against its catalogue ``Rules``.

A file that fails raises ``InvalidData`` naming the first problem; a file that passes yields a
``ValidationReport`` (records counted, checks done, and the first 64 KiB of text for version detection).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .catalogue import Rules
from .errors import InvalidData

HEAD_CHARS = 65536
# A compressed file may expand to at most max(MIN_EXPANDED, EXPANSION x its size), and never more than
# MAX_EXPANDED: past that it is refused as a decompression bomb before any reader loads it.
EXPANSION = 100
MIN_EXPANDED = 256 << 20
MAX_EXPANDED = 8 << 30
_MAGIC = {"gzip": b"\x1f\x8b", "bz2": b"BZh"}
_HTML = re.compile(rb"\s*(<!doctype html|<html|<head|<\?xml[^>]*>\s*<html)", re.IGNORECASE)


@dataclass
class ValidationReport:
    records: int
    bad_records: int = 0
    checks: list[str] = field(default_factory=list)
    head: str = ""  # first HEAD_CHARS characters of the (decompressed) text

    def to_dict(self) -> dict:
        return {"ok": True, "records": self.records, "bad_records": self.bad_records,
                "checks": list(self.checks)}


def _open(path: Path, compression: str) -> IO[bytes]:
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    return open(path, "rb")


class _HeadKeeper(io.RawIOBase):
    """Wraps a binary stream, turning decompression failures into InvalidData and keeping the head."""

    def __init__(self, raw: IO[bytes], label: str, compression: str, limit: int | None = None):
        self.raw = raw
        self.label = label
        self.compression = compression
        self.head = bytearray()
        self.limit = limit
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            data = self.raw.read(len(b))
        except (EOFError, OSError, zlib.error, ValueError) as exc:
            raise InvalidData(
                f"{self.label}: {self.compression} data is corrupt or truncated ({exc})") from None
        n = len(data)
        self.total += n
        if self.limit is not None and self.total > self.limit:
            raise InvalidData(f"{self.label}: {self.compression} data expands to more than {self.limit:,} bytes "
                              "(a decompression bomb, or not this dataset)")
        b[:n] = data
        if len(self.head) < HEAD_CHARS * 4:
            self.head.extend(data[: HEAD_CHARS * 4 - len(self.head)])
        return n


def _lines(text: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text, start=1):
        yield number, line.rstrip("\r\n")


def _excerpt(line: str) -> str:
    return repr(line if len(line) <= 80 else line[:77] + "...")


def validate_file(path: Path, rules: Rules, label: str) -> ValidationReport:
    """Check ``path`` against ``rules``; ``label`` names the file in messages (e.g. the dataset name)."""
    size = path.stat().st_size
    if size < rules.min_bytes:
        raise InvalidData(f"{label}: file is {size:,} bytes, expected at least {rules.min_bytes:,}")
    if rules.max_bytes is not None and size > rules.max_bytes:
        raise InvalidData(f"{label}: file is {size:,} bytes, "
                          f"more than the expected maximum {rules.max_bytes:,}")
    checks = [f"size {size:,} bytes"]
    with open(path, "rb") as fh:
        first = fh.read(512)
    magic = _MAGIC.get(rules.compression)
    html_page = "an HTML page (an error or login page?)"
    if magic is not None and not first.startswith(magic):
        kind = html_page if _HTML.match(first) else f"not {rules.compression} data"
        raise InvalidData(f"{label}: expected {rules.compression}-compressed data, got {kind}")
    if magic is None and _HTML.match(first):
        raise InvalidData(f"{label}: expected {rules.content} data, got {html_page}")

    with _open(path, rules.compression) as raw:
        limit = min(MAX_EXPANDED, max(MIN_EXPANDED, EXPANSION * size)) if rules.compression != "none" else None
        keeper = _HeadKeeper(raw, label, rules.compression, limit)
        buffered = io.BufferedReader(keeper, buffer_size=1 << 16)
        text = io.TextIOWrapper(buffered, encoding="utf-8", errors="replace", newline="")
        if rules.content == "json":
            report = _check_json(text, rules, label)
        elif rules.content == "csv":
            report = _check_csv(text, rules, label)
        else:
            report = _check_text(text, rules, label)
        if rules.compression != "none":
            checks.append(f"{rules.compression} stream intact")
        report.head = keeper.head.decode("utf-8", errors="replace")[:HEAD_CHARS]
    if report.records < rules.min_records:
        raise InvalidData(f"{label}: {report.records:,} records, expected at least {rules.min_records:,}")
    checks.append(f"{report.records:,} records")
    report.checks = checks + report.checks
    return report


def _check_text(text: IO[str], rules: Rules, label: str) -> ValidationReport:
    pattern = re.compile(rules.record_pattern) if rules.record_pattern else None
    prefixes = tuple(rules.comment_prefixes)
    records = bad = 0
    first_bad: list[str] = []
    header_seen = rules.header is None
    missing = [(n, n.lower()) for n in rules.contains]
    for number, line in _lines(text):
        if missing:
            low = line.lower()
            missing = [(n, n_low) for n, n_low in missing if n_low not in low]
        if not line.strip() or (prefixes and line.startswith(prefixes)):
            continue
        if not header_seen:
            if line.lstrip("\ufeff") != rules.header:
                raise InvalidData(
                    f"{label}: line {number}: expected header {rules.header!r}, got {_excerpt(line)}")
            header_seen = True
            continue
        if pattern is None or pattern.fullmatch(line):
            records += 1
        elif rules.other_lines == "error":
            bad += 1
            if len(first_bad) < 3:
                first_bad.append(f"line {number}: {_excerpt(line)}")
    if not header_seen:
        raise InvalidData(f"{label}: no header line {rules.header!r}")
    if missing:
        raise InvalidData(f"{label}: expected text {missing[0][0]!r} (any case) not found; "
                          "truncated, or not this format?")
    _check_bad(label, bad, rules, first_bad)
    extra = ["header matches"] if rules.header else []
    if rules.contains:
        extra.append("expected text present")
    if bad:
        extra.append(f"{bad:,} malformed lines tolerated")
    return ValidationReport(records, bad, extra)


def _check_csv(text: IO[str], rules: Rules, label: str) -> ValidationReport:
    header_line = text.readline().rstrip("\r\n").lstrip("\ufeff")
    if not header_line:
        raise InvalidData(f"{label}: empty CSV, no header line")
    if rules.header is not None and header_line != rules.header:
        raise InvalidData(f"{label}: line 1: expected header {rules.header!r}, got {_excerpt(header_line)}")
    header = next(csv.reader([header_line]))
    missing = [c for c in rules.columns if c not in header]
    if missing:
        raise InvalidData(f"{label}: CSV header lacks column(s) {', '.join(missing)}")
    records = bad = 0
    first_bad: list[str] = []
    reader = csv.reader(text)
    try:
        for row in reader:
            if not row or row == [""]:
                continue
            if len(row) == len(header):
                records += 1
            else:
                bad += 1
                if len(first_bad) < 3:
                    first_bad.append(f"line {reader.line_num + 1}: {len(row)} fields, expected {len(header)}")
    except csv.Error as exc:
        raise InvalidData(f"{label}: line {reader.line_num + 1}: malformed CSV ({exc})") from None
    _check_bad(label, bad, rules, first_bad)
    extra = ["header matches" if rules.header else "columns present"]
    if bad:
        extra.append(f"{bad:,} malformed rows tolerated")
    return ValidationReport(records, bad, extra)


def _check_json(text: IO[str], rules: Rules, label: str) -> ValidationReport:
    try:
        data = json.load(text)
    except json.JSONDecodeError as exc:
        raise InvalidData(
            f"{label}: not valid JSON ({exc.msg}: line {exc.lineno}, column {exc.colno})") from None
    if (rules.json_keys or rules.json_records) and not isinstance(data, dict):
        raise InvalidData(f"{label}: expected a JSON object at the top level, got {type(data).__name__}")
    missing = [k for k in rules.json_keys if k not in data]
    if missing:
        raise InvalidData(f"{label}: JSON lacks the key(s) {', '.join(missing)}")
    records = 1
    if rules.json_records:
        items = data.get(rules.json_records)
        if not isinstance(items, list):
            raise InvalidData(f"{label}: JSON key {rules.json_records!r} is not a list")
        records = len(items)
    return ValidationReport(records, 0, ["JSON parses", *(["keys present"] if rules.json_keys else [])])


def _check_bad(label: str, bad: int, rules: Rules, first_bad: list[str]) -> None:
    if bad > rules.max_bad_records:
        raise InvalidData(f"{label}: {bad:,} malformed lines (at most {rules.max_bad_records:,} tolerated); "
                          f"first: {'; '.join(first_bad)}")
