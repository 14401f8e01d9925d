"""AS-number delegations from the RIRs' delegated-extended statistics: which ASNs one registrant holds.

Reads the RIR statistics exchange format (the ``netvet data`` datasets ``rir-afrinic``, ``rir-apnic``,
``rir-arin``, ``rir-lacnic``, ``rir-ripencc``; plain or compressed)::

    2.3|apnic|20241105|5|19830613|20241104|+1000          # version line
    apnic|*|asn|*|2|summary                               # summary lines
    apnic|CN|asn|4134|1|19970424|allocated|A92E1062       # registry|cc|type|start|count|date|status|opaque-id

In the extended files every ``allocated`` / ``assigned`` record carries an *opaque id*: one id per registrant
(the RIR's account holder), the same on all its records. ``asn`` records hold a first ASN and a count (a range).

Only ``asn`` records are kept, as ranges (never expanded here: :meth:`RirDelegations.holders` finds the records
covering given ASNs and callers expand the few ranges they need). The reader is strict: a file without the
version line, a record with a bad type, AS number, count (a range past AS4294967295), status, or an
allocated / assigned ASN record without an opaque id (a plain ``delegated`` file, not ``delegated-extended``) is
an input error naming the file and line. ``available`` and ``reserved`` records (no registrant) are skipped.
"""

from __future__ import annotations

import bisect
import lzma
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..model import InputError, ReadStats
from ..util.inputs import limits, open_input

FORMAT = "rir-delegated-extended"
MAX_ASN = 0xFFFFFFFF
STATUSES = ("allocated", "assigned", "available", "reserved")
HELD = ("allocated", "assigned")
_VERSION = re.compile(r"\d+(?:\.\d+)?")
_REGISTRY = re.compile(r"[a-z][a-z0-9-]*")
_DIGITS = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True, slots=True)
class AsnRange:
    """One ``asn`` record held by a registrant: ``count`` ASNs from ``start``."""

    registry: str
    country: str | None
    start: int
    count: int
    date: str | None
    status: str
    opaque_id: str
    file: str
    line: int

    @property
    def end(self) -> int:
        return self.start + self.count - 1

    @property
    def key(self) -> tuple[str, str]:
        """The registrant: opaque ids are per RIR, so the registry is part of the key."""
        return (self.registry, self.opaque_id)

    def shown(self) -> str:
        return f"AS{self.start}" if self.count == 1 else f"AS{self.start}-AS{self.end}"


@dataclass
class RirDelegations:
    """Held ``asn`` ranges of one or more delegated-extended files."""

    ranges: list[AsnRange] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    stats: list[ReadStats] = field(default_factory=list)

    def update(self, other: RirDelegations) -> RirDelegations:
        self.ranges.extend(other.ranges)
        self.files.extend(other.files)
        self.stats.extend(other.stats)
        return self

    def by_registrant(self) -> dict[tuple[str, str], list[AsnRange]]:
        out: dict[tuple[str, str], list[AsnRange]] = {}
        for r in self.ranges:
            out.setdefault(r.key, []).append(r)
        return out

    def holders(self, asns) -> dict[int, list[AsnRange]]:
        """For each of ``asns``, the records whose range covers it (one pass over the records)."""
        wanted = sorted(set(asns))
        out: dict[int, list[AsnRange]] = {}
        for r in self.ranges:
            i = bisect.bisect_left(wanted, r.start)
            while i < len(wanted) and wanted[i] <= r.end:
                out.setdefault(wanted[i], []).append(r)
                i += 1
        return out


def _read_lines(path: Path, name: str):
    max_line = limits().max_line_bytes
    try:
        with open_input(path) as fh:
            number = 0
            while raw := fh.readline(max_line + 1):
                number += 1
                if len(raw) > max_line and not raw.endswith(b"\n"):
                    raise InputError(name, f"line longer than {max_line} bytes (limit max_line_bytes): not an RIR "
                                     "statistics file", line=number)
                yield number, raw.decode("utf-8", errors="replace").rstrip("\r\n")
    except (OSError, EOFError, lzma.LZMAError, zlib.error) as exc:
        raise InputError(name, f"cannot read: {exc}") from None


def _shown(line: str) -> str:
    return repr(line if len(line) <= 80 else line[:77] + "...")


def read_delegated(path: str | Path) -> RirDelegations:
    """Read one RIR delegated-extended file (strict: see the module's docstring)."""
    name = str(path)
    stats = ReadStats(file=name, format=FORMAT)
    out = RirDelegations(files=[name], stats=[stats])
    version_seen = False
    for number, line in _read_lines(Path(path), name):
        text = line.lstrip("\ufeff") if number == 1 else line
        if not text.strip() or text.startswith("#"):
            continue
        fields = text.split("|")
        if not version_seen:
            if len(fields) < 7 or not _VERSION.fullmatch(fields[0]) or not _REGISTRY.fullmatch(fields[1]):
                raise InputError(name, "not an RIR statistics exchange file: expected the version line "
                                 f"'version|registry|serial|records|startdate|enddate|UTCoffset', got {_shown(text)}",
                                 line=number)
            version_seen = True
            continue
        if len(fields) == 6 and fields[1] == "*" and fields[5] == "summary":
            continue
        stats.read += 1
        if len(fields) < 7:
            raise InputError(name, f"expected 'registry|cc|type|start|value|date|status|opaque-id', got "
                             f"{len(fields)} field(s): {_shown(text)}", line=number)
        registry, cc, kind, start, count, when, status = fields[:7]
        if kind not in ("asn", "ipv4", "ipv6"):
            raise InputError(name, f"unknown record type {kind!r} (expected asn, ipv4 or ipv6)", line=number)
        if kind != "asn":
            stats.skipped += 1
            continue
        if not _REGISTRY.fullmatch(registry):
            raise InputError(name, f"bad registry name {registry!r}", line=number)
        if not _DIGITS.fullmatch(start) or int(start) > MAX_ASN:
            raise InputError(name, f"bad first AS number {start[:40]!r}", line=number)
        if not _DIGITS.fullmatch(count) or int(count) < 1:
            raise InputError(name, f"bad AS count {count[:40]!r} (a positive integer)", line=number)
        first, n = int(start), int(count)
        if first + n - 1 > MAX_ASN:
            raise InputError(name, f"AS{first} + {n} ASNs runs past AS4294967295", line=number)
        if status not in STATUSES:
            raise InputError(name, f"unknown status {status[:40]!r} (expected {', '.join(STATUSES)})", line=number)
        if status not in HELD:
            stats.skipped += 1
            continue
        opaque = fields[7].strip() if len(fields) > 7 else ""
        if not opaque:
            raise InputError(name, f"{status} AS{first} has no opaque id: a 'delegated' file, not "
                             "'delegated-extended'?", line=number)
        out.ranges.append(AsnRange(registry, cc or None, first, n, when or None, status, opaque, name, number))
    if not version_seen:
        raise InputError(name, "not an RIR statistics exchange file: no version line")
    return out


def load_delegated(paths) -> RirDelegations:
    """Several delegated-extended files (one per RIR) in one :class:`RirDelegations`."""
    out = RirDelegations()
    for p in paths:
        out.update(read_delegated(p))
    return out
